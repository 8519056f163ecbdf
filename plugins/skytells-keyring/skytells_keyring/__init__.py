"""The ``keyring`` credential store for skytells: secrets in the operating system's keyring."""

__version__ = "0.1.0"
