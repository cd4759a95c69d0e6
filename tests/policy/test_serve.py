"""`siri serve`'s endpoint: OpenAI chat-completions shape, sampling as `sample` does, clear 400s."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from siri.policy.loading import chat_prompt_ids, eos_token_ids
from siri.policy.sampling import sample
from siri.policy.serve import cut_at_stop, start_server

@pytest.fixture(scope="module")
def server(tiny):
    model, tok = tiny
    with start_server(model, tok, port=0, model_name="tiny-policy") as running:
        yield running


def call(url: str, body=None, method: str = "POST", raw: bytes | None = None) -> tuple[int, dict]:
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def chat(server, **body) -> tuple[int, dict]:
    body.setdefault("messages", [{"role": "user", "content": "go to countertop 1"}])
    return call(server.base_url + "/chat/completions", body)


def greedy_reference(tiny, user: str, max_new: int, stop=()) -> tuple[str, list[int], list[int], str]:
    model, tok = tiny
    ids = chat_prompt_ids(tok, user)
    out = sample(model, [ids], max_new_tokens=max_new, temperature=0.0, stop=stop, tokenizer=tok,
                 eos_token_id=eos_token_ids(model, tok), pad_token_id=tok.pad_token_id)
    return tok.decode(out[0].ids, skip_special_tokens=True), ids, out[0].ids, out[0].finish_reason


def test_models_and_health(server):
    status, body = call(server.base_url + "/models", method="GET")
    assert status == 200 and body["object"] == "list"
    assert [m["id"] for m in body["data"]] == ["tiny-policy"]
    assert call(server.url + "/health", method="GET") == (200, {"status": "ok"})
    assert server.base_url.startswith("http://127.0.0.1:") and server.port > 0


def test_greedy_completion_matches_the_sampler(server, tiny):
    status, body = chat(server, temperature=0, max_tokens=12)
    assert status == 200
    text, prompt_ids, out_ids, reason = greedy_reference(tiny, "go to countertop 1", 12)
    assert body["object"] == "chat.completion" and body["id"].startswith("chatcmpl-")
    assert body["model"] == "tiny-policy" and len(body["choices"]) == 1
    choice = body["choices"][0]
    assert choice["message"] == {"role": "assistant", "content": text}
    assert choice["finish_reason"] == ("length" if reason == "length" else "stop")
    assert body["usage"] == {"prompt_tokens": len(prompt_ids), "completion_tokens": len(out_ids),
                             "total_tokens": len(prompt_ids) + len(out_ids)}


def test_stop_string_cuts_the_text(server, tiny):
    text, *_ = greedy_reference(tiny, "go to countertop 1", 24)
    visible = text.strip()
    assert len(visible) >= 4, "the tiny model should produce some text"
    stop = visible[2:4]
    status, body = chat(server, temperature=0, max_tokens=24, stop=stop)
    assert status == 200
    assert body["choices"][0]["message"]["content"] == text[: text.find(stop)]
    assert body["choices"][0]["finish_reason"] == "stop"
    assert cut_at_stop("abcXdefY", ["Y", "X"]) == "abc"


def test_seed_reproduces_and_n_gives_choices(server):
    a = chat(server, temperature=1.0, max_tokens=10, seed=7)[1]
    b = chat(server, temperature=1.0, max_tokens=10, seed=7)[1]
    assert a["choices"][0]["message"] == b["choices"][0]["message"]
    status, many = chat(server, temperature=1.0, max_tokens=5, n=3, seed=1)
    assert status == 200 and [c["index"] for c in many["choices"]] == [0, 1, 2]


def test_multi_turn_and_text_parts(server):
    messages = [{"role": "system", "content": "be brief"}, {"role": "user", "content": [{"type": "text", "text": "hi"}]},
                {"role": "assistant", "content": "ok"}, {"role": "user", "content": "look"}]
    status, body = chat(server, messages=messages, max_tokens=3)
    assert status == 200 and body["usage"]["completion_tokens"] <= 3


@pytest.mark.parametrize("body, param", [
    ({"messages": []}, "messages"),
    ({"messages": [{"role": "robot", "content": "x"}]}, "messages"),
    ({"messages": [{"role": "user", "content": 3}]}, "messages"),
    ({"temperature": "hot"}, "temperature"),
    ({"temperature": -1}, "temperature"),
    ({"top_p": 0}, "top_p"),
    ({"max_tokens": 0}, "max_tokens"),
    ({"n": 99}, "n"),
    ({"stop": [1, 2]}, "stop"),
    ({"stream": True}, "stream"),
    ({"messages": [{"role": "user", "content": "word " * 3000}]}, "messages"),
])
def test_malformed_requests_get_400_with_a_message(server, body, param):
    status, reply = chat(server, **body)
    assert status == 400
    assert reply["error"]["type"] == "invalid_request_error" and reply["error"]["param"] == param
    assert reply["error"]["message"]


def test_bad_json_unknown_path_and_wrong_method(server):
    status, reply = call(server.base_url + "/chat/completions", raw=b"{not json")
    assert status == 400 and "not valid JSON" in reply["error"]["message"]
    status, reply = call(server.base_url + "/chat/completions", raw=b"[1, 2]")
    assert status == 400 and "JSON object" in reply["error"]["message"]
    assert call(server.base_url + "/completions", {"prompt": "x"})[0] == 404
    assert call(server.base_url + "/chat/completions", method="GET")[0] == 405
    assert call(server.url + "/nope", method="GET")[0] == 404
