"""Chinese text normalisation primitives (中文文本规范化).

- ``normalize_width``: NFKC (full-width letters/digits/spaces → half-width, compatibility forms)
  while *keeping* the full-width CJK punctuation that Chinese text uses (，！？：；（）), which plain
  NFKC would turn into ASCII.
- ``remove_control_chars``: drops C0/C1 control characters (except newline and tab), zero-width
  characters and the byte-order mark.
- ``collapse_cjk_whitespace``: removes spaces between two CJK characters and joins lines broken
  in the middle of a Chinese sentence (a line that does not end in sentence-final punctuation and is
  followed by a line starting with a CJK character); strips paragraph indentation (全角空格缩进).
- ``to_simplified``: OpenCC traditional → simplified (繁体 → 简体).
- ``cjk_count`` / ``is_cjk``: character classes used by the quality and language steps.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

# Full-width punctuation that Chinese text uses as its normal form; NFKC would make it ASCII.
CJK_KEEP = "，！？：；（）［］｛｝～…"
_KEEP_SPLIT = re.compile("([" + re.escape(CJK_KEEP) + "]+)")

SENTENCE_END = "。！？；…!?;"
CLOSERS = "”’」』）)】》\"'"

_CJK_RANGES = (
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0x20000, 0x2FA1F),
)
CJK_CLASS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
_CJK_RE = re.compile(f"[{CJK_CLASS}]")
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u2060\ufeff]")
_SPACE_BETWEEN_CJK = re.compile(f"(?<=[{CJK_CLASS}，。、；：！？“”（）《》])[ \t\u3000\u00a0]+(?=[{CJK_CLASS}，。、；：！？“”（）《》])")
_TRAILING_WS = re.compile(r"[ \t]+\n")
_LEADING_WS = re.compile(r"\n[ \t\u3000]+")
_MANY_NEWLINES = re.compile(r"\n{3,}")


def is_cjk(ch: str) -> bool:
    cp = ord(ch)
    return any(lo <= cp <= hi for lo, hi in _CJK_RANGES)


def cjk_count(text: str) -> int:
    """Number of CJK ideographs (汉字) in ``text``."""
    return len(_CJK_RE.findall(text))


def normalize_width(text: str) -> str:
    """NFKC, keeping the full-width CJK punctuation Chinese text is written with."""
    if text.isascii():
        return text
    parts = _KEEP_SPLIT.split(text)  # odd items: runs of protected punctuation, left as they are
    parts[::2] = [unicodedata.normalize("NFKC", p) for p in parts[::2]]
    return "".join(parts)


def remove_control_chars(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL_RE.sub("", text)


_LINE_JOIN_START = set("，。、；：！？）》」』”’")


def _join_broken_lines(text: str, min_line: int) -> str:
    """Join a line to the next when the break falls inside a Chinese sentence.

    A break is inside a sentence when the next line starts with closing punctuation (，。）》…), when
    the line ends with ，or 、 and the next starts with a CJK character, or when both sides are CJK
    characters and the line is long (≥ ``min_line`` characters: hard-wrapped text). Short lines
    (headings, menu items) stay separate.
    """
    lines = text.split("\n")
    out = [lines[0]]
    for line in lines[1:]:
        prev = out[-1]
        if prev and line:
            first, last = line[0], prev[-1]
            if first in _LINE_JOIN_START or (_CJK_RE.match(first) and (
                last in "，、" or (len(prev) >= min_line and _CJK_RE.match(last))
            )):
                out[-1] = prev + line
                continue
        out.append(line)
    return "\n".join(out)


def collapse_cjk_whitespace(text: str, *, join_broken_lines: bool = True, min_line: int = 20) -> str:
    """Remove whitespace inside Chinese text; keep paragraph breaks."""
    text = _TRAILING_WS.sub("\n", text)
    text = _LEADING_WS.sub("\n", text).lstrip(" \t\u3000")
    text = _SPACE_BETWEEN_CJK.sub("", text)
    if join_broken_lines:
        text = _join_broken_lines(text, min_line)
    text = _MANY_NEWLINES.sub("\n\n", text)
    return text.strip()


@lru_cache(maxsize=4)
def _opencc(config: str):
    import opencc

    return opencc.OpenCC(config)


@lru_cache(maxsize=1)
def traditional_chars() -> frozenset[str]:
    """Characters OpenCC's TSCharacters table changes (traditional-only forms, 繁体字)."""
    import opencc

    path = Path(opencc.__file__).resolve().parent / "dictionary" / "TSCharacters.txt"
    out = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) == 2 and parts[0] not in parts[1].split():
            out.add(parts[0])
    return frozenset(out)


def has_traditional(text: str) -> bool:
    return not traditional_chars().isdisjoint(text)


def to_simplified(text: str) -> str:
    """Traditional → simplified Chinese with OpenCC (t2s).

    Texts without a single traditional-only character are returned unchanged without running
    OpenCC (the pure-Python converter costs ~5 µs per character; most input is already simplified).
    """
    if text.isascii() or not has_traditional(text):
        return text
    return _opencc("t2s").convert(text)


def normalize_text(text: str, *, t2s: bool = False, width: bool = True, join_broken_lines: bool = True) -> str:
    """The full normalisation used by the corpus ``normalize`` step."""
    text = remove_control_chars(text)
    if width:
        text = normalize_width(text)
    if t2s:
        text = to_simplified(text)
    return collapse_cjk_whitespace(text, join_broken_lines=join_broken_lines)
