"""Entry-point discovery and loading of commands, login methods and credential stores."""
