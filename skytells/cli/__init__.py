"""The cliff application: app, command base and manager, help, groups, completion, display, errors."""
