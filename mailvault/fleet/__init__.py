"""The fleet: each host's small summaries beside its backups, sealed to a fleet key, and one view of
many hosts read from the buckets (seal.py, summary.py, view.py)."""
