"""Version 1 import paths of the login-method interface (now ``skytells.login``)."""
