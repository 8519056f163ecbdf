"""The person's side of a run: the terminal, the standard streams, the browser."""
