"""Secrets: where they come from and how they reach restic without touching argv."""
