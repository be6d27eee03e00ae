"""Regex + checksum detectors for the structured kinds (everything except PERSON / ADDRESS).

Patterns, scores and context keywords are data (``data/patterns.yaml``); the checks are in
``validators.py``. Full-width ASCII (１３８…, ＠) is mapped 1:1 to half-width before matching, so
offsets are those of the input string.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml

from moli.core.errors import ConfigError
from moli.pii import validators as v
from moli.pii.findings import Finding

_FULLWIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20
_HAS_FULLWIDTH = re.compile(r"[\uff01-\uff5e\u3000]")
_HAS_DIGIT = re.compile(r"[0-9\uff10-\uff19]")


@dataclass(frozen=True)
class Pattern:
    id: str
    kind: str
    regex: re.Pattern
    score: float
    validation: str | None
    context: tuple[str, ...]
    personal: bool
    min_digits: int
    trigger: str


@dataclass(frozen=True)
class Trigger:
    name: str
    regex: re.Pattern
    before: int
    after: int


@lru_cache(maxsize=1)
def load_triggers() -> dict[str, Trigger]:
    raw = yaml.safe_load(resources.files("moli.pii").joinpath("data/patterns.yaml").read_text("utf-8"))
    return {k: Trigger(k, re.compile(v["regex"]), int(v["before"]), int(v["after"]))
            for k, v in raw["triggers"].items()}


@lru_cache(maxsize=1)
def load_patterns() -> tuple[int, tuple[Pattern, ...]]:
    raw = yaml.safe_load(resources.files("moli.pii").joinpath("data/patterns.yaml").read_text("utf-8"))
    triggers = set(raw["triggers"])
    out = []
    for i, e in enumerate(raw["patterns"]):
        for key in ("id", "kind", "regex", "source", "confidence", "trigger"):
            if key not in e:
                raise ConfigError(f"patterns.yaml 第 {i + 1} 条缺少字段 {key}",
                                  f"patterns.yaml entry {i + 1} lacks field {key}", field=key)
        try:
            rx = re.compile(e["regex"])
        except re.error as exc:
            raise ConfigError(f"patterns.yaml 中 {e['id']} 的正则有误：{exc}",
                              f"bad regex for {e['id']} in patterns.yaml: {exc}", field="regex") from exc
        if e["trigger"] not in triggers:
            raise ConfigError(f"patterns.yaml 中 {e['id']} 的触发器 {e['trigger']} 未定义",
                              f"patterns.yaml: trigger {e['trigger']} of {e['id']} is not defined", field="trigger")
        out.append(Pattern(e["id"], e["kind"], rx, float(e.get("score", 0.9)), e.get("validation"),
                           tuple(e.get("context") or ()), bool(e.get("personal", True)),
                           int(e.get("min_digits", 0)), e["trigger"]))
    return int(raw.get("window", 12)), tuple(out)


def _has_context(text: str, start: int, words: tuple[str, ...], window: int) -> bool:
    before = text[max(0, start - window):start]
    return any(w in before for w in words)


def _check(p: Pattern, s: str, text: str, start: int, window: int) -> tuple[bool, bool | None]:
    """Return (report?, valid)."""
    val = p.validation
    if val is None:
        if p.context and not _has_context(text, start, p.context, window):
            return False, None
        if p.min_digits and sum(c.isdigit() for c in s) < p.min_digits:
            return False, None
        return True, None
    if val == "id_card":
        if not v.id_structure_ok(s):
            return False, None
        if v.luhn_ok(s) and _last_cue(text, start, _CARD_CONTEXT, window) > _last_cue(text, start, _ID_CONTEXT, window):
            return False, None  # "银行卡号：62…" that also reads as an ID: the nearer cue says card
        return True, v.id_checksum_ok(s)
    if val == "id_card_15":
        return v.id_structure_ok(s), None
    if val == "luhn":
        digits = s.replace(" ", "").replace("-", "")
        if not 15 <= len(digits) <= 19:
            return False, None
        if v.luhn_ok(digits):
            return True, True
        return _has_context(text, start, p.context, window), False
    if val == "uscc":
        if s.isdigit() and v.luhn_ok(s) and not _has_context(text, start, p.context, window):
            return False, None  # an all-digit, Luhn-valid 18-digit number is read as a bank card
        if v.uscc_ok(s):
            return True, True
        return _has_context(text, start, p.context, window), False
    if val == "ip":
        return v.ip_ok(s), None
    raise ConfigError(f"未知的校验方式 {val}", f"unknown validation {val}", field="validation")


def _windows(text: str, trig: Trigger, n: int) -> list[tuple[int, int]]:
    """Merged windows around the trigger's hits ([] when it never fires)."""
    out: list[tuple[int, int]] = []
    for m in trig.regex.finditer(text):
        a, b = max(0, m.start() - trig.before), min(n, m.end() + trig.after)
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _finditer(rx: re.Pattern, text: str, windows: list[tuple[int, int]]):
    """Matches of ``rx`` inside the windows (lookbehinds see the text before a window; a window ends one
    character after its content so lookaheads see the next character)."""
    last = -1
    for a, b in windows:
        for m in rx.finditer(text, max(a, last), min(len(text), b + 1)):
            if m.end() > b:  # the match touches the window's end: redo it on the whole remaining text
                m2 = rx.match(text, m.start())
                if m2 is None:
                    continue
                m = m2
            last = m.end()
            yield m


_CARD_CONTEXT = ("卡号", "银行卡", "借记卡", "信用卡", "储蓄卡", "card", "Card")
_ID_CONTEXT = ("身份证", "证件", "公民身份", "身份号码", "ID")


def _last_cue(text: str, start: int, words: tuple[str, ...], window: int) -> int:
    before = text[max(0, start - window):start]
    return max(before.rfind(w) for w in words)


class _Spans:
    """Disjoint spans kept sorted, for O(log n) overlap checks."""

    __slots__ = ("starts", "ends")

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []

    def overlaps(self, a: int, b: int) -> bool:
        i = bisect.bisect_right(self.starts, a)
        if i and self.ends[i - 1] > a:
            return True
        return i < len(self.starts) and self.starts[i] < b

    def add(self, a: int, b: int) -> None:
        i = bisect.bisect_right(self.starts, a)
        self.starts.insert(i, a)
        self.ends.insert(i, b)


def find_patterns(text: str, kinds: set[str] | frozenset[str] | None = None) -> list[Finding]:
    """All structured-kind findings in ``text``, overlaps resolved by pattern priority."""
    if not text:
        return []
    has_digit = _HAS_DIGIT.search(text) is not None
    if not has_digit and "@" not in text and "＠" not in text:
        return []  # every structured kind needs a digit, except e-mail
    work = text.translate(_FULLWIDTH) if _HAS_FULLWIDTH.search(text) else text
    window, patterns = load_patterns()
    triggers = load_triggers()
    regions: dict[str, list[tuple[int, int]]] = {}
    taken = _Spans()
    found: list[Finding] = []
    n = len(work)
    for p in patterns:
        if kinds is not None and p.kind not in kinds:
            continue
        if not has_digit and p.kind != "EMAIL":
            continue
        if p.trigger not in regions:
            regions[p.trigger] = _windows(work, triggers[p.trigger], n)
        for m in _finditer(p.regex, work, regions[p.trigger]):
            a, b = m.span()
            if taken.overlaps(a, b):
                continue
            ok, valid = _check(p, m.group(), work, a, window)
            if not ok:
                continue
            taken.add(a, b)
            found.append(Finding(p.kind, a, b, text[a:b], p.score, valid, p.personal, p.id))
    found.sort(key=lambda f: f.start)
    return found
