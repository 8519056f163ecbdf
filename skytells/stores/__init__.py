"""Version 1 import paths of the credential stores (now ``skytells.credentials.stores``)."""
