"""``prefrontal serve``: drive the system and serve the HTTP API and the web inbox page."""

from __future__ import annotations

import importlib.util
from contextlib import suppress
from functools import partial
from typing import Annotated

import typer

from prefrontal.cli.common import (
    DEFAULT_CONFIG,
    ConfigOption,
    Transcript,
    fail,
    friendly_errors,
    load,
    run_async,
    say,
)


def serve(
    config: ConfigOption = DEFAULT_CONFIG,
    host: Annotated[str, typer.Option(help="Address to bind; loopback unless you mean it.")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8765,
    poll: Annotated[float, typer.Option(min=0.01, max=60, help="Seconds between polls.")] = 0.25,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No transcript.")] = False,
) -> None:
    """Drive the system and serve the HTTP API (/api, schema at /openapi.json) and the web page.

    Every request needs the token kept in .prefrontal-token beside the config (made on the
    first serve); open the printed address once in a browser and the page keeps it.
    """
    if importlib.util.find_spec("uvicorn") is None or importlib.util.find_spec("fastapi") is None:
        fail("serve needs the web extra, which is not installed: pip install 'prefrontal[web]'")
    import anyio
    import uvicorn

    from prefrontal.http.app import build_app
    from prefrontal.http.auth import load_or_create_token
    from prefrontal.runtime.client import Client
    from prefrontal.runtime.notify import notifier_of
    from prefrontal.runtime.system import open_system

    cfg = load(config)
    with friendly_errors():
        token = load_or_create_token(cfg, host)

    async def main() -> None:
        async with open_system(cfg) as system:
            if not quiet:
                system.observe(Transcript())
            notifier = notifier_of(cfg, system)
            app = build_app(Client(cfg, system.journal, system), token)
            server = uvicorn.Server(
                uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off")
            )
            say(
                f"Serving http://{host}:{port}/?token={token} (API schema at /openapi.json); "
                "Ctrl-C stops."
            )
            async with anyio.create_task_group() as tg:
                tg.start_soon(partial(system.serve, poll_s=poll))
                if notifier is not None:
                    tg.start_soon(notifier.run)
                await server.serve()
                tg.cancel_scope.cancel()

    with suppress(KeyboardInterrupt):
        run_async(main)
    say("Stopped.")
