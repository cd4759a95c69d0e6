"""`siri serve` through the official `openai` client on 127.0.0.1: replies equal the sampler's,
streaming joins up to the non-streamed text, logprobs equal the scorer's, ranges and the API key are
enforced, concurrent requests are batched, and a client that leaves stops its generation."""

from __future__ import annotations

import threading
import time

import httpx
import openai
import pytest
import torch

from siri.policy.loading import chat_prompt_ids, eos_token_ids
from siri.policy.sampling import sample
from siri.policy.scoring import score
from siri.policy.serve import start_server

USER = "go to countertop 1"
MESSAGES = [{"role": "user", "content": USER}]


@pytest.fixture(scope="module")
def server(tiny):
    model, tok = tiny
    with start_server(model, tok, port=0, model_name="tiny-policy", api_key="sk-test", max_batch_size=32) as running:
        yield running


@pytest.fixture(scope="module")
def client(server):
    return openai.OpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0, timeout=60)


def chat(client, **kw):
    kw.setdefault("messages", MESSAGES)
    return client.chat.completions.create(model="tiny-policy", **kw)


def streamed(client, **kw) -> tuple[dict[int, str], dict[int, str], dict[int, list], list]:
    """Texts, finish reasons and logprob entries per choice, and every chunk, of a streamed call."""
    texts, reasons, entries, chunks = {}, {}, {}, []
    for chunk in chat(client, stream=True, **kw):
        chunks.append(chunk)
        for c in chunk.choices:
            texts[c.index] = texts.get(c.index, "") + (c.delta.content or "")
            if c.finish_reason:
                reasons[c.index] = c.finish_reason
            if c.logprobs:
                entries.setdefault(c.index, []).extend(c.logprobs.content)
    return texts, reasons, entries, chunks


def reference(tiny, max_new: int, **kw):
    """The sampler called directly, as the server calls it for a request alone in its batch."""
    model, tok = tiny
    prompt = chat_prompt_ids(tok, USER)
    out = sample(model, [prompt], max_new_tokens=max_new, stop=(), eos_token_id=eos_token_ids(model, tok),
                 pad_token_id=tok.pad_token_id, **kw)
    return prompt, out[0]


def test_models_health_and_plain_completion_match_the_sampler(server, client, tiny):
    assert [m.id for m in client.models.list().data] == ["tiny-policy"]
    assert httpx.get(server.url + "/health").json() == {"status": "ok"}
    reply = chat(client, temperature=0, max_tokens=12)
    prompt, ref = reference(tiny, 12, temperature=0.0)
    text = tiny[1].decode(ref.ids, skip_special_tokens=True)
    assert reply.object == "chat.completion" and reply.id.startswith("chatcmpl-") and reply.model == "tiny-policy"
    assert reply.choices[0].message.content == text and reply.choices[0].message.role == "assistant"
    assert reply.choices[0].finish_reason == ("length" if ref.finish_reason == "length" else "stop")
    assert reply.choices[0].logprobs is None
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (len(prompt), len(ref.ids))


def test_streaming_joins_up_to_the_non_streamed_reply(client):
    plain = chat(client, temperature=0, max_tokens=12, n=2)
    texts, reasons, _, chunks = streamed(client, temperature=0, max_tokens=12, n=2,
                                         stream_options={"include_usage": True})
    assert texts == {c.index: c.message.content for c in plain.choices}
    assert reasons == {c.index: c.finish_reason for c in plain.choices}
    assert len(chunks) > 4 and {c.object for c in chunks} == {"chat.completion.chunk"}
    assert len({c.id for c in chunks}) == 1
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == plain.usage.completion_tokens


def test_stop_strings_cut_streamed_and_plain_text_alike(client):
    unstopped = chat(client, temperature=1.0, seed=5, max_tokens=40).choices[0].message.content
    stop = unstopped[len(unstopped) // 2: len(unstopped) // 2 + 3]
    assert len(unstopped) > 10 and len(stop) == 3
    expected = unstopped[: unstopped.find(stop)]
    plain = chat(client, temperature=1.0, seed=5, max_tokens=40, stop=[stop, "never seen"])
    texts, reasons, _, _ = streamed(client, temperature=1.0, seed=5, max_tokens=40, stop=[stop, "never seen"])
    assert plain.choices[0].message.content == texts[0] == expected
    assert plain.choices[0].finish_reason == reasons[0] == "stop"


def test_logprobs_are_the_scorers_and_top_logprobs_the_models_most_likely(server, client, tiny):
    model, tok = tiny
    reply = chat(client, temperature=0.7, seed=3, max_tokens=8, logprobs=True, top_logprobs=3)
    prompt, ref = reference(tiny, 8, temperature=0.7, seed=3)  # a seeded request is sampled alone
    content = reply.choices[0].logprobs.content
    assert len(content) == len(ref.ids) == reply.usage.completion_tokens
    with torch.no_grad():
        scored = score(model, [prompt], [ref.ids], temperature=0.7)[0]
        logits = model(input_ids=torch.tensor([prompt + ref.ids])).logits[0, len(prompt) - 1:-1]
        top = torch.log_softmax(logits.double() / 0.7, dim=-1).topk(3)
    torch.testing.assert_close(torch.tensor([e.logprob for e in content]), scored.float(), atol=1e-4, rtol=0)
    for entry, token_id, values, ids in zip(content, ref.ids, top.values.tolist(), top.indices.tolist()):
        assert [t.logprob for t in entry.top_logprobs] == pytest.approx(values, abs=1e-4)
        assert entry.logprob <= entry.top_logprobs[0].logprob + 1e-6
        for t, i in zip([entry] + entry.top_logprobs, [token_id] + ids):
            decoded = tok.decode([i])
            if "\ufffd" not in decoded and i not in tok.all_special_ids:
                assert t.token == decoded and bytes(t.bytes) == decoded.encode("utf-8")
    visible = b"".join(bytes(e.bytes) for e, i in zip(content, ref.ids) if i not in tok.all_special_ids)
    assert visible.decode("utf-8", errors="replace") == reply.choices[0].message.content  # random bytes: lossy
    _, _, entries, _ = streamed(client, temperature=0.7, seed=3, max_tokens=8, logprobs=True, top_logprobs=3)
    assert [e.model_dump() for e in entries[0]] == [e.model_dump() for e in content]


def test_seed_reproduces_and_n_gives_choices(client):
    a, b = (chat(client, temperature=1.0, max_tokens=10, seed=7).choices[0].message.content for _ in range(2))
    assert a == b
    many = chat(client, temperature=1.0, max_tokens=5, n=3, seed=1)
    assert [c.index for c in many.choices] == [0, 1, 2]


@pytest.mark.parametrize("fields, param, allowed", [
    ({"temperature": 5}, "temperature", "[0, 2]"),
    ({"top_p": 0}, "top_p", "(0, 1]"),
    ({"top_logprobs": 21, "logprobs": True}, "top_logprobs", "[0, 20]"),
    ({"top_logprobs": 2}, "top_logprobs", "logprobs: true"),
    ({"max_tokens": 0}, "max_tokens", ">= 1"),
])
def test_out_of_range_parameters_get_a_400_naming_the_range(client, fields, param, allowed):
    with pytest.raises(openai.BadRequestError) as err:
        chat(client, **fields)
    assert err.value.status_code == 400
    body = err.value.body
    assert body["param"] == param and allowed in body["message"] and "\n" not in body["message"]


def test_a_wrong_or_missing_api_key_gets_401(server):
    bad = openai.OpenAI(base_url=server.base_url, api_key="sk-wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as err:
        bad.chat.completions.create(model="tiny-policy", messages=MESSAGES, max_tokens=1)
    assert err.value.status_code == 401 and err.value.body["code"] == "invalid_api_key"
    missing = httpx.post(server.base_url + "/chat/completions", json={"messages": MESSAGES, "max_tokens": 1})
    assert missing.status_code == 401 and missing.json()["error"]["code"] == "invalid_api_key"
    assert httpx.get(server.base_url + "/models").status_code == 401
    assert httpx.get(server.url + "/health").status_code == 200  # health needs no key


def test_100_concurrent_requests_succeed_in_fewer_sampler_calls(server, client):
    clients, outcomes = 100, []
    barrier = threading.Barrier(clients)
    before = server.batcher.stats.calls

    def one() -> None:
        barrier.wait()
        try:
            reply = chat(client, max_tokens=2)
            outcomes.append(reply.choices[0].finish_reason in ("stop", "length"))
        except Exception as e:  # a reset, a timeout or an HTTP error: counted, not raised in the thread
            outcomes.append(f"{type(e).__name__}: {e}")

    threads = [threading.Thread(target=one) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert outcomes == [True] * clients
    calls = server.batcher.stats.calls - before
    assert calls < clients and server.batcher.stats.largest_call > 1, calls


def wait_for(condition, timeout: float = 20.0) -> float:
    start = time.monotonic()
    while not condition():
        assert time.monotonic() - start < timeout, "timed out"
        time.sleep(0.02)
    return time.monotonic() - start


def test_a_client_that_disconnects_stops_its_generation(server, client):
    """max_tokens 1500 runs for many seconds on the tiny model; a client that gives up after 0.5 s
    is noticed and its rows end at the next step (counted as cancelled, never completed)."""
    stats = server.batcher.stats
    cancelled, completed = stats.cancelled, stats.completed
    quick = openai.OpenAI(base_url=server.base_url, api_key="sk-test", max_retries=0, timeout=0.5)
    with pytest.raises(openai.APITimeoutError):
        quick.chat.completions.create(model="tiny-policy", messages=MESSAGES, temperature=0, max_tokens=1500)
    assert wait_for(lambda: stats.cancelled == cancelled + 1) < 10
    stream = chat(client, temperature=0, max_tokens=1500, stream=True)
    next(iter(stream))
    stream.close()
    assert wait_for(lambda: stats.cancelled == cancelled + 2) < 10
    assert stats.completed == completed
    assert chat(client, max_tokens=1).choices[0].finish_reason in ("stop", "length")  # the model is free
