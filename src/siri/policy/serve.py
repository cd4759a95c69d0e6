"""An OpenAI-compatible chat endpoint for a policy (`siri serve`; docs/algorithms.md §4 `external` generator).

Why: the `external` skill generator talks to any OpenAI-compatible server, and a trained policy is
deployed the same way (plain prompts: the client sends the step prompt as the user message). Stdlib
only (`http.server.ThreadingHTTPServer`); bound to 127.0.0.1 by default, no authentication.

- `POST /v1/chat/completions`: `messages` (roles system/user/assistant, string content or a list of
  text parts), `temperature` (default 1.0), `top_p`, `max_tokens` (or `max_completion_tokens`,
  default 256), `stop` (string or list), `n` (1-16), `seed`. The messages go through the model's chat
  template; sampling uses `siri.policy.sampling.sample` until eos / end-of-turn, a stop string or the
  token limit (clipped to the model's context). The reply is the standard `chat.completion` object;
  text stops before a stop string, as OpenAI's does; `finish_reason` is `stop` or `length`.
  The request's `model` field is not checked (there is one model).
- `GET /v1/models`: the one served model. `GET /health`: `{"status": "ok"}`.
- Malformed requests get HTTP 400 with `{"error": {"message", "type", "param"}}`.
Requests are served one generation at a time (a lock): the model is not shared across threads.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
import traceback
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import torch

from siri.policy.loading import eos_token_ids
from siri.policy.sampling import sample

ROLES = ("system", "user", "assistant")
DEFAULT_MAX_TOKENS = 256
MAX_N = 16
MAX_BODY_BYTES = 8 * 1024 * 1024


class RequestError(Exception):
    """A bad request: HTTP 400 with an OpenAI-style error body naming the parameter."""

    def __init__(self, message: str, param: str | None = None, status: int = 400):
        super().__init__(message)
        self.param = param
        self.status = status


def error_body(message: str, param: str | None = None, kind: str = "invalid_request_error") -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": param, "code": None}}


def _content(message: Any, i: int) -> dict[str, str]:
    """One message as `{role, content}`; text parts (`[{type: text, text}]`) are joined."""
    if not isinstance(message, dict):
        raise RequestError(f"messages[{i}] must be an object with role and content", "messages")
    role, content = message.get("role"), message.get("content")
    if role not in ROLES:
        raise RequestError(f"messages[{i}].role must be one of {', '.join(ROLES)}, got {role!r}", "messages")
    if isinstance(content, list):
        if not all(isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("text"), str) for p in content):
            raise RequestError(f"messages[{i}].content parts must be text parts", "messages")
        content = "".join(p["text"] for p in content)
    if not isinstance(content, str):
        raise RequestError(f"messages[{i}].content must be a string", "messages")
    return {"role": role, "content": content}


def _number(body: dict, key: str, default: float, low: float, high: float, low_open: bool = False) -> float:
    value = body.get(key, default)
    if value is None:
        value = default
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RequestError(f"{key} must be a number, got {value!r}", key)
    if value > high or value < low or (low_open and value == low):
        raise RequestError(f"{key} must be in {'(' if low_open else '['}{low:g}, {high:g}], got {value}", key)
    return float(value)


def _integer(body: dict, key: str, default: int | None, low: int, high: int | None = None) -> int | None:
    value = body.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        bound = f">= {low}" if high is None else f"in [{low}, {high}]"
        raise RequestError(f"{key} must be an integer {bound}, got {value!r}", key)
    return value


def _stops(body: dict) -> list[str]:
    stop = body.get("stop")
    if stop is None:
        return []
    if isinstance(stop, str):
        stop = [stop]
    if not isinstance(stop, list) or not all(isinstance(s, str) for s in stop) or len(stop) > MAX_N:
        raise RequestError(f"stop must be a string or a list of at most {MAX_N} strings", "stop")
    return [s for s in stop if s]


@dataclass
class ChatRequest:
    messages: list[dict[str, str]]
    temperature: float
    top_p: float
    max_tokens: int
    stop: list[str]
    n: int
    seed: int | None


def parse_request(body: Any) -> ChatRequest:
    """Validate a chat-completions body; a RequestError names the first bad parameter."""
    if not isinstance(body, dict):
        raise RequestError("the request body must be a JSON object")
    if body.get("stream"):
        raise RequestError("streaming is not supported by siri serve", "stream")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise RequestError("messages must be a non-empty list", "messages")
    max_key = "max_completion_tokens" if body.get("max_tokens") is None else "max_tokens"
    return ChatRequest(
        messages=[_content(m, i) for i, m in enumerate(messages)],
        temperature=_number(body, "temperature", 1.0, 0.0, 10.0),
        top_p=_number(body, "top_p", 1.0, 0.0, 1.0, low_open=True),
        max_tokens=_integer(body, max_key, DEFAULT_MAX_TOKENS, 1),
        stop=_stops(body),
        n=_integer(body, "n", 1, 1, MAX_N),
        seed=_integer(body, "seed", None, 0),
    )


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
        return list(self.tokenizer.encode(text, add_special_tokens=False))

    def models(self) -> dict[str, Any]:
        return {"object": "list", "data": [
            {"id": self.model_name, "object": "model", "created": self.created, "owned_by": "siri"}]}

    def complete(self, body: Any) -> dict[str, Any]:
        req = parse_request(body)
        ids = self.prompt_ids(req.messages)
        max_new = req.max_tokens
        if self.context:
            if len(ids) >= self.context:
                raise RequestError(f"the prompt has {len(ids)} tokens; the model's context is {self.context}", "messages")
            max_new = min(max_new, self.context - len(ids))
        with self.lock:
            out = sample(self.model, [ids] * req.n, max_new_tokens=max_new, temperature=req.temperature,
                         top_p=req.top_p, stop=req.stop, tokenizer=self.tokenizer, eos_token_id=self.eos,
                         pad_token_id=self.tokenizer.pad_token_id, seed=req.seed,
                         rng=None if req.seed is not None else self.rng)
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
    """Routes requests to the server's `backend`; every reply is JSON."""

    server_version = "siri-serve"
    quiet = False

    def log_message(self, format: str, *args: Any) -> None:
        if not self.quiet:
            super().log_message(format, *args)

    def _send(self, status: int, obj: Any) -> None:
        data = json.dumps(obj).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _path(self) -> str:
        return self.path.split("?", 1)[0].rstrip("/")

    def do_GET(self) -> None:
        path = self._path()
        if path == "/v1/models":
            self._send(200, self.server.backend.models())
        elif path == "/health":
            self._send(200, {"status": "ok"})
        elif path == "/v1/chat/completions":
            self._send(405, error_body("use POST for /v1/chat/completions"))
        else:
            self._send(404, error_body(f"unknown path {path!r}; try POST /v1/chat/completions or GET /v1/models"))

    def do_POST(self) -> None:
        if self._path() != "/v1/chat/completions":
            self._send(404, error_body(f"unknown path {self._path()!r}; try POST /v1/chat/completions"))
            return
        try:
            body = self._read_json()
            self._send(200, self.server.backend.complete(body))
        except RequestError as e:
            self._send(e.status, error_body(str(e), e.param))
        except Exception as e:  # a server bug: report it as JSON and keep serving
            traceback.print_exc(file=sys.stderr)
            self._send(500, error_body(f"internal error: {type(e).__name__}: {e}", kind="server_error"))

    def _read_json(self) -> Any:
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            raise RequestError("a Content-Length header is required") from None
        if length > MAX_BODY_BYTES:
            raise RequestError(f"the request body is larger than {MAX_BODY_BYTES} bytes", status=413)
        raw = self.rfile.read(length)
        try:
            return json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise RequestError(f"the request body is not valid JSON: {e}") from None


class ChatServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], backend: ChatBackend, quiet: bool = False):
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
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
                 seed: int = 0, quiet: bool = True) -> RunningServer:
    """Serve `model` in a background thread (port 0: an ephemeral port); `close()` stops it."""
    return RunningServer(ChatServer((host, port), ChatBackend(model, tokenizer, model_name, seed), quiet=quiet))
