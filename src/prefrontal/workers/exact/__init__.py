"""Exact workers: precise work done by code, never approximated in a model's weights.

Owns typed tool functions any domain may declare as workers (``[workers.NAME] kind = "tool"``,
``function = "prefrontal.workers.exact.spectrum:spectrum"``): the spectrum of a signal,
linear solves and least squares with a conditioning warning, and exact rational arithmetic.
Bad input raises ``RecordError`` naming the value, the expectation and the fix.
"""
