"""An OpenAI-compatible chat endpoint for a policy (`siri serve`; docs/algorithms.md §4 `external` generator).

Why: the `external` skill generator talks to any OpenAI-compatible server, and a trained policy is
deployed the same way (plain prompts: the client sends the step prompt as the user message). Stdlib
only (`http.server.ThreadingHTTPServer`); bound to 127.0.0.1 by default, no authentication.

- `POST /v1/chat/completions`: `messages` (roles system/user/assistant, string content or a list of
  text parts), `temperature` (0-2, default 1.0), `top_p`, `max_tokens` (or `max_completion_tokens`,
  default 256), `stop` (a string or up to 4), `n` (1-16), `seed`; limits and ranges are in
  `siri.policy.serve_requests`. The messages go through the model's chat template; sampling uses
  `siri.policy.sampling.sample` until eos / end-of-turn, a stop string or the token limit (clipped to
  the model's context). The reply is the standard `chat.completion` object; text stops before a stop
  string, as OpenAI's does; `finish_reason` is `stop` or `length`. The `model` field is not checked.
- `GET /v1/models`: the one served model. `GET /health`: `{"status": "ok"}`.
- Every error, http.server's own included, is OpenAI-style JSON `{"error": {"message", "type",
  "param", "code"}}`: 400/411/413 for bad requests, 404 unknown path, 405 (with `Allow`) wrong method.

Each connection gets a thread (listen backlog 128, so bursts of clients are queued, not reset); the
model runs one request at a time behind a lock (it is not shared across threads). A generation whose
client has disconnected stops at its next decoding step, so it does not hold the lock for nothing.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
import traceback
import uuid
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

import torch

from siri.policy.loading import eos_token_ids
from siri.policy.sampling import SamplingCancelled, sample
from siri.policy.serve_requests import (
    MAX_BODY_BYTES,
    ChatRequest,
    RequestError,
    body_length,
    error_body,
    parse_json,
    parse_request,
)

LISTEN_BACKLOG = 128
READ_TIMEOUT_S = 30.0  # a client must send each part of its request within this
LINGER_S, LINGER_BYTES = 3.0, 32 * 1024 * 1024  # what is read and dropped of a refused request's body
ROUTES = {"/v1/chat/completions": "POST", "/v1/models": "GET", "/health": "GET"}


def cut_at_stop(text: str, stops: list[str]) -> str:
    """The text before the earliest stop string (OpenAI does not return the stop sequence)."""
    cuts = [text.find(s) for s in stops if s in text]
    return text[: min(cuts)] if cuts else text


class ChatBackend:
    """The model side of the server: chat template, sampling, response objects. Thread-safe (a lock)."""

    def __init__(self, model: Any, tokenizer: Any, model_name: str = "policy", seed: int = 0):
        self.model = model
        self.tokenizer = tokenizer
        self.model_name = model_name
        self.created = int(time.time())
        self.eos = eos_token_ids(model, tokenizer)
        self.context = getattr(getattr(model, "config", None), "max_position_embeddings", None)
        # No token spans more characters than the longest vocabulary entry, so a prompt over
        # context * that (twice, for normalizers) cannot fit and is refused without tokenizing it.
        longest = max((len(t) for t in tokenizer.get_vocab()), default=0) if hasattr(tokenizer, "get_vocab") else 0
        self.max_prompt_chars = 2 * self.context * longest if self.context and longest else None
        device = next(model.parameters()).device
        self.rng = torch.Generator(device=device).manual_seed(seed)
        self.lock = threading.Lock()

    def prompt_ids(self, messages: list[dict[str, str]]) -> list[int]:
        if not getattr(self.tokenizer, "chat_template", None):
            raise RequestError("the served model's tokenizer has no chat template", status=500)
        try:
            text = self.tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        except Exception as e:  # template-side validation (e.g. role order) is the client's error
            raise RequestError(f"the chat template rejected the messages: {e}", "messages") from None
        self._check_prompt_chars(len(text))
        return list(self.tokenizer.encode(text, add_special_tokens=False))

    def _check_prompt_chars(self, chars: int) -> None:
        if self.max_prompt_chars and chars > self.max_prompt_chars:
            raise RequestError(f"the prompt holds {chars} characters, more than fit in the model's context "
                               f"of {self.context} tokens", "messages")

    def models(self) -> dict[str, Any]:
        return {"object": "list", "data": [
            {"id": self.model_name, "object": "model", "created": self.created, "owned_by": "siri"}]}

    def complete(self, body: Any, cancelled: Callable[[], bool] | None = None) -> dict[str, Any]:
        """Answer one decoded request body. `cancelled` (the client has gone) is polled while the
        request waits for the model and between decoding steps; SamplingCancelled ends the request."""
        req = parse_request(body)
        self._check_prompt_chars(sum(len(m["content"]) for m in req.messages))  # before waiting for the lock
        while not self.lock.acquire(timeout=0.1):
            if cancelled is not None and cancelled():
                raise SamplingCancelled("the client left while the request waited for the model")
        try:  # the tokenizer is used under the lock too: HF fast tokenizers are not thread-safe
            return self._complete(req, cancelled)
        finally:
            self.lock.release()

    def _complete(self, req: ChatRequest, cancelled: Callable[[], bool] | None) -> dict[str, Any]:
        ids = self.prompt_ids(req.messages)
        max_new = req.max_tokens
        if self.context:
            if len(ids) >= self.context:
                raise RequestError(f"the prompt has {len(ids)} tokens; the model's context is {self.context}", "messages")
            max_new = min(max_new, self.context - len(ids))
        out = sample(self.model, [ids] * req.n, max_new_tokens=max_new, temperature=req.temperature,
                     top_p=req.top_p, stop=req.stop, tokenizer=self.tokenizer, eos_token_id=self.eos,
                     pad_token_id=self.tokenizer.pad_token_id, seed=req.seed,
                     rng=None if req.seed is not None else self.rng, cancelled=cancelled)
        choices = []
        for i, s in enumerate(out):
            text = cut_at_stop(self.tokenizer.decode(s.ids, skip_special_tokens=True), req.stop)
            choices.append({"index": i, "message": {"role": "assistant", "content": text}, "logprobs": None,
                            "finish_reason": "length" if s.finish_reason == "length" else "stop"})
        completion = out.num_tokens
        return {"id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion", "created": int(time.time()),
                "model": self.model_name, "choices": choices,
                "usage": {"prompt_tokens": len(ids), "completion_tokens": completion,
                          "total_tokens": len(ids) + completion}}


class ChatHandler(BaseHTTPRequestHandler):
    """Routes requests to the server's `backend`; every reply is JSON. HTTP/1.0: one request per
    connection, so per-request state lives on the handler."""

    server_version = "siri-serve"
    default_request_version = "HTTP/1.0"  # errors on a garbled request line still get a status line
    quiet = False
    timeout = READ_TIMEOUT_S  # applied to the socket by StreamRequestHandler.setup
    body_read = False  # set once the request body has been consumed
    linger = False  # a refused request's body is still unread: drain it before closing

    def log_message(self, format: str, *args: Any) -> None:
        if not self.quiet:
            super().log_message(format, *args)

    def _send(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(obj).encode("utf-8")
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if status >= 400:
            self.close_connection = True
            self.send_header("Connection", "close")
            self.linger = not self.body_read and self._has_body()
        try:
            self.end_headers()
            if getattr(self, "command", None) != "HEAD":  # HEAD replies carry headers only (RFC 9110 §9.3.2)
                self.wfile.write(data)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):  # the client left; nothing to tell it
            self.close_connection = True

    def _error(self, status: int, message: str, param: str | None = None,
               headers: dict[str, str] | None = None) -> None:
        self._send(status, error_body(message, param, "invalid_request_error" if status < 500 else "server_error"),
                   headers)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own errors (malformed request line, oversized headers, unknown method) as JSON."""
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "error"
        self.log_error("code %d, message %s", code, message)
        self._error(code, message or explain or phrase)

    def _has_body(self) -> bool:
        headers = getattr(self, "headers", None)
        if headers is None:
            return False
        return bool(headers.get("Transfer-Encoding")) or headers.get("Content-Length", "0").strip() not in ("", "0")

    def _path(self) -> str:
        return self.path.split("?", 1)[0].rstrip("/")

    def _route(self) -> None:
        path, method = self._path(), self.command
        allowed = ROUTES.get(path)
        if allowed is None:
            self._error(404, f"unknown path {path!r}; try POST /v1/chat/completions or GET /v1/models")
        elif method != allowed:
            self._error(405, f"{method} is not allowed on {path}; use {allowed}", headers={"Allow": allowed})
        elif path == "/v1/chat/completions":
            self._chat()
        elif path == "/v1/models":
            self._send(200, self.server.backend.models())
        else:
            self._send(200, {"status": "ok"})

    do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _route

    def _chat(self) -> None:
        try:
            length = body_length(self.headers.get_all("Content-Length") or [], self.headers.get("Transfer-Encoding"),
                                 self.server.max_body_bytes)
            body = parse_json(self._read_body(length))
            reply = self.server.backend.complete(body, cancelled=self._client_gone)
        except RequestError as e:
            self._error(e.status, str(e), e.param)
            return
        except SamplingCancelled as e:
            self.close_connection = True
            self.log_message("client disconnected; %s", e)
            return
        except Exception as e:  # a server bug: report it as JSON and keep serving
            traceback.print_exc(file=sys.stderr)
            self._error(500, f"internal error: {type(e).__name__}: {e}")
            return
        self._send(200, reply)

    def _read_body(self, length: int) -> bytes:
        try:
            raw = self.rfile.read(length)
        except TimeoutError:
            raise RequestError(f"the request body did not arrive within {self.timeout:g} s", status=408) from None
        if len(raw) < length:
            raise RequestError(f"the request body ended after {len(raw)} of {length} bytes (Content-Length)")
        self.body_read = True
        return raw

    def _client_gone(self) -> bool:
        """True once the client has closed its connection: a non-blocking peek reads end-of-file.
        (A client that half-closes its side after sending would look gone; HTTP clients do not.)"""
        sock = self.connection
        timeout = sock.gettimeout()
        try:
            sock.settimeout(0.0)
            return sock.recv(1, socket.MSG_PEEK) == b""
        except BlockingIOError:  # nothing to read: still connected
            return False
        except OSError:
            return True
        finally:
            try:
                sock.settimeout(timeout)
            except OSError:
                pass

    def finish(self) -> None:
        super().finish()
        if self.linger:
            self._drain()

    def _drain(self) -> None:
        """Read and drop what is left of a refused body (bounded in bytes and time) before closing:
        closing a socket with unread data makes the kernel reset the connection, and the client
        would see the reset instead of the error reply."""
        sock, left, deadline = self.connection, LINGER_BYTES, time.monotonic() + LINGER_S
        try:
            sock.shutdown(socket.SHUT_WR)
            while left > 0 and (remaining := deadline - time.monotonic()) > 0:
                sock.settimeout(remaining)
                chunk = sock.recv(min(65536, left))
                if not chunk:
                    break
                left -= len(chunk)
        except OSError:
            pass


class ChatServer(ThreadingHTTPServer):
    """A thread per connection; `backlog` queues bursts of connections (socketserver's default of 5
    reset most of a burst of 100 clients); `max_body_bytes` caps each request body."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], backend: ChatBackend, quiet: bool = False,
                 max_body_bytes: int = MAX_BODY_BYTES, backlog: int = LISTEN_BACKLOG):
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.request_queue_size = backlog  # read by listen() in server_activate
        self.max_body_bytes = max_body_bytes
        handler = type("QuietChatHandler" if quiet else "ChatHandler", (ChatHandler,), {"quiet": quiet})
        super().__init__(address, handler)
        self.backend = backend


class RunningServer:
    """A server running in a background thread; `base_url` is what an OpenAI client is given."""

    def __init__(self, server: ChatServer):
        self.server = server
        self.thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="siri-serve",
                                       daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def url(self) -> str:
        host = self.server.server_address[0]
        return f"http://{'[' + host + ']' if ':' in host else host}:{self.port}"

    @property
    def base_url(self) -> str:
        return self.url + "/v1"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)

    def __enter__(self) -> "RunningServer":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def start_server(model: Any, tokenizer: Any, host: str = "127.0.0.1", port: int = 0, model_name: str = "policy",
                 seed: int = 0, quiet: bool = True, max_body_bytes: int = MAX_BODY_BYTES) -> RunningServer:
    """Serve `model` in a background thread (port 0: an ephemeral port); `close()` stops it."""
    backend = ChatBackend(model, tokenizer, model_name, seed)
    return RunningServer(ChatServer((host, port), backend, quiet=quiet, max_body_bytes=max_body_bytes))
