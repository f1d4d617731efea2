"""The host report: the run history as data (history.py), charts (charts.py) and one page (page.py)."""
