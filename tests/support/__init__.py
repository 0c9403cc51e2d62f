"""Shared helpers of the test suite: sample records, the PostgreSQL server plugin, and the
scenarios that tests run in subprocesses (the crash harness, the unprivileged sandbox run)."""
