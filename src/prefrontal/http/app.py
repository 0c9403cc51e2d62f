"""The API and the page's routes, on the one client. Build with ``build_app(client, token)``."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Awaitable, Callable
from importlib import resources
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import (
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)

from prefrontal.errors import PrefrontalError, UsageError
from prefrontal.http import page
from prefrontal.http.auth import COOKIE, same_token
from prefrontal.http.schemas import (
    AnsweredOut,
    AskBody,
    CostOut,
    CostsOut,
    DomainOut,
    Error,
    EventOut,
    Item,
    JournalPageOut,
    MemoryOut,
    NoteBody,
    RouteBody,
    SubmittedOut,
    TimerOut,
)
from prefrontal.journal.base import Stored
from prefrontal.runtime.client import Client
from prefrontal.runtime.costs import Axis
from prefrontal.seam.printable import printable
from prefrontal.seam.render import one_line

_AXES: tuple[Axis, ...] = ("domain", "worker", "tier", "source", "model")


class AuthError(Exception):
    """No token, or a wrong one."""


def event_out(stored: Stored) -> EventOut:
    event = stored.event
    return EventOut(
        seq=stored.seq,
        kind=event.kind,
        at=event.at,
        domain=getattr(event, "domain", None),
        line=printable(one_line(event), one_line=True),
        record=event.model_dump(mode="json"),
    )


def _error(status: int, error: Exception, name: str | None = None) -> JSONResponse:
    body = Error(
        error=name or type(error).__name__,
        message=printable(str(error)),
        retryable=bool(getattr(error, "retryable", False)),
    )
    return JSONResponse(body.model_dump(), status_code=status)


def build_app(client: Client, token: str, *, stream_poll_s: float = 0.2) -> FastAPI:
    """The FastAPI app: ``/api/...`` (JSON, bearer token or cookie) and the page at ``/``."""
    app = FastAPI(
        title="Prefrontal",
        summary="The principal's inbox, requests, timers, memory, costs and journal.",
        responses={401: {"model": Error}, 400: {"model": Error}},
        openapi_url=None,  # served below, behind the token; no docs page (it needs a CDN)
        docs_url=None,
        redoc_url=None,
    )

    def authorized(request: Request) -> None:
        header = request.headers.get("authorization", "")
        bearer = header.removeprefix("Bearer ") if header.startswith("Bearer ") else None
        if not (same_token(bearer, token) or same_token(request.cookies.get(COOKIE), token)):
            raise AuthError("a valid token is required: 'Authorization: Bearer TOKEN' (the token "
                            "is in .prefrontal-token beside prefrontal.toml)")  # fmt: skip

    api = APIRouter(dependencies=[Depends(authorized)])

    @app.exception_handler(AuthError)
    async def _unauthorized(_: Request, error: AuthError) -> JSONResponse:
        return _error(401, error, "Unauthorized")

    @app.exception_handler(PrefrontalError)
    async def _prefrontal(_: Request, error: PrefrontalError) -> JSONResponse:
        return _error(400 if isinstance(error, UsageError) else 503, error)

    @api.post("/api/ask", response_model=SubmittedOut)
    async def ask(body: AskBody) -> SubmittedOut:
        """Journal a request; its replies arrive in the inbox and on the event stream."""
        return SubmittedOut.of(await client.ask(body.text, domain=body.domain, wait=False))

    @api.get("/api/inbox", response_model=list[Item])
    async def inbox(digest: bool = False) -> list[Item]:
        """Every inbox item (``digest=true``: only the digest), oldest first."""
        entries = client.inbox()
        return [Item.entry(e) for e in entries if not digest or e.item.delivery == "digest"]

    @api.post("/api/inbox/{item_id}/approve", response_model=AnsweredOut)
    async def approve(item_id: str, body: NoteBody) -> AnsweredOut:
        return AnsweredOut.of(await client.approve(item_id, note=body.note))

    @api.post("/api/inbox/{item_id}/deny", response_model=AnsweredOut)
    async def deny(item_id: str, body: NoteBody) -> AnsweredOut:
        return AnsweredOut.of(await client.deny(item_id, note=body.note))

    @api.post("/api/inbox/{item_id}/route", response_model=AnsweredOut)
    async def route(item_id: str, body: RouteBody) -> AnsweredOut:
        return AnsweredOut.of(await client.route(item_id, body.domain))

    @api.get("/api/timers", response_model=list[TimerOut])
    async def timers() -> list[TimerOut]:
        return [TimerOut.of(t) for t in client.timers(ended=True)]

    @api.post("/api/timers/{timer_id}/cancel", response_model=TimerOut)
    async def cancel(timer_id: str) -> TimerOut:
        return TimerOut.of(await client.cancel_timer(timer_id))

    @api.get("/api/domains", response_model=list[DomainOut])
    async def domains() -> list[DomainOut]:
        return [
            DomainOut(
                domain=name,
                charter=spec.charter,
                workers=list(spec.workers),
                budget_usd_per_day=float(spec.budget.usd_per_day),
            )
            for name, spec in client.config.domains.items()
        ]

    @api.get("/api/domains/{domain}/memory", response_model=MemoryOut)
    async def memory(domain: str) -> MemoryOut:
        return MemoryOut.of(client.memory(domain))

    @api.get("/api/costs", response_model=CostsOut)
    async def costs() -> CostsOut:
        ledger = client.costs()
        by = {axis: [CostOut.of(k, t) for k, t in ledger.by(axis).items()] for axis in _AXES}
        return CostsOut(total=CostOut.of("total", ledger.total), by=by)

    @api.get("/api/journal", response_model=JournalPageOut)
    async def journal(
        after: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        kind: Annotated[list[str] | None, Query()] = None,
        domain: str | None = None,
    ) -> JournalPageOut:
        """A page of the journal after seq ``after``; pass ``next_after`` for the next page."""
        found = client.page(after=after, limit=limit, kinds=kind, domain=domain)
        return JournalPageOut(
            events=[event_out(s) for s in found.events],
            next_after=found.next_after,
            last_seq=found.last_seq,
        )

    @api.get("/api/events", response_class=StreamingResponse)
    async def events(request: Request, after: int | None = None) -> StreamingResponse:
        """Server-sent events: every journaled event after ``after`` (or Last-Event-ID)."""
        start = after
        if start is None:
            last_id = request.headers.get("last-event-id")
            start = int(last_id) if last_id and last_id.isdigit() else client.journal.last_seq()
        return StreamingResponse(
            _stream(client, start, request.is_disconnected, stream_poll_s),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store"},
        )

    @api.get("/openapi.json", include_in_schema=False)
    async def schema() -> JSONResponse:
        return JSONResponse(app.openapi())

    app.include_router(api)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def home(
        request: Request, token_given: Annotated[str | None, Query(alias="token")] = None
    ) -> Response:
        if token_given is not None and same_token(token_given, token):
            moved = RedirectResponse("/", status_code=303)
            moved.set_cookie(COOKIE, token, httponly=True, samesite="strict", path="/")
            return moved
        authorized(request)
        return HTMLResponse(page.render(client), headers=page.HEADERS)

    @api.get("/fragment/{section}", response_class=HTMLResponse, include_in_schema=False)
    async def fragment(section: str) -> HTMLResponse:
        return HTMLResponse(page.section(client, section), headers=page.HEADERS)

    @app.get("/static/{name}", include_in_schema=False)
    async def static(name: str) -> Response:
        if name not in ("app.js", "app.css"):
            return Response(status_code=404)
        body = (resources.files("prefrontal.http") / "static" / name).read_text("utf-8")
        kind = "text/javascript" if name.endswith(".js") else "text/css"
        return Response(body, media_type=kind, headers={"Cache-Control": "no-store"})

    return app


async def _stream(
    client: Client, after: int, gone: Callable[[], Awaitable[bool]], poll_s: float
) -> AsyncGenerator[str, None]:
    yield ": prefrontal event stream\n\n"
    while not await gone():
        found = client.journal.read(after=after, limit=200)
        for stored in found:
            after = stored.seq
            data: dict[str, Any] = event_out(stored).model_dump(mode="json")
            yield f"id: {stored.seq}\nevent: journal\ndata: {json.dumps(data)}\n\n"
        if not found:
            await anyio.sleep(poll_s)
