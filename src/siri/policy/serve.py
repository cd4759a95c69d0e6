"""An OpenAI-compatible chat endpoint for a policy (`siri serve`; docs/architecture.md "Serving a policy").

Why: the `external` skill generator talks to any OpenAI-compatible server, RL users sample from a
policy (with streaming and per-token log-probs) through the `openai` client, and a trained policy is
deployed the same way. FastAPI on uvicorn (the `serve` extra), bound to 127.0.0.1 by default:

- `POST /v1/chat/completions`: the request fields and ranges of `siri.policy.serve_requests`; the
  reply is a `chat.completion`, or with `stream: true` server-sent `chat.completion.chunk` events
  ending with `data: [DONE]`. Sampling is batched across requests by `siri.policy.serve_batch`.
- `GET /v1/models`: the one served model. `GET /health`: `{"status": "ok"}` (no key needed).
- With an API key, `/v1/*` needs `Authorization: Bearer KEY` (401 otherwise).
- Every refusal is OpenAI-style JSON `{"error": {"message", "type", "param", "code"}}`: 400 for bad
  fields, 401, 404 unknown path, 405 (with `Allow`) wrong method, 413 body over the cap. Requests that
  are not HTTP at all are answered by uvicorn itself (a plain-text 400).
- A client that disconnects cancels its request: dropped if still queued, else its rows end at the
  next decoding step (the other rows of the batch go on).
"""

from __future__ import annotations

import asyncio
import hmac
import json
import socket
import threading
import time
from typing import Any, AsyncIterator

from siri.utils.errors import UserError, install_hint

try:
    import uvicorn
    from fastapi import Depends, FastAPI, Request
    from fastapi.responses import JSONResponse, Response, StreamingResponse
    from starlette.exceptions import HTTPException
except ImportError as e:  # pragma: no cover - optional extra
    raise UserError(f"siri serve needs fastapi and uvicorn ({e.name} is missing): {install_hint('serve')}") from None

from siri.policy.serve_batch import DEFAULT_MAX_BATCH_SIZE, Batcher, Job
from siri.policy.serve_requests import (
    MAX_BODY_BYTES,
    ChatRequest,
    RequestError,
    body_too_large,
    check_content_length,
    error_body,
    parse_json,
    parse_request,
)
from siri.policy.serve_responses import (
    ChatCompletion,
    ChatCompletionChunk,
    Choice,
    ChunkChoice,
    Delta,
    Message,
    ModelCard,
    ModelList,
    Usage,
    completion_id,
    logprobs_of,
    sse,
)

STARTUP_TIMEOUT_S = 30.0


class ClientGone(Exception):
    """The client disconnected before its reply was ready."""


def _error(status: int, message: str, param: str | None = None, code: str | None = None,
           headers: dict[str, str] | None = None) -> JSONResponse:
    kind = "invalid_request_error" if status < 500 else "server_error"
    return JSONResponse(error_body(message, param, kind, code), status_code=status, headers=headers)


async def read_body(request: Request, cap: int) -> bytes:
    """The body, refused (413) from its Content-Length, or as soon as a chunked body passes `cap`."""
    check_content_length(request.headers.get("content-length"), cap)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > cap:
            raise body_too_large(f"more than {cap}", cap)
    return bytes(body)


async def _disconnected(request: Request) -> None:
    """Returns once the client has gone (the body is read, so the next message is the disconnect)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


async def _next_event(job: Job, gone: asyncio.Task) -> tuple:
    """The job's next event; if the client leaves first, cancel the job and raise ClientGone."""
    get = asyncio.ensure_future(job.events.get())
    done, _ = await asyncio.wait({get, gone}, return_when=asyncio.FIRST_COMPLETED)
    if get in done:
        event = get.result()
        if event[0] == "error":
            raise event[1]
        return event
    get.cancel()
    job.cancel()
    raise ClientGone()


async def _collect(job: Job, gone: asyncio.Task, model_name: str) -> ChatCompletion:
    """A non-streamed reply: every choice's `finish` event, then the usage."""
    req, choices = job.request, {}
    while (event := await _next_event(job, gone))[0] != "done":
        _, index, text, entries, reason = event
        choices[index] = Choice(index=index, message=Message(content=text), finish_reason=reason,
                                logprobs=logprobs_of(entries if req.logprobs else None))
    return ChatCompletion(id=completion_id(), model=model_name, choices=[choices[i] for i in range(req.n)],
                          usage=Usage(**event[1]))


async def _stream(job: Job, first: tuple, model_name: str) -> AsyncIterator[str]:
    """Server-sent chunks: the role, then text deltas as tokens come, each choice's finish reason,
    the usage if asked for, and `[DONE]`. Leaving early (a disconnect closes this generator)
    cancels the job."""
    req, cid, created = job.request, completion_id(), int(time.time())

    def chunk(choices: list[ChunkChoice], usage: dict[str, int] | None = None) -> str:
        return sse(ChatCompletionChunk(id=cid, created=created, model=model_name, choices=choices,
                                       usage=Usage(**usage) if usage else None))

    def content(index: int, text: str, entries: list) -> str:
        return chunk([ChunkChoice(index=index, delta=Delta(content=text),
                                  logprobs=logprobs_of(entries if req.logprobs else None))])

    try:
        yield chunk([ChunkChoice(index=i, delta=Delta(role="assistant", content="")) for i in range(req.n)])
        event = first
        while event[0] != "done":
            if event[0] == "error":
                err = event[1]
                yield f"data: {json.dumps(error_body(str(err), err.param, 'server_error'))}\n\n"
                return
            if event[0] == "delta":
                yield content(*event[1:])
            else:  # finish
                _, index, text, entries, reason = event
                if text or entries:
                    yield content(index, text, entries)
                yield chunk([ChunkChoice(index=index, delta=Delta(), finish_reason=reason)])
            event = await job.events.get()
        if req.include_usage:
            yield chunk([], event[1])
        yield "data: [DONE]\n\n"
    finally:
        job.cancel()


def create_app(batcher: Batcher, model_name: str = "policy", api_key: str | None = None,
               max_body_bytes: int = MAX_BODY_BYTES) -> FastAPI:
    """The routes, the API-key check and the OpenAI-style error replies, around a running `batcher`."""
    app = FastAPI(title="siri serve", docs_url=None, redoc_url=None, openapi_url=None)
    created = int(time.time())

    def authorize(request: Request) -> None:
        if api_key is None:
            return
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.strip().encode(), api_key.encode()):
            raise RequestError("invalid or missing API key: send the header 'Authorization: Bearer <key>'",
                               status=401, code="invalid_api_key")

    @app.exception_handler(RequestError)
    async def refused(request: Request, exc: RequestError) -> JSONResponse:
        return _error(exc.status, str(exc), exc.param, exc.code)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        path = request.url.path
        if exc.status_code == 404:
            message = f"unknown path {path!r}; try POST /v1/chat/completions or GET /v1/models"
        elif exc.status_code == 405:
            message = f"{request.method} is not allowed on {path}; use {(exc.headers or {}).get('Allow', '')}"
        else:
            message = str(exc.detail)
        return _error(exc.status_code, message, headers=exc.headers)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/v1/models", dependencies=[Depends(authorize)])
    async def models() -> ModelList:
        return ModelList(data=[ModelCard(id=model_name, created=created)])

    @app.post("/v1/chat/completions", dependencies=[Depends(authorize)])
    async def chat(request: Request) -> Any:
        req = parse_request(parse_json(await read_body(request, max_body_bytes)))
        batcher.check_prompt_chars(req)
        return await _answer(request, req, batcher, model_name)

    return app


async def _answer(request: Request, req: ChatRequest, batcher: Batcher, model_name: str) -> Any:
    """Queue the request and wait for it, watching for the client to leave meanwhile."""
    job = Job(req, asyncio.get_running_loop())
    batcher.submit(job)
    gone = asyncio.ensure_future(_disconnected(request))
    try:
        if not req.stream:
            return (await _collect(job, gone, model_name)).model_dump(mode="json")
        first = await _next_event(job, gone)  # a refusal before the first token is still a JSON error
    except ClientGone:
        return Response(status_code=499)  # never delivered: the connection is gone
    finally:
        gone.cancel()
        if not req.stream:
            job.cancel()  # a no-op once it is done; stops the work if this handler was cancelled
    return StreamingResponse(_stream(job, first, model_name), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache"})


class RunningServer:
    """uvicorn serving `app` in a background thread on a socket bound up front (port 0: an ephemeral
    port, known at once); `base_url` is what an OpenAI client is given; `close()` stops it."""

    def __init__(self, app: FastAPI, batcher: Batcher, host: str = "127.0.0.1", port: int = 0, quiet: bool = True):
        self.batcher = batcher
        self.sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.sock.bind((host, port))
        except OSError:
            self.sock.close()
            batcher.stop()
            raise
        config = uvicorn.Config(app, lifespan="off", access_log=not quiet, timeout_graceful_shutdown=3,
                                log_level="warning" if quiet else "info",
                                log_config=None if quiet else uvicorn.config.LOGGING_CONFIG)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, name="siri-serve",
                                       daemon=True)
        self.thread.start()
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                self.close()
                raise OSError("the HTTP server did not start")
            time.sleep(0.01)

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])

    @property
    def url(self) -> str:
        host = self.sock.getsockname()[0]
        return f"http://{'[' + host + ']' if ':' in host else host}:{self.port}"

    @property
    def base_url(self) -> str:
        return self.url + "/v1"

    def close(self) -> None:
        self.batcher.stop()
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()

    def __enter__(self) -> "RunningServer":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def start_server(model: Any, tokenizer: Any, host: str = "127.0.0.1", port: int = 0, model_name: str = "policy",
                 seed: int = 0, quiet: bool = True, max_body_bytes: int = MAX_BODY_BYTES, api_key: str | None = None,
                 max_batch_size: int = DEFAULT_MAX_BATCH_SIZE) -> RunningServer:
    """Serve `model` in background threads (one owns the model, one runs uvicorn); `close()` stops it."""
    batcher = Batcher(model, tokenizer, seed=seed, max_batch_size=max_batch_size)
    app = create_app(batcher, model_name, api_key, max_body_bytes)
    return RunningServer(app, batcher, host, port, quiet)
