"""The serving worker: waiting requests share sampler calls when their settings allow, a batch never
passes `max_batch_size` rows nor splits a request, each row keeps its own token limit, and a request
whose client left before it was sampled is dropped."""

from __future__ import annotations

import asyncio

import pytest

from siri.policy.serve_batch import Batcher, Job
from siri.policy.serve_requests import parse_request


def request(**fields):
    return parse_request({"messages": [{"role": "user", "content": "go to countertop 1"}], "max_tokens": 2, **fields})


def run(batcher: Batcher, requests: list, cancelled: tuple[int, ...] = ()) -> list[list[tuple]]:
    """Submit all requests while the worker cannot take any (so it sees them together); return each
    live job's events up to its `done` or `error`."""

    async def main() -> list[list[tuple]]:
        loop = asyncio.get_running_loop()
        jobs = [Job(r, loop) for r in requests]
        for i in cancelled:
            jobs[i].cancel()
        with batcher.wake:
            for job in jobs:
                batcher.submit(job)
        out = []
        for i, job in enumerate(jobs):
            events = []
            while i not in cancelled and (not events or events[-1][0] not in ("done", "error")):
                events.append(await asyncio.wait_for(job.events.get(), 60))
            out.append(events)
        return out

    return asyncio.run(main())


@pytest.fixture
def batcher(tiny):
    made = []

    def make(**kw) -> Batcher:
        made.append(Batcher(*tiny, **kw))
        return made[-1]

    yield make
    for b in made:
        b.stop()


def test_jobs_share_a_call_per_temperature_and_top_p_and_seeded_ones_go_alone(batcher):
    b = batcher()
    events = run(b, [request(temperature=0), request(temperature=0, top_p=0.5), request(), request(),
                     request(seed=4), request(temperature=0.5)])
    assert all(e[-1][0] == "done" for e in events)
    # greedy (either top-p) | temperature 1 | the seeded one | temperature 0.5
    assert (b.stats.calls, b.stats.rows, b.stats.largest_call) == (4, 6, 2)


def test_a_batch_holds_at_most_max_batch_size_rows_and_never_splits_a_request(batcher):
    b = batcher(max_batch_size=4)
    events = run(b, [request(temperature=0)] * 5 + [request(temperature=0, n=3), request(temperature=0, n=6)])
    assert [len([e for e in ev if e[0] == "finish"]) for ev in events] == [1, 1, 1, 1, 1, 3, 6]
    assert (b.stats.calls, b.stats.largest_call) == (3, 6)  # [1,1,1,1] [1,3] [6]


def test_each_row_keeps_its_own_token_limit_in_a_shared_call(batcher):
    b = batcher()
    events = run(b, [request(temperature=0, max_tokens=3), request(temperature=0, max_tokens=9, n=2)])
    assert b.stats.calls == 1
    usage = [ev[-1][1]["completion_tokens"] for ev in events]
    reasons = [[e[4] for e in ev if e[0] == "finish"] for ev in events]
    assert usage == [3, 18] and reasons == [["length"], ["length", "length"]]  # greedy never ends early here


def test_a_job_cancelled_while_queued_is_dropped_unsampled(batcher):
    b = batcher()
    events = run(b, [request(), request(temperature=0)], cancelled=(0,))
    assert events[0] == [] and events[1][-1][0] == "done"
    assert (b.stats.dropped, b.stats.rows, b.stats.completed) == (1, 1, 1)
