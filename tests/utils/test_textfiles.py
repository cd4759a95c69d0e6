"""Reading files a person hands us: one-line errors naming the file and line (siri.utils.textfiles)."""

import json

import pytest

from siri.utils.errors import UserError
from siri.utils.textfiles import read_jsonl, read_utf8


def test_read_utf8_names_the_line_of_the_first_bad_byte(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_bytes(b"run:\n  name: caf\xe9\n")
    with pytest.raises(UserError) as e:
        read_utf8(p, "config file")
    assert str(e.value) == f"config file {p}:2: not UTF-8 text (byte 0xe9); is it a binary file?"
    p.write_text("run: {}\n", encoding="utf-8")
    assert read_utf8(p) == "run: {}\n"
    with pytest.raises(UserError, match=f"^cannot read file {tmp_path}: "):
        read_utf8(tmp_path)  # a directory


def test_read_jsonl_splits_on_newlines_only(tmp_path):
    # str.splitlines would cut these records at U+2028, U+0085 and U+001E; json.dumps keeps them raw
    # with ensure_ascii=False (the bank file's format), except U+001E, which it escapes.
    records = [{"text": "a\u2028b"}, {"text": "c\x85d"}, {"text": "e\x1ef"}]
    p = tmp_path / "x.jsonl"
    p.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records) + "\n  \n", encoding="utf-8")
    assert read_jsonl(p) == [(1, records[0]), (2, records[1]), (3, records[2])]


def test_read_jsonl_bad_lines(tmp_path):
    p = tmp_path / "x.jsonl"
    p.write_bytes(b'{"a": 1}\n\x80\x81\n')
    with pytest.raises(UserError, match=r"x.jsonl:2: not UTF-8 text \(byte 0x80\)"):
        read_jsonl(p)
    p.write_bytes(b'{"a": 1}\n{oops}\n{"a": 2}\n')
    with pytest.raises(UserError, match=r"x.jsonl:2: not a JSON line \(Expecting property name"):
        read_jsonl(p)
    assert read_jsonl(p, skip_bad=True) == [(1, {"a": 1}), (3, {"a": 2})]
    p.write_bytes(b"[" * 100_000 + b"]" * 100_000 + b"\n")
    with pytest.raises(UserError, match=r"x.jsonl:1: not a JSON line \(nested too deeply\)"):
        read_jsonl(p)


def test_read_jsonl_torn_tail(tmp_path):
    p = tmp_path / "x.jsonl"
    p.write_bytes(b'{"a": 1}\n{"a": ')  # a write cut short: no newline at the end
    assert read_jsonl(p, torn_tail_ok=True) == [(1, {"a": 1})]
    with pytest.raises(UserError, match="x.jsonl:2"):
        read_jsonl(p)
    p.write_bytes(b'{"a": 1}\n{"a": \n')  # a complete line that is broken is not torn
    with pytest.raises(UserError, match="x.jsonl:2"):
        read_jsonl(p, torn_tail_ok=True)
