"""Where the CLI talks to and keeps its files: environment, config.json, the known scopes."""
