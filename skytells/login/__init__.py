"""Authenticators: the ways ``skytells login`` can obtain a user token."""
