"""Argv builders and output parsers for external programs. Pure functions only."""
