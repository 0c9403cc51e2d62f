"""The web inbox page: server-rendered HTML; every text goes through ``printable`` and escaping.

Sections (``waiting``, ``transcript``, ``timers``, ``domains``, ``digest``) render alone too, so
the page's little script can refresh one when the event stream says it changed.
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from prefrontal.runtime.client import Client
from prefrontal.runtime.inbox import InboxEntry
from prefrontal.seam.printable import printable
from prefrontal.seam.render import one_line

HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def t(value: object) -> str:
    """Text as HTML text: made printable, then escaped (quotes too)."""
    return escape(printable(str(value)), quote=True)


def _button(action: str, target: str, label: str, extra: str = "") -> str:
    return f'<button data-action="{t(action)}" data-id="{t(target)}"{extra}>{t(label)}</button>'


def _item(entry: InboxEntry, domains: tuple[str, ...]) -> str:
    item = entry.item
    if item.item == "question":
        buttons = "".join(
            _button("route", item.item_id, f"→ {d}", f' data-domain="{t(d)}"') for d in domains
        )
    else:
        buttons = _button("approve", item.item_id, "Approve") + _button(
            "deny", item.item_id, "Deny"
        )
    return (
        f'<li class="item {t(item.priority)}" data-item="{t(item.item_id)}">'
        f'<div class="meta"><code>{t(item.item_id)}</code> {t(item.domain or "router")} · '
        f"{t(item.item)} · {t(item.priority)} · {item.at:%m-%d %H:%M}</div>"
        f'<p class="text">{t(item.text)}</p><div class="buttons">{buttons}</div></li>'
    )


def waiting(client: Client) -> str:
    pending = [e for e in client.inbox() if e.pending]
    domains = tuple(client.config.domains)
    items = "".join(_item(e, domains) for e in reversed(pending))
    return f"<h2>Waiting for you ({len(pending)})</h2><ul>{items or '<li>Nothing.</li>'}</ul>"


def transcript(client: Client) -> str:
    last = client.journal.last_seq()
    found = client.page(after=max(last - 40, 0), limit=40).events
    lines = "".join(
        f'<li class="{t(s.event.kind)}"><span class="seq">#{s.seq}</span> '
        f"{t(printable(one_line(s.event), one_line=True))}</li>"
        for s in found
    )
    return f'<h2>Transcript</h2><ol id="lines" data-last="{last}">{lines}</ol>'


def timers(client: Client) -> str:
    pending = sorted((x for x in client.timers() if x.state == "pending"), key=lambda x: x.due_at)
    rows = "".join(
        f'<li data-timer="{t(x.timer_id)}"><code>{t(x.timer_id)}</code> {t(x.domain)}: '
        f"{t(x.name)} · due {x.due_at:%Y-%m-%d %H:%M} "
        f"{_button('cancel', x.timer_id, 'Cancel')}</li>"
        for x in pending
    )
    return f"<h2>Timers ({len(pending)})</h2><ul>{rows or '<li>None pending.</li>'}</ul>"


def domains(client: Client) -> str:
    parts: list[str] = []
    for name in client.config.domains:
        memory = client.memory(name)
        notes = "".join(f"<li>{t(n)}</li>" for n in memory.notes)
        summaries = "".join(f'<li class="summary">{t(n)}</li>' for n in memory.compacted)
        parts.append(
            f'<details data-domain="{t(name)}"><summary>{t(name)} · '
            f"{memory.decisions} decisions · ${memory.spent_usd:.4f} spent · "
            f"{len(memory.notes)} notes</summary>"
            f'<ul class="memory">{notes}{summaries or ""}</ul></details>'
        )
    return "<h2>Domains</h2>" + "".join(parts)


def digest(client: Client) -> str:
    items = [e for e in client.inbox() if e.item.delivery == "digest"]
    lines = "".join(
        f'<li class="{t(e.item.priority)}">{t(e.item.domain or "router")}: {t(e.item.text)}</li>'
        for e in items[-50:]
    )
    return f"<h2>Digest ({len(items)})</h2><ul>{lines or '<li>Empty.</li>'}</ul>"


SECTIONS: dict[str, Callable[[Client], str]] = {
    "waiting": waiting,
    "transcript": transcript,
    "timers": timers,
    "domains": domains,
    "digest": digest,
}


def section(client: Client, name: str) -> str:
    render = SECTIONS.get(name)
    return render(client) if render is not None else ""


def render(client: Client) -> str:
    options = "".join(f'<option value="{t(d)}">{t(d)}</option>' for d in client.config.domains)
    body = "".join(
        f'<section id="{n}">{render(client)}</section>' for n, render in SECTIONS.items()
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Prefrontal · {t(client.config.principal.name)}</title>"
        '<link rel="stylesheet" href="/static/app.css"></head><body>'
        "<header><h1>Prefrontal</h1>"
        '<form id="ask"><input id="text" name="text" autocomplete="off" '
        'placeholder="Ask… (@domain to address one)" required>'
        f'<select id="domain"><option value="">router</option>{options}</select>'
        '<button type="submit">Ask</button></form><p id="status" role="status"></p></header>'
        f"<main>{body}</main>"
        '<script src="/static/app.js"></script></body></html>'
    )
