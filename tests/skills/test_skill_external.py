"""The `external` generator over real HTTP on localhost (docs/algorithms.md §4): round trip, retries, errors."""

from __future__ import annotations

import socket
import time

import pytest

from siri.agent import EpisodeRecord, build_structured_summary_prompt, build_summary_prompt, parse_skill_line
from siri.policy.serve import start_server
from siri.skills import make_generator
from siri.skills.generators.external import ExternalGenerator
from siri.skills.generators.http_client import chat_completion, post_json
from siri.utils.errors import UserError

TT = "pick_clean_then_place_in_recep"
WIN = EpisodeRecord("put a clean mug in coffeemachine", ("go to sinkbasin 1", "clean mug 1 with sinkbasin 1"), True)
LOSS = EpisodeRecord("put a clean mug in coffeemachine", ("look",), False)
REPLY = ("When the mug is dirty: clean it with the sinkbasin first.\n"
         "I think these are good skills\n"
         "\n"
         "- When the coffeemachine is far: go to it before taking anything.\n"
         "When the mug is dirty: clean it with the sinkbasin first!\n")


def external(base_url: str, **kw) -> ExternalGenerator:
    kw = {"model": "fake-model", "api_key_env": "SIRI_TEST_KEY", "timeout": 5.0, "retries": 2, "backoff": 0.0, **kw}
    return ExternalGenerator(base_url, **kw)


def test_well_formed_skills_come_through(fake_server, reply, monkeypatch):
    monkeypatch.setenv("SIRI_TEST_KEY", "sk-test-123")
    fake = fake_server(lambda n, body: (200, reply(REPLY), None, 0))
    gen = external(fake.base_url, temperature=0.3, max_tokens=64)
    result = gen.generate(TT, "household", [WIN, LOSS], max_skills=3)
    assert result.error is None
    assert result.skills == ["When the mug is dirty: clean it with the sinkbasin first.",
                             "When the coffeemachine is far: go to it before taking anything."]
    assert result.n_malformed == 1 and result.raw == REPLY
    (req,) = fake.requests
    assert req["path"] == "/v1/chat/completions"
    assert req["headers"]["Authorization"] == "Bearer sk-test-123"
    assert req["body"] == {"model": "fake-model", "temperature": 0.3, "max_tokens": 64, "messages": [
        {"role": "user", "content": build_summary_prompt("household", TT, [WIN], 3)}]}


def test_no_key_sends_no_authorization(fake_server, reply, monkeypatch):
    monkeypatch.delenv("SIRI_TEST_KEY", raising=False)
    fake = fake_server(lambda n, body: (200, reply("When a: b."), None, 0))
    assert external(fake.base_url).generate(TT, "household", [WIN]).skills == ["When a: b."]
    assert "Authorization" not in fake.requests[0]["headers"]


def test_structured_round_trip(fake_server, reply):
    text = "Success patterns:\n- clean first\nMistakes to avoid:\n- looking around\nGolden workflow:\n1. go to sinkbasin 1"
    fake = fake_server(lambda n, body: (200, reply(text), None, 0))
    result = external(fake.base_url).generate_structured(TT, "household", [WIN, LOSS], max_items=2)
    assert result.error is None and result.n_malformed == 0
    assert result.skill.workflow == ("go to sinkbasin 1",) and result.skill.mistakes == ("looking around",)
    assert fake.requests[0]["body"]["messages"][0]["content"] == build_structured_summary_prompt(
        "household", TT, [WIN, LOSS], 2)


def test_round_trip_through_siri_serve(tiny):
    """The real server with a random tiny model: the reply is garbage, parsed and counted."""
    model, tok = tiny
    with start_server(model, tok, port=0) as server:
        gen = make_generator("external", base_url=server.base_url, model_name="policy", api_key_env=None,
                             temperature=1.0, max_new_tokens=32, timeout=30.0, retries=0)
        result = gen.generate(TT, "household", [WIN])
    assert result.error is None and result.raw.strip()
    lines = [line for line in result.raw.splitlines() if line.strip()]
    assert result.n_malformed == sum(parse_skill_line(line) is None for line in lines)
    assert len(result.skills) + result.n_malformed >= 1


def test_500_is_retried_with_exponential_backoff(fake_server):
    fake = fake_server(lambda n, body: (500, {"error": {"message": "overloaded"}}, None, 0))
    waits: list[float] = []
    gen = external(fake.base_url, retries=3, backoff=0.5, sleep=waits.append)
    result = gen.generate(TT, "household", [WIN])
    assert result.skills == [] and "HTTP 500: overloaded" in result.error and "4 attempt" in result.error
    assert len(fake.requests) == 4 and waits == [0.5, 1.0, 2.0]


def test_recovers_after_a_transient_failure(fake_server, reply):
    fake = fake_server(lambda n, body: (503, None, None, 0) if n == 1 else (200, reply("When x: y."), None, 0))
    result = external(fake.base_url).generate(TT, "household", [WIN])
    assert result.skills == ["When x: y."] and len(fake.requests) == 2


def test_retry_after_header_is_honoured(fake_server, reply):
    fake = fake_server(lambda n, body: (429, {"error": "slow down"}, {"Retry-After": "0.05"}, 0) if n == 1
                       else (200, reply("When x: y."), None, 0))
    waits: list[float] = []
    assert external(fake.base_url, sleep=waits.append).generate(TT, "household", [WIN]).skills == ["When x: y."]
    assert waits == [0.05]


def test_client_errors_are_not_retried_and_401_names_the_variable(fake_server, monkeypatch):
    monkeypatch.delenv("SIRI_TEST_KEY", raising=False)
    fake = fake_server(lambda n, body: (401, {"error": {"message": "bad key"}}, None, 0))
    result = external(fake.base_url).generate(TT, "household", [WIN])
    assert len(fake.requests) == 1
    assert "HTTP 401: bad key" in result.error and "$SIRI_TEST_KEY, which is not set" in result.error


def test_timeout_is_retried_then_reported(fake_server, reply):
    fake = fake_server(lambda n, body: (200, reply("When x: y."), None, 1.5))
    start = time.monotonic()
    result = external(fake.base_url, timeout=0.2, retries=1).generate(TT, "household", [WIN])
    assert result.skills == [] and "timed out after 0.2 s" in result.error
    assert len(fake.requests) == 2 and time.monotonic() - start < 1.4


def test_refused_connection_is_an_error_result():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    waits: list[float] = []
    result = external(f"http://127.0.0.1:{port}/v1", retries=1, backoff=0.1, sleep=waits.append).generate(
        TT, "household", [WIN])
    assert result.skills == [] and "connection failed" in result.error and waits == [0.1]


def test_non_json_and_shapeless_replies(fake_server):
    fake = fake_server(lambda n, body: (200, None, None, 0))
    assert "not JSON" in external(fake.base_url).generate(TT, "household", [WIN]).error
    fake2 = fake_server(lambda n, body: (200, {"choices": []}, None, 0))
    assert "no choices[0].message.content" in external(fake2.base_url).generate(TT, "household", [WIN]).error


def test_low_level_client(fake_server, reply):
    fake = fake_server(lambda n, body: (200, reply("hello"), None, 0))
    out = chat_completion(fake.base_url + "/", "m", [{"role": "user", "content": "hi"}], stop=["\n"], retries=0)
    assert (out.text, out.error, out.finish_reason, out.attempts) == ("hello", None, "stop", 1)
    assert fake.requests[0]["body"]["stop"] == ["\n"]
    bad = post_json("ftp://127.0.0.1/x", {}, retries=3)
    assert bad.error.startswith("bad URL") and bad.attempts == 0


def test_bad_settings_fail_early():
    with pytest.raises(UserError, match="http:// or https://"):
        ExternalGenerator("localhost:8000/v1", "m")
    with pytest.raises(UserError, match="model name"):
        ExternalGenerator("http://127.0.0.1:8000/v1", "")
    with pytest.raises(ValueError, match="allowed: self, external, extractive"):
        make_generator("oracle")
