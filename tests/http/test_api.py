"""The HTTP API of a real ``prefrontal serve`` on 127.0.0.1, driven by an HTTP client."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.http.conftest import Served, household_config, prefrontal


def items(served: Served) -> list[dict[str, Any]]:
    return served.http().get("/api/inbox").json()


def pending(served: Served, kind: str = "escalation") -> list[dict[str, Any]]:
    return [i for i in items(served) if i["state"] == "pending" and i["item"] == kind]


def journal(served: Served, kind: str) -> list[dict[str, Any]]:
    page = served.http().get("/api/journal", params={"kind": kind, "limit": 1000}).json()
    return page["events"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/inbox"),
        ("GET", "/api/events"),
        ("GET", "/openapi.json"),
        ("GET", "/"),
        ("POST", "/api/ask"),
        ("POST", "/api/timers/t-1/cancel"),
    ],
)
@pytest.mark.parametrize("token", ["", "wrong-token"])
def test_a_request_without_the_token_is_refused(
    served: Served, method: str, path: str, token: str
) -> None:
    response = served.http(token=token).request(method, path, json={"text": "pay 1"})
    assert response.status_code == 401
    assert response.json()["error"] == "Unauthorized"
    assert "Authorization: Bearer TOKEN" in response.json()["message"]
    assert pending(served) == []  # nothing was asked


def test_ask_approve_and_the_payment_runs_once(served: Served) -> None:
    http = served.http()
    submitted = http.post("/api/ask", json={"text": "pay the electricity bill of 84.20"})
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["queued"] is False
    (waiting,) = served.until(lambda: pending(served), "the escalation")
    assert waiting["domain"] == "money"
    approved = http.post(f"/api/inbox/{waiting['item_id']}/approve", json={"note": "ok"})
    assert approved.json() == {"item_id": waiting["item_id"], "queued": False}
    served.until(lambda: journal(served, "report"), "the payment's report")
    again = http.post(f"/api/inbox/{waiting['item_id']}/approve", json={"note": ""})
    assert again.status_code == 400
    assert again.json()["error"] == "UsageError"
    assert (
        f"inbox item '{waiting['item_id']}' was already answered: approved"
        in (again.json()["message"])
    )
    assert [r["record"]["worker"] for r in journal(served, "report")] == ["pay_bill"]


def test_timers_list_and_cancel_with_the_cli_s_message_twice(served: Served) -> None:
    http = served.http()
    http.post("/api/ask", json={"text": "turn the lights off at 23:59"})
    (timer,) = served.until(lambda: http.get("/api/timers").json(), "the timer")
    assert timer["state"] == "pending"
    assert timer["domain"] == "home"
    cancelled = http.post(f"/api/timers/{timer['timer_id']}/cancel")
    assert cancelled.json()["state"] == "cancelled"
    assert http.get("/api/timers").json()[0]["state"] == "cancelled"
    twice = http.post(f"/api/timers/{timer['timer_id']}/cancel")
    assert twice.status_code == 400
    assert (
        f"timer '{timer['timer_id']}' is cancelled; pending timers: []" in (twice.json()["message"])
    )


def test_a_domain_s_memory_and_costs(served: Served) -> None:
    http = served.http()
    http.post("/api/ask", json={"text": "my steps were 4000 6000 8000"})
    memory = served.until(
        lambda: http.get("/api/domains/health/memory").json()["notes"], "a memory note"
    )
    assert memory[0].startswith("Steps: mean 6000")
    unknown = http.get("/api/domains/nowhere/memory")
    assert unknown.status_code == 400
    assert "domains: ['health', 'home', 'money']" in unknown.json()["message"]
    costs = http.get("/api/costs").json()
    assert set(costs["by"]) == {"domain", "worker", "tier", "source", "model"}
    assert [d["domain"] for d in http.get("/api/domains").json()] == ["home", "health", "money"]


def test_the_journal_pages_and_names_the_kinds(served: Served) -> None:
    http = served.http()
    http.post("/api/ask", json={"text": "my steps were 1 2 3"})
    served.until(lambda: pending(served, "reply") or journal(served, "inbox"), "a reply")
    first = http.get("/api/journal", params={"limit": 2}).json()
    assert [e["seq"] for e in first["events"]] == [1, 2]
    after = http.get("/api/journal", params={"after": first["next_after"], "limit": 2}).json()
    assert after["events"][0]["seq"] == 3
    bogus = http.get("/api/journal", params={"kind": "bogus"})
    assert bogus.status_code == 400
    assert "unknown event kind 'bogus'; kinds: request, routed" in bogus.json()["message"]


def test_the_event_stream_carries_the_reply_live(served: Served) -> None:
    http = served.http()
    with http.stream("GET", "/api/events", params={"after": 0}) as stream:
        http.post("/api/ask", json={"text": "my steps were 10 20 30"})
        kinds: list[str] = []
        for line in stream.iter_lines():
            if line.startswith("data: "):
                event = json.loads(line[6:])
                kinds.append(event["kind"])
                if event["kind"] == "inbox":
                    assert event["line"].startswith("inbox reply")
                    break
    assert kinds[:2] == ["request", "routed"]


def test_the_openapi_schema_types_every_endpoint(served: Served) -> None:
    schema = served.http().get("/openapi.json").json()
    paths = schema["paths"]
    for path in (
        "/api/ask",
        "/api/inbox",
        "/api/inbox/{item_id}/approve",
        "/api/timers",
        "/api/domains/{domain}/memory",
        "/api/costs",
        "/api/journal",
        "/api/events",
    ):
        assert path in paths
    assert "SubmittedOut" in schema["components"]["schemas"]


def test_pending_items_survive_a_restart(served: Served) -> None:
    served.http().post("/api/ask", json={"text": "pay the electricity bill of 84.20"})
    (waiting,) = served.until(lambda: pending(served), "the escalation")
    served.stop()
    served.start()
    assert [i["item_id"] for i in pending(served)] == [waiting["item_id"]]


def test_a_non_loopback_bind_without_a_token_refuses_to_start(tmp_path: Path) -> None:
    config = household_config(tmp_path / "household")
    done = subprocess.run(
        prefrontal("serve", "-c", str(config), "--host", "0.0.0.0", "--port", "9"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "is not a loopback address and there is no token" in done.stderr
    assert not (config.parent / ".prefrontal-token").exists()


def test_a_page_post_from_another_site_cannot_carry_the_token(served: Served) -> None:
    """The cookie is SameSite=Strict and HttpOnly; writes take JSON only."""
    http = httpx.Client(base_url=served.base, timeout=20)
    moved = http.get("/", params={"token": served.token}, follow_redirects=False)
    assert moved.status_code == 303
    cookie = moved.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "samesite=strict" in cookie.lower()
    form = http.post("/api/ask", data={"text": "pay 1"})  # a form post: refused
    assert form.status_code in (401, 422)
