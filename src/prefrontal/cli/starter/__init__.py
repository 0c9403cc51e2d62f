"""The starter files ``prefrontal init`` copies: a config, a rule policy, a tool worker.

They are ordinary files of the package, so ruff and pyright check them like any other code.
"""
