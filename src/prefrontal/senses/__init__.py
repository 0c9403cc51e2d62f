"""Senses: long-running perception on continuous signals, handing up typed percepts.

Owns: the ``Sense`` protocol, the bounded percept stream, attention requests, the evidence
store, sources (WAV files, generated scenes, telemetry files and generators, and the registry
of named sources that applications ship as entry points), and the hearing and telemetry
senses. A sense works in its own regime (samples, not frames) at its
own rate and sends up only ``Percept`` records, bounded and with their evidence. Senses
never import the runtime, the orchestrator, policies, workers or an application; the
drill-down tools implement the seam's worker contract (``prefrontal.seam.work``).
"""
