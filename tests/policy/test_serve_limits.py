"""`siri serve` under bad input and load, checked at the HTTP level only (raw sockets, http.client),
so the tests hold for any server behind the same endpoint: body framing and size limits, field
ranges, JSON errors for every refusal, 100 concurrent clients, and clients that disconnect."""

from __future__ import annotations

import http.client
import json
import socket
import threading
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


def raw_exchange(server, data: bytes, close_write: bool = False) -> tuple[int, dict[str, str], dict | None, float]:
    """Send `data` on a new connection and read until the server closes it; the client side stays
    open (unless `close_write`) so a server that waits for more body would hang, not answer.
    Returns (status, lower-cased headers, JSON body or None, seconds)."""
    start = time.monotonic()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(data)
        if close_write:
            sock.shutdown(socket.SHUT_WR)
        reply = b""
        while chunk := sock.recv(65536):
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, json.loads(body) if body else None, time.monotonic() - start


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


@pytest.mark.parametrize("data, status", [
    (request_head(), 411),  # no Content-Length
    (request_head(extra="Transfer-Encoding: chunked\r\n") + b"5\r\n{}\r\n0\r\n\r\n", 411),
    (request_head("-1") + b'{"messages": [' * 1000, 400),  # the probe's: it used to read until close
    (request_head("abc") + b"{}", 400),
    (request_head("1_0") + b"{}", 400),  # int() would take it
    (request_head("+2") + b"{}", 400),
    (request_head("2", extra="Content-Length: 3\r\n") + b"{}", 400),  # two different lengths
    (request_head(str(2 * 1024 * 1024)) + b"{", 413),  # refused from the header, before the body is sent
    (request_head(str(10**30)), 413),
])
def test_body_framing_is_checked_before_the_body_is_read(server, data, status):
    got, headers, body, seconds = raw_exchange(server, data)
    assert got == status and headers["content-type"] == "application/json"
    assert_error(body)
    assert seconds < 5  # answered at once, not after waiting for more body or for the client to close


def test_a_body_shorter_than_its_length_is_refused(server):
    got, _, body, _ = raw_exchange(server, request_head("100") + b'{"messages": []}', close_write=True)
    assert got == 400 and "ended after" in body["error"]["message"]


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


def test_http_server_errors_are_json_too(server):
    status, headers, body, _ = raw_exchange(server, b"BREW /v1/models HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status == 501 and headers["content-type"] == "application/json" and body["error"]["message"]
    status, _, body, _ = raw_exchange(server, b"this is not http\r\n\r\n")
    assert status == 400 and body["error"]["message"]


def test_100_concurrent_requests_are_all_answered(server):
    """The listen backlog used to be 5: a burst of 100 clients saw resets."""
    clients = 100
    barrier, outcomes = threading.Barrier(clients), []
    body = json.dumps({"messages": MESSAGES, "max_tokens": 2}).encode()

    def client() -> None:
        barrier.wait()
        try:
            outcomes.append(post(server, body)[0])
        except OSError as e:
            outcomes.append(type(e).__name__)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert outcomes == [200] * clients


def test_a_client_that_disconnects_does_not_hold_the_model(server):
    """The abandoned generation stops at its next decoding step instead of running to max_tokens."""
    long = {"messages": MESSAGES, "temperature": 0, "max_tokens": 600}
    start = time.monotonic()
    status, body = chat(server, **{k: v for k, v in long.items() if k != "messages"})
    full = time.monotonic() - start
    assert status == 200 and body["choices"][0]["finish_reason"] == "length"  # the tiny model runs to the limit
    payload = json.dumps(long).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(request_head(str(len(payload))) + payload)
        time.sleep(0.2 * full)  # the abandoned generation is under way
    start = time.monotonic()
    status, _ = chat(server, max_tokens=1)
    after = time.monotonic() - start
    assert status == 200 and after < full / 4, (after, full)
