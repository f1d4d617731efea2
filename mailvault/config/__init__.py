"""Configuration: the typed schema, loading, validation and the sample config."""
