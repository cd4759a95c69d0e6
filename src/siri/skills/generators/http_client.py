"""A small client for OpenAI-compatible chat-completions endpoints (stdlib `urllib`, no dependency).

Used by the `external` skill generator (docs/algorithms.md §4: any OpenAI-compatible endpoint; base URL,
model name, key from an environment variable). Nothing here raises on network trouble: every outcome
is a `ChatResult` whose `error` says what went wrong, so a mining round can be skipped with a warning.

Retries (ours): connection errors, timeouts, HTTP 429 and 5xx are retried up to `retries` times,
waiting `backoff · 2^attempt` seconds (capped at 30 s; a numeric `Retry-After` header is honoured up to
the same cap). Other HTTP errors (400, 401, 404, ...) are not retried.
"""

from __future__ import annotations

import http.client
import json
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any, Callable, Sequence

MAX_BACKOFF_S = 30.0


@dataclass
class HttpResult:
    status: int | None  # HTTP status of the last attempt (None when no response came)
    body: Any  # parsed JSON of a 2xx response, else None
    error: str | None
    attempts: int


@dataclass
class ChatResult:
    text: str
    error: str | None
    finish_reason: str | None = None
    attempts: int = 0


def _retry_after(err: urllib.error.HTTPError) -> float | None:
    value = err.headers.get("Retry-After") if err.headers is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _error_text(err: urllib.error.HTTPError) -> str:
    """The server's message when the body is OpenAI-style JSON, else the first bytes of the body."""
    try:
        raw = err.read()[:2000].decode("utf-8", "replace")
    except OSError:
        return err.reason if isinstance(err.reason, str) else ""
    try:
        body = json.loads(raw)
        message = body.get("error", {}).get("message") if isinstance(body.get("error"), dict) else body.get("error")
        return str(message or raw).strip()
    except (ValueError, AttributeError):
        return raw.strip()[:200]


_LOOPBACK = ("127.0.0.1", "localhost", "::1")
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def _open(request: urllib.request.Request, timeout: float):
    """Loopback servers (e.g. `siri serve`) are reached directly, never through an `http_proxy`."""
    if urllib.parse.urlsplit(request.full_url).hostname in _LOOPBACK:
        return _DIRECT.open(request, timeout=timeout)
    return urllib.request.urlopen(request, timeout=timeout)


def _attempt(request: urllib.request.Request, timeout: float) -> tuple[int | None, Any, str | None, bool, float | None]:
    """One request: (status, json body, error, retryable, retry-after seconds)."""
    try:
        with _open(request, timeout) as resp:
            status, raw = resp.status, resp.read()
    except urllib.error.HTTPError as e:
        retry = e.code == 429 or e.code >= 500
        return e.code, None, f"HTTP {e.code}: {_error_text(e) or e.reason}", retry, _retry_after(e)
    except urllib.error.URLError as e:
        reason = e.reason
        if isinstance(reason, (socket.timeout, TimeoutError)):
            return None, None, f"timed out after {timeout:g} s", True, None
        return None, None, f"connection failed: {reason}", True, None
    except (socket.timeout, TimeoutError):
        return None, None, f"timed out after {timeout:g} s", True, None
    except ValueError as e:  # a malformed URL (e.g. a bad port)
        return None, None, f"bad URL {request.full_url!r}: {e}", False, None
    except (ConnectionError, http.client.HTTPException, OSError) as e:
        return None, None, f"connection failed: {type(e).__name__}: {e}", True, None
    try:
        return status, json.loads(raw.decode("utf-8")), None, False, None
    except (UnicodeDecodeError, ValueError):
        return status, None, f"HTTP {status}: the response is not JSON", False, None


def post_json(url: str, payload: Any, headers: dict[str, str] | None = None, timeout: float = 60.0,
              retries: int = 2, backoff: float = 1.0, sleep: Callable[[float], None] = time.sleep) -> HttpResult:
    """POST `payload` as JSON to `url`; retries transient failures (see the module docstring)."""
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        return HttpResult(None, None, f"bad URL {url!r}: only http:// and https:// are supported", 0)
    data = json.dumps(payload).encode("utf-8")
    all_headers = {"Content-Type": "application/json", "Accept": "application/json", **(headers or {})}
    status = error = None
    for attempt in range(retries + 1):
        request = urllib.request.Request(url, data=data, headers=all_headers, method="POST")
        status, body, error, retryable, after = _attempt(request, timeout)
        if error is None:
            return HttpResult(status, body, None, attempt + 1)
        if not retryable or attempt == retries:
            return HttpResult(status, None, error, attempt + 1)
        wait = backoff * (2 ** attempt) if after is None else after
        sleep(min(max(wait, 0.0), MAX_BACKOFF_S))
    return HttpResult(status, None, error, retries + 1)  # pragma: no cover - the loop always returns


def chat_url(base_url: str) -> str:
    """`{base}/chat/completions` (base like `http://127.0.0.1:8000/v1`)."""
    return base_url.rstrip("/") + "/chat/completions"


def chat_completion(base_url: str, model: str, messages: Sequence[dict[str, str]], *, temperature: float = 0.7,
                    max_tokens: int = 96, api_key: str | None = None, timeout: float = 60.0, retries: int = 2,
                    backoff: float = 1.0, stop: Sequence[str] | None = None,
                    sleep: Callable[[float], None] = time.sleep) -> ChatResult:
    """One chat completion; the text of `choices[0].message.content`, or an error."""
    payload: dict[str, Any] = {"model": model, "messages": list(messages), "temperature": temperature,
                               "max_tokens": max_tokens}
    if stop:
        payload["stop"] = list(stop)
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    url = chat_url(base_url)
    result = post_json(url, payload, headers, timeout, retries, backoff, sleep)
    if result.error is not None:
        return ChatResult("", f"{url}: {result.error} (after {result.attempts} attempt(s))", None, result.attempts)
    try:
        choice = result.body["choices"][0]
        content = choice["message"]["content"]
    except (KeyError, IndexError, TypeError):
        return ChatResult("", f"{url}: the response has no choices[0].message.content", None, result.attempts)
    if not isinstance(content, str):
        content = "" if content is None else str(content)
    return ChatResult(content, None, choice.get("finish_reason"), result.attempts)
