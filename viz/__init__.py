"""Computation-graph drawing (in progress: see the viz issue)."""
