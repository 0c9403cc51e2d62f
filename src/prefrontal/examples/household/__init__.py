"""The household example: home, health and money, with rule policies and tool workers.

Everything here runs on the embedded default: no model, no key, no server.
"""
