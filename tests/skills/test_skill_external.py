"""The `external` generator over real HTTP on localhost (docs/algorithms.md §4): the request it sends,
the reply it parses, the `openai` client's retries, and failures that skip a mining round."""

from __future__ import annotations

import re
import socket
import sys
import time
import warnings
from types import SimpleNamespace

import pytest

from siri.agent import EpisodeRecord, build_structured_summary_prompt, build_summary_prompt, parse_skill_line
from siri.config import load_config
from siri.policy.serve import start_server
from siri.skills import GeneratorHandle, make_generator
from siri.skills.generators.external import ExternalGenerator
from siri.train.methods.siri.mining import Miner
from siri.train.methods.siri.phases import SuccessBuffer
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
    kw = {"model": "fake-model", "api_key_env": "SIRI_TEST_KEY", "timeout": 5.0, "retries": 2, **kw}
    return ExternalGenerator(base_url, **kw)


def test_request_carries_the_settings_and_the_reply_is_parsed(fake_server, reply, monkeypatch):
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
    assert req["headers"]["authorization"] == "Bearer sk-test-123"
    assert req["body"] == {"model": "fake-model", "temperature": 0.3, "max_tokens": 64, "messages": [
        {"role": "user", "content": build_summary_prompt("household", TT, [WIN], 3)}]}


def test_the_key_is_read_at_call_time_and_an_unset_variable_sends_none(fake_server, reply, monkeypatch):
    monkeypatch.delenv("SIRI_TEST_KEY", raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-not-this-one")  # only the configured variable is read
    fake = fake_server(lambda n, body: (200, reply("When a: b."), None, 0))
    gen = external(fake.base_url)
    assert gen.generate(TT, "household", [WIN]).skills == ["When a: b."]
    assert "authorization" not in fake.requests[0]["headers"]
    monkeypatch.setenv("SIRI_TEST_KEY", "sk-later")
    gen.generate(TT, "household", [WIN])
    assert fake.requests[1]["headers"]["authorization"] == "Bearer sk-later"


def test_structured_round_trip(fake_server, reply):
    text = ("Success patterns:\n- clean first\nMistakes to avoid:\n- looking around\n"
            "Golden workflow:\n1. go to sinkbasin 1")
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


def test_a_429_is_retried_then_succeeds(fake_server, reply):
    fake = fake_server(lambda n, body: (429, {"error": {"message": "slow down"}}, {"Retry-After": "0"}, 0) if n == 1
                       else (200, reply("When x: y."), None, 0))
    result = external(fake.base_url, retries=2).generate(TT, "household", [WIN])
    assert result.error is None and result.skills == ["When x: y."]
    assert len(fake.requests) == 2


def test_a_persistent_500_gives_up_after_one_plus_retries_attempts(fake_server):
    # Retry-After 0.01 s: the client waits what the server asks, not its own 0.5 s, 1 s backoff.
    fake = fake_server(lambda n, body: (500, {"error": {"message": "overloaded"}}, {"Retry-After": "0.01"}, 0))
    result = external(fake.base_url, retries=2).generate(TT, "household", [WIN])
    assert result.skills == [] and result.error == f"{fake.base_url}/chat/completions: HTTP 500: overloaded"
    assert len(fake.requests) == 3
    assert fake.requests[-1]["at"] - fake.requests[0]["at"] < 0.35


def test_a_timeout_is_an_error_result(fake_server, reply):
    fake = fake_server(lambda n, body: (200, reply("When x: y."), None, 1.0))
    start = time.monotonic()
    result = external(fake.base_url, timeout=0.2, retries=0).generate(TT, "household", [WIN])
    assert result.skills == [] and result.error.endswith("timed out after 0.2 s")
    assert len(fake.requests) == 1 and time.monotonic() - start < 0.9


def test_client_errors_are_not_retried_and_401_names_the_variable(fake_server, monkeypatch):
    monkeypatch.delenv("SIRI_TEST_KEY", raising=False)
    fake = fake_server(lambda n, body: (401, {"error": {"message": "bad key"}}, None, 0))
    result = external(fake.base_url).generate(TT, "household", [WIN])
    assert len(fake.requests) == 1
    assert "HTTP 401: bad key" in result.error and "$SIRI_TEST_KEY, which is not set" in result.error


def test_refused_connection_is_an_error_result():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = external(f"http://127.0.0.1:{port}/v1", retries=0).generate(TT, "household", [WIN])
    assert result.skills == [] and "connection failed" in result.error


def test_loopback_servers_bypass_a_proxy(fake_server, reply, monkeypatch):
    with socket.socket() as s:  # a proxy that refuses every connection
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    for var in ("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.setenv(var, dead)
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    fake = fake_server(lambda n, body: (200, reply("When x: y."), None, 0))
    assert external(fake.base_url, retries=0).generate(TT, "household", [WIN]).skills == ["When x: y."]


def test_non_json_and_shapeless_replies(fake_server):
    fake = fake_server(lambda n, body: (200, None, None, 0))
    assert external(fake.base_url).generate(TT, "household", [WIN]).error.endswith("not JSON")
    fake2 = fake_server(lambda n, body: (200, {"choices": []}, None, 0))
    assert "no choices[0].message.content" in external(fake2.base_url).generate(TT, "household", [WIN]).error


def test_a_failed_call_skips_the_mining_round_with_one_warning(fake_server):
    fake = fake_server(lambda n, body: (503, {"error": {"message": "down"}}, {"Retry-After": "0.01"}, 0))
    cfg = load_config(None, ["algo.name=siri", "algo.generator=external", f"algo.external_base_url={fake.base_url}",
                             "algo.external_retries=1", "algo.external_timeout=2"])
    buffer = SuccessBuffer(8)
    buffer.add(TT, WIN)
    miner = Miner(cfg)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        stats = miner.mine(buffer, SimpleNamespace(model=None, tokenizer=None), iteration=3)
    assert [str(w.message) for w in caught] == [
        f"skill mining for {TT} skipped: {fake.base_url}/chat/completions: HTTP 503: down"]
    assert stats["mine/errors"] == 1.0 and stats["mine/added"] == 0.0 and len(fake.requests) == 2


def test_a_missing_openai_package_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "openai", None)  # `import openai` now raises ImportError
    hint = re.escape("algo.generator=external needs the openai package: pip install 'siri-rl[openai]' "
                     "(in a source checkout: pip install -e '.[openai]')")
    with pytest.raises(UserError, match=hint):
        ExternalGenerator("http://127.0.0.1:8000/v1", "m")
    settings = SimpleNamespace(generator="external")
    with pytest.raises(UserError, match=hint):
        GeneratorHandle(settings)
    GeneratorHandle(SimpleNamespace(generator="extractive"))  # other kinds do not need it


def test_bad_settings_fail_early():
    with pytest.raises(UserError, match="http:// or https://"):
        ExternalGenerator("localhost:8000/v1", "m")
    with pytest.raises(UserError, match="model name"):
        ExternalGenerator("http://127.0.0.1:8000/v1", "")
    with pytest.raises(UserError, match="retries >= 0"):
        ExternalGenerator("http://127.0.0.1:8000/v1", "m", retries=-1)
    with pytest.raises(ValueError, match="allowed: self, external, extractive"):
        make_generator("oracle")
