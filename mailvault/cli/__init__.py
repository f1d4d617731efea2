"""typer apps only: parse options, call an action, render the result."""
