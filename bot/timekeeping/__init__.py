"""Time: the injected clock, durations as written in app.yaml, reporting periods, business hours."""
