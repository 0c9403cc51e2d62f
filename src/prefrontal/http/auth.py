"""The serve token: made once, kept beside the config (mode 0600), required on every request."""

from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path

from prefrontal.config import Config
from prefrontal.errors import ConfigError

TOKEN_FILE = ".prefrontal-token"
COOKIE = "prefrontal_token"


def token_path(config: Config) -> Path:
    return config.base_dir / TOKEN_FILE


def read_token(config: Config) -> str | None:
    path = token_path(config)
    if not path.exists():
        return None
    token = path.read_text(encoding="utf-8").strip()
    return token or None


def create_token(folder: Path) -> str:
    """Write a fresh random token into ``folder``, readable by its owner only; returns it."""
    token = secrets.token_urlsafe(32)
    path = folder / TOKEN_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(token + "\n")
    return token


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load_or_create_token(config: Config, host: str) -> str:
    """The token for serving on ``host``; made on first serve, but only on a loopback host.

    A non-loopback bind must find a token made before (by ``prefrontal init`` or a first
    serve on 127.0.0.1), so the principal knows it exists before the network does.
    """
    token = read_token(config)
    if token is not None:
        return token
    if not is_loopback(host):
        raise ConfigError(
            f"--host {host!r} is not a loopback address and there is no token at "
            f"{token_path(config)}; make one first with 'prefrontal serve' on 127.0.0.1 "
            "(or 'prefrontal init'), then bind again"
        )
    return create_token(config.base_dir)


def same_token(given: str | None, token: str) -> bool:
    return given is not None and secrets.compare_digest(given.encode(), token.encode())
