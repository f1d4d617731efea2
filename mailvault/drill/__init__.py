"""The restore drill: a verified restore into a throwaway container, timed against RTO and RPO."""
