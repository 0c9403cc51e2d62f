"""The HTTP interface: ``prefrontal serve``'s API, its web inbox page and its token.

An interface layer: it renders and owns no logic. Every route goes through the one
``Client`` (``runtime/client.py``) that the CLI uses, so both say the same things in the same
words. It never imports tiers directly. Invariants: every request carries the token (a
bearer header, or the page's SameSite=Strict cookie); writes take JSON only (no cross-site
form can post one); text from the journal reaches the page as text, never as HTML.

``http.app`` needs the ``web`` extra (FastAPI); ``http.auth`` (the token) does not, so
``prefrontal init`` can make the token without it.
"""
