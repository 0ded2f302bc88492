"""Tables built from the message log: one runner (runner.py) and the projections
that are not one feature's own (hubs.py)."""
