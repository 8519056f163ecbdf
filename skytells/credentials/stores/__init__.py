"""Credential stores: where credentials live between runs."""
