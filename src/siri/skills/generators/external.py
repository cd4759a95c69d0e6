"""The `external` skill generator: any OpenAI-compatible chat endpoint summarizes (docs/algorithms.md §4).

The paper compares self-mining with a closed-source summarizer; this generator covers that ablation
and any local server (`siri serve`, vLLM, llama.cpp, ...). Settings: base URL (`.../v1`), model name,
and the NAME of the environment variable holding the API key (the key itself never appears in a
config or a log). An unset variable sends no `Authorization` header (local servers need none); a
401/403 reply then names the variable. A failed call returns an error result, never raises.
"""

from __future__ import annotations

import os
import time
from typing import Callable

from siri.skills.generators.base import PromptedGenerator
from siri.skills.generators.http_client import chat_completion
from siri.utils.errors import UserError


class ExternalGenerator(PromptedGenerator):
    """Skills from `POST {base_url}/chat/completions` with one user message (the summary prompt)."""

    name = "external"

    def __init__(self, base_url: str, model: str, api_key_env: str | None = "OPENAI_API_KEY",
                 temperature: float = 0.7, max_tokens: int = 96, timeout: float = 60.0, retries: int = 2,
                 backoff: float = 1.0, system: str | None = None, sleep: Callable[[float], None] = time.sleep):
        if not base_url.startswith(("http://", "https://")):
            raise UserError(f"external skill generator: base URL must start with http:// or https://, got {base_url!r}")
        if not model:
            raise UserError("external skill generator: a model name is required")
        if timeout <= 0 or retries < 0 or backoff < 0 or max_tokens < 1:
            raise UserError("external skill generator: timeout must be > 0, retries >= 0, backoff >= 0, max_tokens >= 1")
        self.base_url = base_url
        self.model = model
        self.api_key_env = api_key_env or None
        self.temperature = float(temperature)
        self.max_tokens = int(max_tokens)
        self.timeout = float(timeout)
        self.retries = int(retries)
        self.backoff = float(backoff)
        self.system = system
        self.sleep = sleep

    def api_key(self) -> str | None:
        """The key from the configured environment variable, read at call time (None if unset)."""
        return os.environ.get(self.api_key_env) or None if self.api_key_env else None

    def complete(self, prompt: str) -> tuple[str, str | None]:
        messages = ([{"role": "system", "content": self.system}] if self.system else []) + [
            {"role": "user", "content": prompt}]
        key = self.api_key()
        result = chat_completion(self.base_url, self.model, messages, temperature=self.temperature,
                                 max_tokens=self.max_tokens, api_key=key, timeout=self.timeout,
                                 retries=self.retries, backoff=self.backoff, sleep=self.sleep)
        error = result.error
        if error is not None and ("HTTP 401" in error or "HTTP 403" in error) and self.api_key_env:
            state = "set" if key else "not set"
            error += f" (API key from ${self.api_key_env}, which is {state})"
        return result.text, error
