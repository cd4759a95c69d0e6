"""What `siri serve` accepts: the body size cap, JSON limits and the chat-completions request model
(docs/architecture.md "Serving a policy").

Why a module of its own: every check here runs before the model is touched, and none depends on
the HTTP library. Limits, all answered with a 4xx and an OpenAI-style JSON error:

- a body may hold at most `MAX_BODY_BYTES` (1 MiB by default, `siri serve --max-body-bytes`; 413
  above it), refused from its `Content-Length` before a byte is read, or while a chunked body is
  read. Chat requests are a few KB; the cap bounds the memory and the JSON, validation and
  tokenization cost of one request;
- JSON nested deeper than `MAX_JSON_DEPTH` is refused (a chat request needs 5 levels);
- fields take OpenAI's ranges: `temperature` 0..2, `top_p` in (0, 1], `n` 1..16, `max_tokens` (or
  `max_completion_tokens`) >= 1, `seed` a signed 64-bit integer, `stop` a string or up to 4 strings,
  `logprobs` a boolean and `top_logprobs` 0..20 (only with `logprobs: true`), `stream` a boolean and
  `stream_options` `{"include_usage": bool}`, `messages` a non-empty list of `{role:
  system|user|assistant, content}` where content is a string or a list of text parts; numbers must be
  finite (Python's JSON reader accepts `NaN`/`Infinity`). Types are strict: `"1"` is not a number and
  `true` is not an integer. Unknown fields are ignored, as OpenAI-compatible servers commonly do, so
  clients that send extra options still work.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

ROLES = ("system", "user", "assistant")
DEFAULT_MAX_TOKENS = 256
MAX_N = 16
MAX_STOPS = 4
MAX_TOP_LOGPROBS = 20
MAX_BODY_BYTES = 1024 * 1024
MAX_JSON_DEPTH = 32
INT64 = (-(2**63), 2**63 - 1)
# What each scalar field allows, as error messages state it (OpenAI's ranges; n and stop are ours).
RANGES = {
    "temperature": "a number in [0, 2]", "top_p": "a number in (0, 1]", "n": f"an integer in [1, {MAX_N}]",
    "max_tokens": "an integer >= 1", "max_completion_tokens": "an integer >= 1",
    "top_logprobs": f"an integer in [0, {MAX_TOP_LOGPROBS}]", "seed": "an integer in [-2**63, 2**63 - 1]",
    "logprobs": "a boolean", "stream": "a boolean", "model": "a string",
}


class RequestError(Exception):
    """A request the server refuses: an HTTP 4xx (`status`) with an OpenAI-style error naming `param`."""

    def __init__(self, message: str, param: str | None = None, status: int = 400, code: str | None = None):
        super().__init__(message)
        self.param = param
        self.status = status
        self.code = code


def error_body(message: str, param: str | None = None, kind: str = "invalid_request_error",
               code: str | None = None) -> dict[str, Any]:
    """OpenAI's error object: clients (the `openai` package included) read `error.message`."""
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def check_content_length(value: str | None, cap: int) -> None:
    """Refuse a body whose declared size is over `cap` (413) before any of it is read. The HTTP
    layer has already refused a malformed header; a missing one (a chunked body) is capped as read."""
    if value is None:
        return
    value = value.strip()
    # 18 digits at most go through int(): no conversion of a huge digit string
    if value.isascii() and value.isdigit() and (len(value) > 18 or int(value) > cap):
        raise body_too_large(value if len(value) <= 24 else value[:21] + "...", cap)


def body_too_large(size: str, cap: int) -> RequestError:
    return RequestError(f"the request body is {size} bytes; this server accepts at most {cap}", status=413)


def parse_json(raw: bytes) -> Any:
    """Decode a body of at most the byte cap; its nesting is limited to `MAX_JSON_DEPTH` levels."""
    try:
        value = json.loads(raw.decode("utf-8"))
    except RecursionError:
        raise RequestError(f"the request body nests deeper than {MAX_JSON_DEPTH} levels") from None
    except (UnicodeDecodeError, ValueError) as e:
        raise RequestError(f"the request body is not valid JSON: {e}") from None
    if raw.count(b"[") + raw.count(b"{") > MAX_JSON_DEPTH and _depth_exceeds(value, MAX_JSON_DEPTH):
        raise RequestError(f"the request body nests deeper than {MAX_JSON_DEPTH} levels")
    return value


def _depth_exceeds(value: Any, limit: int) -> bool:
    """Iterative, so a deep value cannot exhaust the stack while it is measured."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node
        stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))
    return False


class _Strict(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True, allow_inf_nan=False)


class TextPart(_Strict):
    type: Literal["text"]
    text: str


class Message(_Strict):
    role: Literal["system", "user", "assistant"]
    content: str | list[TextPart]

    @property
    def text(self) -> str:
        return self.content if isinstance(self.content, str) else "".join(p.text for p in self.content)


class StreamOptions(_Strict):
    include_usage: bool | None = None


class ChatCompletionRequest(_Strict):
    """The body of `POST /v1/chat/completions`, with OpenAI's ranges (None: the field's default)."""

    messages: list[Message] = Field(min_length=1)
    model: str | None = None
    temperature: float | None = Field(None, ge=0, le=2)
    top_p: float | None = Field(None, gt=0, le=1)
    n: int | None = Field(None, ge=1, le=MAX_N)
    max_tokens: int | None = Field(None, ge=1)
    max_completion_tokens: int | None = Field(None, ge=1)
    seed: int | None = Field(None, ge=INT64[0], le=INT64[1])
    stop: str | list[str] | None = None
    stream: bool | None = None
    stream_options: StreamOptions | None = None
    logprobs: bool | None = None
    top_logprobs: int | None = Field(None, ge=0, le=MAX_TOP_LOGPROBS)


@dataclass
class ChatRequest:
    """A validated request with the defaults filled in: what the backend samples from."""

    messages: list[dict[str, str]]
    temperature: float
    top_p: float
    max_tokens: int
    stop: list[str]
    n: int
    seed: int | None
    stream: bool = False
    include_usage: bool = False  # a last streamed chunk carries `usage`
    logprobs: bool = False
    top_logprobs: int = 0


def parse_request(body: Any) -> ChatRequest:
    """Validate a decoded chat-completions body; a RequestError names the first bad parameter."""
    if not isinstance(body, dict):
        raise RequestError("the request body must be a JSON object")
    try:
        req = ChatCompletionRequest.model_validate(body)
    except ValidationError as e:
        raise _request_error(e.errors()[0]) from None
    if req.top_logprobs is not None and not req.logprobs:
        raise RequestError("top_logprobs needs logprobs: true", "top_logprobs")
    if req.stream_options is not None and not req.stream:
        raise RequestError("stream_options needs stream: true", "stream_options")
    stop = [req.stop] if isinstance(req.stop, str) else (req.stop or [])
    if len(stop) > MAX_STOPS:
        raise _stop_error(stop)
    max_tokens = req.max_tokens if req.max_tokens is not None else req.max_completion_tokens
    return ChatRequest(
        messages=[{"role": m.role, "content": m.text} for m in req.messages],
        temperature=1.0 if req.temperature is None else req.temperature,
        top_p=1.0 if req.top_p is None else req.top_p,
        max_tokens=DEFAULT_MAX_TOKENS if max_tokens is None else max_tokens,
        stop=[s for s in stop if s],
        n=1 if req.n is None else req.n,
        seed=req.seed,
        stream=bool(req.stream),
        include_usage=bool(req.stream_options and req.stream_options.include_usage),
        logprobs=bool(req.logprobs),
        top_logprobs=req.top_logprobs or 0,
    )


def _stop_error(value: Any) -> RequestError:
    return RequestError(f"stop must be a string or a list of at most {MAX_STOPS} strings, got {_short(value)}", "stop")


def _request_error(err: dict[str, Any]) -> RequestError:
    """One pydantic error as a sentence naming the field (`messages[0].role: ...`)."""
    loc = err["loc"]
    param = str(loc[0]) if loc else None
    if param == "stop":
        return _stop_error(err.get("input"))
    if param == "messages" and len(loc) >= 3 and loc[2] == "content" and err["type"] != "missing":
        return RequestError(f"messages[{loc[1]}].content must be a string or a list of text parts "
                            "({\"type\": \"text\", \"text\": ...})", param)
    if param in RANGES and len(loc) == 1 and err["type"] != "missing":
        return RequestError(f"{param} must be {RANGES[param]}, got {_short(err.get('input'))}", param)
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
    got = "" if err["type"] == "missing" else f", got {_short(err.get('input'))}"
    return RequestError(f"{where}: {err['msg']}{got}", param)


def _short(value: Any, limit: int = 60) -> str:
    """A bounded repr: an error message never echoes a large input back."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
