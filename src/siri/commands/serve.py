"""`siri serve --checkpoint DIR [--host 127.0.0.1] [--port 8000]`: an OpenAI-compatible chat endpoint
(docs/architecture.md "Serving a policy"). Flag names follow vLLM's where one exists."""

from __future__ import annotations

import argparse
import signal

from siri.utils.errors import install_hint

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve",
        help="serve a policy as an OpenAI-compatible chat endpoint",
        description="Serve a model (a model directory, a checkpoint or a run directory) at "
        "POST /v1/chat/completions (streaming and logprobs included) and GET /v1/models, OpenAI-style, "
        "sampling concurrent requests in batches. Used by the `external` skill generator and to deploy a "
        "plain-prompt agent. Binds to 127.0.0.1 by default; --api-key adds a Bearer-token check; --quiet "
        "does not log each request. "
        f"Needs the serve extra: {install_hint('serve')}.",
    )
    p.add_argument("--checkpoint", required=True,
                   help="a model directory, a checkpoint (iter_*/) or a run directory (its latest checkpoint)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)")
    p.add_argument("--served-model-name", dest="model_name", default="policy",
                   help="the model id reported by /v1/models and in replies (default: policy)")
    p.add_argument("--api-key", default=None,
                   help="require 'Authorization: Bearer KEY' on /v1/* (default: no key; 401 for a wrong one)")
    p.add_argument("--max-batch-size", type=int, default=None,
                   help="most responses sampled in one batch (default 64; a request's n choices are never split)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    p.add_argument("--dtype", default="float32", choices=("float32", "bfloat16", "float16"))
    p.add_argument("--seed", type=int, default=0, help="sampling seed for requests that give none")
    p.add_argument("--max-body-bytes", type=int, default=None,
                   help="largest request body accepted, in bytes (default 1 MiB; larger ones get HTTP 413)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from siri.commands.eval import resolve_model_dir
    from siri.policy.loading import load_policy
    from siri.policy.serve import start_server
    from siri.policy.serve_batch import DEFAULT_MAX_BATCH_SIZE
    from siri.policy.serve_requests import MAX_BODY_BYTES
    from siri.utils.errors import UserError

    if not 0 <= args.port <= 65535:
        raise UserError(f"--port must be in [0, 65535], got {args.port}")
    max_body = MAX_BODY_BYTES if args.max_body_bytes is None else args.max_body_bytes
    if max_body < 1:
        raise UserError(f"--max-body-bytes must be positive, got {max_body}")
    batch = DEFAULT_MAX_BATCH_SIZE if args.max_batch_size is None else args.max_batch_size
    if batch < 1:
        raise UserError(f"--max-batch-size must be positive, got {batch}")
    if args.api_key is not None and not args.api_key.strip():
        raise UserError("--api-key must not be empty")
    model_dir, _ = resolve_model_dir(Path(args.checkpoint))
    model, tokenizer = load_policy(str(model_dir), args.device, args.dtype)
    if not getattr(tokenizer, "chat_template", None):
        raise UserError(f"the tokenizer of {model_dir} has no chat template; serve an instruct/chat model")
    try:
        server = start_server(model, tokenizer, args.host, args.port, args.model_name, args.seed, quiet=args.quiet,
                              max_body_bytes=max_body, api_key=args.api_key, max_batch_size=batch)
    except OSError as e:
        raise UserError(f"cannot listen on {args.host}:{args.port}: {e.strerror or e}") from None
    if args.host not in LOOPBACK and args.api_key is None:
        print(f"warning: listening on {args.host}, reachable from other machines, with no authentication")
    print(f"serving {model_dir} as {args.model_name!r} at {server.base_url} (Ctrl-C to stop)", flush=True)
    signal.signal(signal.SIGTERM, _stop)
    try:
        server.thread.join()
    except _Stop:
        print("stopped", flush=True)
    finally:
        server.close()
    return 0


class _Stop(Exception):
    """Raised in the main thread by SIGTERM so that the server shuts down cleanly."""


def _stop(signum, frame) -> None:
    raise _Stop()
