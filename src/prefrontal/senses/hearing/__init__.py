"""Hearing: voice activity, direction of arrival, word spotting and sound events on audio.

Works on samples (sub-sample time differences carry direction), never on text. Imports
numpy and scipy; the recogniser and the VAD model load only when a hearing sense starts.
"""
