"""The model side of `siri serve`: one worker thread owns the model and samples waiting requests
together (docs/architecture.md "Serving a policy").

Why one owner: the model and the tokenizer are not shared across threads (Hugging Face fast
tokenizers are not thread-safe), and rows sampled in one batched call cost about as much as one row
on an accelerator. HTTP handlers put `Job`s on a queue; the worker takes whatever is waiting (up to
`max_batch_size` rows, a request's `n` rows never split), drops jobs whose client has left, and
samples them with `siri.policy.sampling.sample` in as few calls as their settings allow:

- one call needs one temperature and one top-p, so jobs are grouped by them; greedy jobs
  (temperature 0) share a call whatever their top-p;
- a job with a `seed` (and temperature > 0) gets a call of its own, so its draws do not depend on
  what else was waiting: the same seed gives the same text, as OpenAI's `seed` promises;
- max_tokens, stop strings, logprobs and streaming are per row: the sampler's `on_step` callback
  ends rows at their own limit or stop string, or when their client has left (at the next step).

Batches are static: requests that arrive while a call runs wait for the next one. Events go back to
each job's asyncio queue through its event loop: `("delta", index, text, logprob entries)` while
streaming, `("finish", index, text, entries, reason)` per choice, then `("done", usage)`, or one
`("error", RequestError)`.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Mapping

import torch

from siri.policy.loading import eos_token_ids
from siri.policy.sampling import Step, sample
from siri.policy.serve_requests import ChatRequest, RequestError
from siri.policy.serve_text import IncrementalText, TokenBytes, final_text, logprob_entry

DEFAULT_MAX_BATCH_SIZE = 64
log = logging.getLogger("siri.serve")


def internal_error(e: Exception) -> RequestError:
    return RequestError(f"internal error: {type(e).__name__}: {e}", status=500)


@dataclass
class Stats:
    """Counters a test or an operator reads: how well requests were batched and how many were dropped."""

    calls: int = 0  # sampler calls
    rows: int = 0  # responses sampled
    largest_call: int = 0  # rows in the largest call
    completed: int = 0  # jobs answered
    dropped: int = 0  # jobs whose client left before they were sampled
    cancelled: int = 0  # jobs whose client left while they were sampled


class Job:
    """One chat request on its way through the worker. `cancel()` may be called from any thread."""

    def __init__(self, request: ChatRequest, loop: asyncio.AbstractEventLoop):
        self.request = request
        self.loop = loop
        self.events: asyncio.Queue = asyncio.Queue()
        self.cancelled = False
        self.prompt: list[int] = []

    def cancel(self) -> None:
        self.cancelled = True

    def emit(self, event: tuple) -> None:
        try:
            self.loop.call_soon_threadsafe(self.events.put_nowait, event)
        except RuntimeError:  # the event loop has closed (server shutdown): nobody is listening
            pass

    def group_key(self) -> tuple:
        req = self.request
        if req.temperature == 0:
            return ("greedy",)
        if req.seed is not None:
            return ("seeded", id(self))
        return ("sampled", req.temperature, req.top_p)


@dataclass
class Row:
    """One choice of a job while it is sampled."""

    job: Job
    index: int
    limit: int  # its own max_tokens, clipped to the model's context
    text: IncrementalText
    ids: list[int] = field(default_factory=list)
    entries: list[dict[str, Any]] = field(default_factory=list)  # logprobs content
    unsent: int = 0  # entries not streamed yet
    reason: str | None = None


class Batcher:
    """The worker thread: `submit` jobs, `stop` to end it. `stats` counts what it did."""

    def __init__(self, model: Any, tokenizer: Any, seed: int = 0, max_batch_size: int = DEFAULT_MAX_BATCH_SIZE):
        if max_batch_size < 1:
            raise ValueError(f"max_batch_size must be >= 1, got {max_batch_size}")
        self.model, self.tokenizer, self.max_batch_size = model, tokenizer, max_batch_size
        self.eos = eos_token_ids(model, tokenizer)
        self.context = getattr(getattr(model, "config", None), "max_position_embeddings", None)
        self.rng = torch.Generator(device=next(model.parameters()).device).manual_seed(seed)
        self.token_bytes = TokenBytes(tokenizer)
        # No token spans more characters than the longest vocabulary entry, so a prompt over
        # context * that (twice, for normalizers) cannot fit and is refused before it is queued.
        longest = max((len(t) for t in tokenizer.get_vocab()), default=0) if hasattr(tokenizer, "get_vocab") else 0
        self.max_prompt_chars = 2 * self.context * longest if self.context and longest else None
        self.stats = Stats()
        self.queue: deque[Job] = deque()
        self.wake = threading.Condition()
        self.stopping = False
        self.running: list[Job] = []
        self.thread = threading.Thread(target=self._run, name="siri-serve-model", daemon=True)
        self.thread.start()

    def submit(self, job: Job) -> None:
        with self.wake:
            if self.stopping:
                raise RequestError("the server is shutting down", status=503)
            self.queue.append(job)
            self.wake.notify()

    def check_prompt_chars(self, request: ChatRequest) -> None:
        """Refuse a prompt too long to fit the context without tokenizing it (callable from any thread)."""
        chars = sum(len(m["content"]) for m in request.messages)
        if self.max_prompt_chars and chars > self.max_prompt_chars:
            raise RequestError(f"the prompt holds {chars} characters, more than fit in the model's context "
                               f"of {self.context} tokens", "messages")

    def stop(self, timeout: float = 10.0) -> None:
        """Refuse new jobs, fail the waiting ones, end the running call at its next step."""
        with self.wake:
            self.stopping = True
            waiting, self.queue = list(self.queue) + self.running, deque()
            self.wake.notify()
        for job in waiting:
            job.cancel()
            job.emit(("error", RequestError("the server is shutting down", status=503)))
        self.thread.join(timeout)

    def _take(self) -> list[Job]:
        """Block until jobs wait; take them in order while their rows fit in one batch (at least one).
        Called with `wake` held."""
        while not self.queue and not self.stopping:
            self.wake.wait()
        taken: list[Job] = []
        rows = 0
        while self.queue and (not taken or rows + self.queue[0].request.n <= self.max_batch_size):
            job = self.queue.popleft()
            if job.cancelled:
                self.stats.dropped += 1
                continue
            taken.append(job)
            rows += job.request.n
        return taken

    def _run(self) -> None:
        while not self.stopping:
            groups: dict[tuple, list[Job]] = {}
            with self.wake:
                self.running = self._take()
            for job in self.running:
                if self._tokenize(job):
                    groups.setdefault(job.group_key(), []).append(job)
            for jobs in groups.values():
                self._sample(jobs)

    def _tokenize(self, job: Job) -> bool:
        """The job's prompt ids through the chat template; a refusal goes back to the client."""
        try:
            if not getattr(self.tokenizer, "chat_template", None):
                raise RequestError("the served model's tokenizer has no chat template", status=500)
            try:
                text = self.tokenizer.apply_chat_template(job.request.messages, add_generation_prompt=True,
                                                          tokenize=False)
            except Exception as e:  # template-side validation (e.g. role order) is the client's error
                raise RequestError(f"the chat template rejected the messages: {e}", "messages") from None
            job.prompt = list(self.tokenizer.encode(text, add_special_tokens=False))
            if self.context and len(job.prompt) >= self.context:
                raise RequestError(f"the prompt has {len(job.prompt)} tokens; the model's context is "
                                   f"{self.context}", "messages")
        except RequestError as e:
            job.emit(("error", e))
            return False
        except Exception as e:  # a tokenizer failure is the server's: report it, keep serving
            job.emit(("error", internal_error(e)))
            return False
        return True

    def _rows(self, jobs: list[Job]) -> list[Row]:
        rows = []
        for job in jobs:
            limit = job.request.max_tokens
            if self.context:
                limit = min(limit, self.context - len(job.prompt))
            rows += [Row(job, i, limit, IncrementalText(self.tokenizer, job.request.stop))
                     for i in range(job.request.n)]
        return rows

    def _sample(self, jobs: list[Job]) -> None:
        """One sampler call for jobs that share temperature and top-p; every row ends in `on_step`."""
        live = [job for job in jobs if not job.cancelled]  # a client may leave while earlier groups run
        self.stats.dropped += len(jobs) - len(live)
        if not live:
            return
        rows = self._rows(live)
        req = live[0].request
        longest = max(r.limit for r in rows)
        self.stats.calls += 1
        self.stats.rows += len(rows)
        self.stats.largest_call = max(self.stats.largest_call, len(rows))
        seeded = req.temperature > 0 and req.seed is not None
        try:
            sample(self.model, [r.job.prompt for r in rows], max_new_tokens=longest, temperature=req.temperature,
                   top_p=req.top_p, stop=(), eos_token_id=self.eos, pad_token_id=self.tokenizer.pad_token_id,
                   seed=req.seed if seeded else None, rng=None if seeded else self.rng,
                   on_step=lambda step: self._on_step(rows, longest, step))
        except Exception as e:  # a server bug or out of memory: fail these jobs, keep serving
            log.exception("sampling failed")
            err = internal_error(e)
            for job in {id(r.job): r.job for r in rows if r.reason is None}.values():
                job.emit(("error", err))

    def _on_step(self, rows: list[Row], longest: int, step: Step) -> Mapping[int, str]:
        top = self._top_logprobs(rows, step)
        end: dict[int, str] = {}
        for j, r in enumerate(step.rows):
            row = rows[r]
            if row.job.cancelled:
                end[r] = row.reason = "cancelled"
                continue
            token = step.tokens[j]
            row.ids.append(token)
            if row.job.request.logprobs:
                row.entries.append(logprob_entry(self.token_bytes, token, step.token_logprobs[j], top.get(r, ())))
            reason = self._advance(row, token, step.finished.get(r), longest)
            if reason is not None:
                end[r] = reason
        for job in {id(rows[r].job): rows[r].job for r in end}.values():
            self._finish_job(job, [row for row in rows if row.job is job])
        return end

    def _top_logprobs(self, rows: list[Row], step: Step) -> dict[int, list[tuple[int, float]]]:
        """The `top_logprobs` most likely tokens of each row that asks, from one top-k over the batch."""
        want = [(j, r) for j, r in enumerate(step.rows)
                if rows[r].job.request.logprobs and rows[r].job.request.top_logprobs]
        if not want:
            return {}
        k = max(rows[r].job.request.top_logprobs for _, r in want)
        values, ids = step.logprobs[[j for j, _ in want]].topk(k, dim=-1)
        values, ids = values.tolist(), ids.tolist()
        return {r: list(zip(ids[i], values[i]))[: rows[r].job.request.top_logprobs] for i, (_, r) in enumerate(want)}

    def _advance(self, row: Row, token: int, sampler_reason: str | None, longest: int) -> str | None:
        """Feed the row's text; stream what is safe to send; return its finish reason once it ends."""
        req = row.job.request
        delta = row.text.push(token) if (req.stream or req.stop) else ""
        if row.text.stopped:
            reason = "stop"
        elif sampler_reason is not None:
            reason = "stop" if sampler_reason in ("eos", "stop") else sampler_reason
        elif len(row.ids) >= row.limit or len(row.ids) >= longest:
            reason = "length"
        else:
            if req.stream and delta:
                row.job.emit(("delta", row.index, delta, row.entries[row.unsent:]))
                row.unsent = len(row.entries)
            return None
        row.reason = reason
        text = delta + row.text.final() if req.stream else final_text(self.tokenizer, row.ids, req.stop)
        row.job.emit(("finish", row.index, text, row.entries[row.unsent:] if req.stream else row.entries, reason))
        return reason

    def _finish_job(self, job: Job, rows: list[Row]) -> None:
        """Once every row of a job has ended: its usage (or, if its client left, nothing)."""
        if any(r.reason is None for r in rows):
            return
        if job.cancelled:
            self.stats.cancelled += 1
            return
        completion = sum(len(r.ids) for r in rows)
        self.stats.completed += 1
        job.emit(("done", {"prompt_tokens": len(job.prompt), "completion_tokens": completion,
                           "total_tokens": len(job.prompt) + completion}))
