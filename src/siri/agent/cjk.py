"""Detect CJK text in a response: such a response is invalid (docs/environments.md, "Agent interface").

GiGPO's reference checks only the basic CJK Unified Ideographs block (U+4E00-U+9FFF). We flag any
character of these Unicode blocks, so that Japanese kana, Korean Hangul and full-width forms (which
multilingual models drift into in the same way) count too:

- CJK Unified Ideographs U+4E00-9FFF and Extensions A (3400-4DBF), B (20000-2A6DF),
  C-F (2A700-2EBEF), I (2EBF0-2EE5F), G-H (30000-323AF);
  Compatibility Ideographs (F900-FAFF) and their Supplement (2F800-2FA1F);
  Radicals Supplement (2E80-2EFF), Kangxi Radicals (2F00-2FDF), Ideographic Description (2FF0-2FFF),
  CJK Strokes (31C0-31EF);
- CJK Symbols and Punctuation (3000-303F, incl. the ideographic space and 。、「」),
  Enclosed CJK Letters and Months (3200-32FF), CJK Compatibility (3300-33FF),
  CJK Compatibility Forms (FE30-FE4F);
- Hiragana (3040-309F), Katakana (30A0-30FF), Katakana Phonetic Extensions (31F0-31FF),
  Kana Supplement / Extended-A / Small Kana Extension (1B000-1B16F);
- Bopomofo (3100-312F), Bopomofo Extended (31A0-31BF), Kanbun (3190-319F);
- Hangul Jamo (1100-11FF), Hangul Compatibility Jamo (3130-318F), Jamo Extended-A (A960-A97F),
  Hangul Syllables (AC00-D7AF), Jamo Extended-B (D7B0-D7FF);
- Halfwidth and Fullwidth Forms (FF00-FFEF: full-width ASCII such as `ａ`, `！`, half-width kana).

Not flagged: Sokoban's `√` (Mathematical Operators), Latin accents, emoji.
"""

from __future__ import annotations

import re

CJK_RANGES: tuple[tuple[int, int], ...] = (
    (0x1100, 0x11FF),
    (0x2E80, 0x2EFF),
    (0x2F00, 0x2FDF),
    (0x2FF0, 0x2FFF),
    (0x3000, 0x303F),
    (0x3040, 0x309F),
    (0x30A0, 0x30FF),
    (0x3100, 0x312F),
    (0x3130, 0x318F),
    (0x3190, 0x319F),
    (0x31A0, 0x31BF),
    (0x31C0, 0x31EF),
    (0x31F0, 0x31FF),
    (0x3200, 0x32FF),
    (0x3300, 0x33FF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xA960, 0xA97F),
    (0xAC00, 0xD7AF),
    (0xD7B0, 0xD7FF),
    (0xF900, 0xFAFF),
    (0xFE30, 0xFE4F),
    (0xFF00, 0xFFEF),
    (0x1B000, 0x1B16F),
    (0x20000, 0x2A6DF),
    (0x2A700, 0x2EBEF),
    (0x2EBF0, 0x2EE5F),
    (0x2F800, 0x2FA1F),
    (0x30000, 0x323AF),
)

_CJK = re.compile("[" + "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in CJK_RANGES) + "]")


def has_cjk(text: str) -> bool:
    """True when `text` holds at least one character of the blocks listed in this module."""
    return _CJK.search(text) is not None
