"""One module per verb: orchestration, dry runs and results."""
