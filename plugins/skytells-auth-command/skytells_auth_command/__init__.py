"""The ``command`` login method for skytells: the token is what a command you configure prints."""

__version__ = "0.1.0"
