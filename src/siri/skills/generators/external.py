"""The `external` skill generator: any OpenAI-compatible chat endpoint summarizes (docs/algorithms.md §4).

The paper compares self-mining with a closed-source summarizer; this generator covers that ablation
and any local server (`siri serve`, vLLM, llama.cpp, ...). Settings: base URL (`.../v1`), model name,
the NAME of the environment variable holding the API key (the key itself never appears in a config
or a log), a timeout per request and a retry count.

Why the official `openai` client (the optional extra `openai`): it owns the transport, the
timeouts, and the retries (connection errors, timeouts, HTTP 408/409/429/5xx, with exponential backoff
and the server's `Retry-After`), which a hand-written client would have to repeat. The key is read at
call time and sent per request; an unset variable sends no `Authorization` header (local servers need
none), and a 401/403 reply then names the variable. Loopback servers are reached directly, never
through an `http_proxy`. A call that still fails after the client's retries returns an error result,
never raises, so the caller skips that mining round with one warning.
"""

from __future__ import annotations

import os
import urllib.parse
from typing import Any

from siri.skills.generators.base import PromptedGenerator
from siri.utils.errors import UserError, install_hint

MISSING = f"algo.generator=external needs the openai package: {install_hint('openai')}"
LOOPBACK = ("127.0.0.1", "localhost", "::1")
# The client insists on a key at construction; the real one (or none) travels with each request.
UNUSED_KEY = "unused"


def require_openai() -> Any:
    """The `openai` module, or a one-line `UserError` with the install hint (it is an optional extra)."""
    try:
        import openai
    except ImportError:
        raise UserError(MISSING) from None
    return openai


def describe_error(err: Exception, timeout: float) -> str:
    """One line for a failed call: the HTTP status and the server's message, a timeout, or the cause."""
    openai = require_openai()
    if isinstance(err, openai.APIStatusError):
        body = err.body
        detail = body.get("message") if isinstance(body, dict) else body
        return f"HTTP {err.status_code}: {detail or err.message}"
    if isinstance(err, openai.APITimeoutError):
        return f"timed out after {timeout:g} s"
    if isinstance(err, openai.APIConnectionError):
        return f"connection failed: {err.__cause__ or err}"
    if isinstance(err, ValueError):  # a 2xx body that is not JSON
        return "the response is not JSON"
    return f"{type(err).__name__}: {err}"


def reply_text(completion: Any) -> str | None:
    """`choices[0].message.content` ("" for a null content), or None when the reply has no such field."""
    choices = getattr(completion, "choices", None) or []
    message = getattr(choices[0], "message", None) if choices else None
    if message is None or not hasattr(message, "content"):
        return None
    content = message.content
    return "" if content is None else str(content)


class ExternalGenerator(PromptedGenerator):
    """Skills from `POST {base_url}/chat/completions` with one user message (the summary prompt)."""

    name = "external"

    def __init__(self, base_url: str, model: str, api_key_env: str | None = "OPENAI_API_KEY",
                 temperature: float = 0.7, max_tokens: int = 96, timeout: float = 60.0, retries: int = 2,
                 system: str | None = None):
        if not base_url.startswith(("http://", "https://")):
            raise UserError(f"external skill generator: base URL must start with http:// or https://, got {base_url!r}")
        if not model:
            raise UserError("external skill generator: a model name is required")
        if timeout <= 0 or retries < 0 or max_tokens < 1:
            raise UserError("external skill generator: timeout must be > 0, retries >= 0, max_tokens >= 1")
        self._openai = require_openai()
        self.base_url = base_url
        self.model = model
        self.api_key_env = api_key_env or None
        self.temperature = float(temperature)
        self.max_tokens = int(max_tokens)
        self.timeout = float(timeout)
        self.retries = int(retries)
        self.system = system
        direct = urllib.parse.urlsplit(base_url).hostname in LOOPBACK
        http_client = self._openai.DefaultHttpxClient(trust_env=False) if direct else None
        self.client = self._openai.OpenAI(base_url=base_url, api_key=UNUSED_KEY, timeout=self.timeout,
                                          max_retries=self.retries, http_client=http_client)

    def api_key(self) -> str | None:
        """The key from the configured environment variable, read at call time (None if unset)."""
        return os.environ.get(self.api_key_env) or None if self.api_key_env else None

    def complete(self, prompt: str) -> tuple[str, str | None]:
        messages = ([{"role": "system", "content": self.system}] if self.system else []) + [
            {"role": "user", "content": prompt}]
        key = self.api_key()
        auth = f"Bearer {key}" if key else self._openai.Omit()
        where = self.base_url.rstrip("/") + "/chat/completions"
        try:
            completion = self.client.chat.completions.create(
                model=self.model, messages=messages, temperature=self.temperature, max_tokens=self.max_tokens,
                extra_headers={"Authorization": auth})
        except (self._openai.APIError, ValueError) as err:
            error = f"{where}: {describe_error(err, self.timeout)}"
            status = getattr(err, "status_code", None)
            if status in (401, 403) and self.api_key_env:
                error += f" (API key from ${self.api_key_env}, which is {'set' if key else 'not set'})"
            return "", error
        text = reply_text(completion)
        if text is None:
            return "", f"{where}: the response has no choices[0].message.content"
        return text, None
