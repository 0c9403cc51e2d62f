"""Sources: where a sense's stream comes from. WAV files and generated scenes for hearing;
CSV, JSONL and generated telemetry live with the telemetry sense. A live input device and a
broker source plug in behind the same shape: an iterator of timed blocks or records.
"""
