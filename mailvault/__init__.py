"""mailvault: backups, verified restores and safe provider moves for self-hosted mail."""

__version__ = "0.1.0"
