"""Metrics as `evaluate` modules (`metrics/<name>/<name>.py` + card) over pure functions.

Empty until the metrics issue lands; the package exists so that the installed layout is final.
"""
