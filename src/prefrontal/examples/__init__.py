"""Bundled examples: the household demo (three domains, rule policies, eight tool workers)."""
