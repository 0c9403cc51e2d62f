"""Exact workers: precise work done by code, never approximated in a model's weights.

Owns typed tool functions any domain may declare as workers (``[workers.NAME] kind = "tool"``,
``function = "prefrontal.workers.exact.spectrum:spectrum"``): the spectrum of a signal,
linear solves and least squares with a conditioning warning, exact rational arithmetic,
symbolic simplification and solving (SymPy, built from a syntax tree, never eval), exact
summary statistics, and unit conversion (pint).
Bad input raises ``RecordError`` naming the value, the expectation and the fix.
"""
