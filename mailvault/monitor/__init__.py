"""Run history judged: status, metrics, alerts."""
