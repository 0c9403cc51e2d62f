"""A scripted OpenAI-compatible chat server on 127.0.0.1, for CI: the wire, not the judgement.

It stands in for llama.cpp's server, Ollama or vLLM (which CI does not build), so the real
OpenAI client and pydantic-ai speak real HTTP to it: what was sent (``tool_choice``,
``response_format``, ``max_tokens``) is recorded per request, and a step can answer a tool
call, text, an HTTP error, or never answer at all.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Generator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Text:
    """Answer with plain message content."""

    content: str


@dataclass(frozen=True)
class Call:
    """Answer with a call of the named tool, or of the request's only or named tool."""

    arguments: dict[str, Any] | str
    name: str | None = None


@dataclass(frozen=True)
class Status:
    """Answer with an HTTP error."""

    code: int
    body: str = '{"error": {"message": "scripted failure"}}'


@dataclass(frozen=True)
class Hang:
    """Never answer (until the server stops)."""


Step = Text | Call | Status | Hang
Responder = Callable[[dict[str, Any]], Step]


class ScriptedServer:
    """Answers each chat completion with the next step (the last repeats), or a responder."""

    def __init__(self, script: Sequence[Step] | Responder, *, input_tokens: int = 50) -> None:
        self.script = script
        self.input_tokens = input_tokens
        self.requests: list[dict[str, Any]] = []
        self._stop = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}/v1"

    def _next(self, body: dict[str, Any]) -> Step:
        if callable(self.script):
            return self.script(body)
        return self.script[min(len(self.requests) - 1, len(self.script) - 1)]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: tests read ``requests``."""

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                server.requests.append(body)
                step = server._next(body)
                if isinstance(step, Hang):
                    server._stop.wait(60)
                    return
                if isinstance(step, Status):
                    self._send(step.code, step.body.encode())
                    return
                self._send(200, json.dumps(server.completion(body, step)).encode())

            def _send(self, code: int, data: bytes) -> None:
                self.send_response(code)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        return Handler

    def completion(self, body: dict[str, Any], step: Text | Call) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": None}
        if isinstance(step, Text):
            message["content"] = step.content
            out = len(step.content) // 4 + 1
        else:
            args = step.arguments if isinstance(step.arguments, str) else json.dumps(step.arguments)
            name = step.name or tool_name(body)
            message["tool_calls"] = [
                {"id": "call-1", "type": "function", "function": {"name": name, "arguments": args}}
            ]
            out = len(args) // 4 + 1
        return {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "scripted"),
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            "usage": {
                "prompt_tokens": self.input_tokens,
                "completion_tokens": out,
                "total_tokens": self.input_tokens + out,
            },
        }

    def start(self) -> ScriptedServer:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()


def tool_name(body: dict[str, Any]) -> str:
    """The tool a request names in ``tool_choice``, else its first tool."""
    choice = body.get("tool_choice")
    if isinstance(choice, dict):
        return str(choice["function"]["name"])  # type: ignore[index]
    tools: list[dict[str, Any]] = body.get("tools") or [{"function": {"name": "final_result"}}]
    return str(tools[0]["function"]["name"])


@contextmanager
def scripted_server(script: Sequence[Step] | Responder, **kwargs: Any) -> Generator[ScriptedServer]:
    server = ScriptedServer(script, **kwargs).start()
    try:
        yield server
    finally:
        server.stop()


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def like_llama_cpp(body: dict[str, Any], answer: dict[str, Any]) -> Step:
    """llama.cpp's server as measured: only a named tool choice or JSON-object mode hold."""
    messages: list[dict[str, Any]] = body.get("messages", [])
    if any("content" in m and m["content"] is None for m in messages):
        # llama-cpp-python's request model wants a string: it answers 500, not 400.
        return Status(500, '{"error": {"message": "messages: Input should be a valid string"}}')
    choice = body.get("tool_choice")
    form = (body.get("response_format") or {}).get("type")
    if isinstance(choice, dict):
        return Call(answer)
    if form == "json_schema":
        return Status(500, '{"error": {"message": "json_schema is not supported"}}')
    if form == "json_object":
        return Text(json.dumps(answer))
    return Text("Sure! Here is my answer: " + json.dumps(answer)[:10])
