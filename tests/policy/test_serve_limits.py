"""`siri serve` under bad input, checked at the HTTP level only (raw sockets, http.client), so the
tests hold for any server behind the same endpoint: the body size cap, malformed framing, field
ranges, and JSON errors for every refusal the application makes."""

from __future__ import annotations

import http.client
import json
import socket
import time

import pytest

from siri.policy.serve import start_server
from siri.policy.serve_requests import MAX_BODY_BYTES, MAX_JSON_DEPTH

PATH = "/v1/chat/completions"
MESSAGES = [{"role": "user", "content": "go to countertop 1"}]


@pytest.fixture(scope="module")
def server(tiny):
    model, tok = tiny
    with start_server(model, tok, port=0) as running:
        yield running


def raw_exchange(server, data: bytes) -> tuple[int, dict[str, str], bytes, float]:
    """Send `data` on a new connection and read one response; the client side stays open, so a
    server that waited for more body would hang, not answer. Returns (status, lower-cased headers,
    body, seconds)."""
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(data)
        resp = http.client.HTTPResponse(sock)
        resp.begin()
        body = resp.read()
    return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body, time.monotonic() - start


def post(server, body: bytes, headers: dict[str, str] | None = None, method: str = "POST", path: str = PATH):
    """(status, headers, JSON body or None) through http.client, which frames the body itself."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        conn.request(method, path, body=body, headers={"Content-Type": "application/json", **(headers or {})})
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, json.loads(data) if data else None
    finally:
        conn.close()


def chat(server, **fields) -> tuple[int, dict]:
    status, _, body = post(server, json.dumps({"messages": MESSAGES, **fields}).encode())
    return status, body


def assert_error(body: dict | None, param: str | None = None) -> None:
    """OpenAI's error shape: clients read error.message; param names the field when there is one."""
    assert body is not None and set(body["error"]) == {"message", "type", "param", "code"}
    assert body["error"]["message"] and body["error"]["type"] == "invalid_request_error"
    assert body["error"]["param"] == param


def request_head(length: str | None = None, extra: str = "") -> bytes:
    head = f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    if length is not None:
        head += f"Content-Length: {length}\r\n"
    return (head + extra + "\r\n").encode()


def chunked(payload: bytes, size: int = 65536) -> bytes:
    parts = [payload[i:i + size] for i in range(0, len(payload), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"


@pytest.mark.parametrize("data", [
    request_head(str(2 * 1024 * 1024)) + b"{",  # refused from the header, before the body is sent
    request_head(str(10**19)),  # past int64: no int() overflow anywhere
    request_head(extra="Transfer-Encoding: chunked\r\n") + chunked(b" " * (MAX_BODY_BYTES + 1)),
])
def test_a_body_over_the_cap_gets_413_at_once(server, data):
    status, headers, body, seconds = raw_exchange(server, data)
    assert status == 413 and headers["content-type"] == "application/json"
    assert_error(json.loads(body))
    assert str(MAX_BODY_BYTES) in json.loads(body)["error"]["message"] and seconds < 5


def test_a_chunked_body_under_the_cap_is_read(server):
    payload = json.dumps({"messages": MESSAGES, "max_tokens": 1}).encode()
    head = request_head(extra="Transfer-Encoding: chunked\r\n")
    status, _, body, _ = raw_exchange(server, head + chunked(payload, 7))
    assert status == 200 and json.loads(body)["object"] == "chat.completion"


@pytest.mark.parametrize("head", [
    request_head("-1"), request_head("abc"), request_head("1_0"), request_head("+2"),
    request_head("2", extra="Content-Length: 3\r\n"),  # two different lengths
    request_head(str(10**30)),
])
def test_a_malformed_content_length_gets_400_at_once(server, head):
    """Refused by the HTTP layer (uvicorn) before the application sees the request."""
    status, _, _, seconds = raw_exchange(server, head + b'{"messages": [' * 1000)
    assert status == 400 and seconds < 5


def test_a_body_without_a_length_is_empty(server):
    status, _, body, _ = raw_exchange(server, request_head())
    assert status == 400 and "not valid JSON" in json.loads(body)["error"]["message"]


def test_an_oversized_body_sent_in_full_gets_413_not_a_reset(server):
    payload = json.dumps({"messages": MESSAGES, "pad": "x" * (MAX_BODY_BYTES + 10)}).encode()
    status, headers, body = post(server, payload)
    assert status == 413 and str(MAX_BODY_BYTES) in body["error"]["message"]
    assert_error(body)


def test_a_body_near_the_cap_is_refused_with_bounded_cost(server):
    content = "word " * ((MAX_BODY_BYTES - 200) // 5)
    payload = json.dumps({"messages": [{"role": "user", "content": content}], "max_tokens": 1}).encode()
    assert len(payload) <= MAX_BODY_BYTES
    start = time.monotonic()
    status, _, body = post(server, payload)
    assert status == 400 and time.monotonic() - start < 3  # the probe's 7 MB body took 10 s of CPU
    assert_error(body, "messages")


def nested(depth: int) -> str:
    return "[" * (depth - 1) + "]" * (depth - 1)  # plus the body object itself: `depth` levels


@pytest.mark.parametrize("raw, param", [
    ('"seed": 18446744073709551616', "seed"),  # 2**64: used to reach torch and fail with 500
    ('"seed": -9223372036854775809', "seed"),
    ('"seed": "7"', "seed"),
    ('"seed": 1.5', "seed"),
    ('"temperature": NaN', "temperature"),  # used to be accepted
    ('"temperature": Infinity', "temperature"),
    ('"temperature": 2.5', "temperature"),
    ('"temperature": true', "temperature"),
    ('"top_p": NaN', "top_p"),  # used to fail with 500
    ('"top_p": 1e999', "top_p"),
    ('"top_p": 1.5', "top_p"),
    ('"n": 0', "n"),
    ('"n": 17', "n"),
    ('"n": true', "n"),
    ('"max_tokens": -1', "max_tokens"),
    ('"max_tokens": "5"', "max_tokens"),
    ('"max_completion_tokens": 0', "max_completion_tokens"),
    ('"stop": ["a", "b", "c", "d", "e"]', "stop"),
    ('"stop": 3', "stop"),
    ('"stream": "yes"', "stream"),
    ('"logprobs": 1', "logprobs"),
    ('"logprobs": true, "top_logprobs": -1', "top_logprobs"),
    ('"logprobs": true, "top_logprobs": 2.0', "top_logprobs"),
    ('"stream_options": {"include_usage": true}', "stream_options"),  # without stream
    ('"model": 3', "model"),
    (f'"extra": {nested(MAX_JSON_DEPTH + 1)}', None),
    ('"extra": ' + "[" * 100_000 + "]" * 100_000, None),  # used to fail with 500 (RecursionError)
])
def test_out_of_range_fields_get_400_naming_the_field(server, raw, param):
    payload = '{"messages": [{"role": "user", "content": "look"}], "max_tokens": 1, ' + raw + "}"
    status, _, body = post(server, payload.encode())
    assert status == 400
    assert_error(body, param)


@pytest.mark.parametrize("messages", [
    None, "look", [], [{"role": "user"}], [{"content": "look"}], [{"role": "tool", "content": "x"}],
    [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}], ["look"],
])
def test_messages_must_be_role_content_objects(server, messages):
    status, body = chat(server, messages=messages, max_tokens=1)
    assert status == 400
    assert_error(body, "messages")


def test_the_edges_of_each_range_are_accepted(server):
    extremes = [dict(temperature=2, top_p=1e-9, seed=-(2**63)), dict(temperature=0, seed=2**63 - 1, n=16),
                dict(stop=["a", "b", "c", "d"], max_completion_tokens=1), dict(extra=json.loads(nested(MAX_JSON_DEPTH)))]
    for fields in extremes:
        status, body = chat(server, **{"max_tokens": 1, **fields})
        assert status == 200, body


@pytest.mark.parametrize("method, path, allow", [
    ("PUT", PATH, "POST"), ("DELETE", PATH, "POST"), ("PATCH", PATH, "POST"), ("OPTIONS", PATH, "POST"),
    ("GET", PATH, "POST"), ("POST", "/v1/models", "GET"), ("DELETE", "/health", "GET"),
])
def test_wrong_methods_get_a_json_405_with_allow(server, method, path, allow):
    status, headers, body = post(server, b'{"x": 1}', method=method, path=path)
    assert status == 405 and headers["allow"] == allow and headers["content-type"] == "application/json"
    assert_error(body)


def test_head_gets_405_headers_without_a_body(server):
    status, headers, body = post(server, b"", method="HEAD")
    assert status == 405 and headers["allow"] == "POST" and body is None


def test_unknown_methods_and_paths_are_json_too(server):
    status, headers, body, _ = raw_exchange(server, b"BREW /v1/models HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status == 405 and headers["content-type"] == "application/json" and headers["allow"] == "GET"
    assert_error(json.loads(body))
    status, _, body = post(server, b"{}", path="/v1/completions")
    assert status == 404 and "unknown path" in body["error"]["message"]
    assert_error(body)
