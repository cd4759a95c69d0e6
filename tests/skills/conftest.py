"""Fixtures for the skill layer: fake OpenAI-compatible servers (the tiny policy is the suite's)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

import pytest


class FakeServer:
    """An OpenAI-compatible stand-in: `behavior(n, body) -> (status, json or None, headers, delay_s)`.

    Records every request as `{"path", "headers", "body", "at"}` (header names lower-cased, since
    clients differ in case; `at` the `time.monotonic()` of its arrival).
    """

    def __init__(self, behavior: Callable[[int, dict], tuple]):
        self.requests: list[dict] = []
        self.behavior = behavior
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length).decode("utf-8"))
                fake.requests.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                                      "body": body, "at": time.monotonic()})
                status, obj, headers, delay = fake.behavior(len(fake.requests), body)
                if delay:
                    threading.Event().wait(delay)
                data = json.dumps(obj).encode("utf-8") if obj is not None else b"not json"
                try:
                    self.send_response(status)
                    for k, v in (headers or {}).items():
                        self.send_header(k, v)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up (timeout test)
                    pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                pass

        self.server = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def chat_reply(text: str) -> dict:
    return {"id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": "fake",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}


@pytest.fixture
def fake_server():
    """Factory: `fake_server(behavior)` starts a FakeServer, closed after the test."""
    servers: list[FakeServer] = []

    def make(behavior):
        servers.append(FakeServer(behavior))
        return servers[-1]

    yield make
    for s in servers:
        s.close()


@pytest.fixture
def reply():
    """`reply(text)`: an OpenAI chat.completion body whose message content is `text`."""
    return chat_reply
