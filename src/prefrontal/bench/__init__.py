"""The ceilings benchmark: two-tier against a monolith and a flat network, measured.

Owns the seeded workload (a month of a personal system), the three topologies that play it
with the same scripted models, the figures read back from each run's journal, and their
table, plots and summary. Two-tier is Prefrontal itself (``open_system``); the monolith and
the flat network are small loops here that build their own real prompts and journal their
decisions with the same records, so one figure code reads all three.

It imports the runtime and the tiers, never the other way round; nothing in the runtime
imports it. The main type is ``Workload``; ``run_ceilings`` runs the whole comparison.
"""
