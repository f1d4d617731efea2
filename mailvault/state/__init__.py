"""Local state in the state dir: the database, the host lock, manifest copies."""
