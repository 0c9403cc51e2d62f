"""Telemetry: streaming anomaly and change detection per channel on sensor readings.

Bad samples (NaN, infinities, time going backwards, malformed rows) are flagged, never
fatal: the stream keeps going.
"""
