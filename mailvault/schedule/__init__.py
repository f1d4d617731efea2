"""When jobs run: cron grammar, unit rendering, the runner and the daemon."""
