"""Safety rules: masking, sanitising, value checks, redaction, safe files, one URL rule."""
