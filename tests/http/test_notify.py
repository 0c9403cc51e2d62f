"""Notifications: a command and a webhook (a local HTTP server), retries, the budget, failures."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from tests.http.conftest import Served, free_port, household_config


class Hook:
    """A local webhook receiver that fails its first ``failures`` calls with 503."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.received: list[dict[str, Any]] = []
        self.calls = 0
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.calls += 1
                if hook.calls <= hook.failures:
                    self.send_response(503)
                else:
                    hook.received.append(json.loads(body))
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def __enter__(self) -> Hook:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook() -> Iterator[Hook]:
    with Hook(failures=2) as running:
        yield running


def serve_with(tmp_path: Path, extra: str) -> Served:
    served = Served(household_config(tmp_path / "household", extra), free_port())
    served.start()
    return served


def test_an_interrupting_item_reaches_the_webhook_after_retries(tmp_path: Path, hook: Hook) -> None:
    served = serve_with(tmp_path, f'notify_url = "{hook.url}"\nnotify_retries = 3')
    try:
        http = served.http()
        http.post("/api/ask", json={"text": "pay the electricity bill of 84.20"})
        served.until(lambda: hook.received, "the webhook")
        (notice,) = hook.received
        assert notice["kind"] == "escalation"
        assert notice["priority"] == "urgent"
        assert notice["text"] == "Pay 84.20 for the electricity bill?"
        assert hook.calls == 3  # two 503s, then delivered
        http.post("/api/ask", json={"text": "turn the lights off at 23:59"})  # low: digest
        served.until(lambda: http.get("/api/timers").json(), "the timer")
        assert len(hook.received) == 1, "a digest item must not notify"
    finally:
        served.stop()


def test_a_command_notifier_runs_with_the_item_s_fields(tmp_path: Path) -> None:
    out = tmp_path / "notices.txt"
    command = json.dumps(["sh", "-c", f'printf "%s|%s\\n" "$0" "$1" >> {out}', "{title}", "{text}"])
    served = serve_with(tmp_path, f"notify = {command}")
    try:
        served.http().post("/api/ask", json={"text": "pay the electricity bill of 84.20"})
        served.until(lambda: out.exists() and out.read_text(), "the command's output")
        assert out.read_text().splitlines() == [
            "Prefrontal: escalation from money (urgent)|Pay 84.20 for the electricity bill?"
        ]
    finally:
        served.stop()


def test_a_notice_that_keeps_failing_is_journaled_in_the_digest(tmp_path: Path) -> None:
    with Hook(failures=100) as failing:
        served = serve_with(tmp_path, f'notify_url = "{failing.url}"\nnotify_retries = 1')
        try:
            http = served.http()
            http.post("/api/ask", json={"text": "pay the electricity bill of 84.20"})
            digest = served.until(
                lambda: http.get("/api/inbox", params={"digest": True}).json(), "the failure"
            )
            (failure,) = digest
            assert failure["item_id"] == "n-i-money-2-0"
            assert "answered 503 (after 2 attempts)" in failure["text"]
            assert failing.calls == 2
        finally:
            served.stop()
