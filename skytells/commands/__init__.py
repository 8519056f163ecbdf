"""The built-in commands, each registered in the ``skytells.commands`` entry-point group."""
