"""Lexicons (data/lexicons.yaml) and the administrative-division gazetteer (data/divisions.tsv.gz)."""

from __future__ import annotations

import gzip
import re
from functools import lru_cache
from importlib import resources

import ahocorasick_rs
import yaml

_SUFFIXES = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "自治州", "自治县", "地区",
             "省", "市", "区", "县", "盟", "旗")


@lru_cache(maxsize=1)
def lexicons() -> dict:
    return yaml.safe_load(resources.files("moli.pii").joinpath("data/lexicons.yaml").read_text("utf-8"))


@lru_cache(maxsize=1)
def surnames() -> tuple[frozenset[str], frozenset[str]]:
    s = lexicons()["surnames"]
    return frozenset(s["single"].strip()), frozenset(s["compound"])


@lru_cache(maxsize=1)
def division_names() -> dict[str, str]:
    """name -> level letter (p/c/a/s); full names and, for p/c/a, the name without its suffix."""
    raw = resources.files("moli.pii").joinpath("data/divisions.tsv.gz").read_bytes()
    out: dict[str, str] = {}
    for line in gzip.decompress(raw).decode("utf-8").splitlines():
        if line.startswith("#"):
            continue
        level, _code, name = line.split("\t")
        out.setdefault(name, level)
        if level in "pca":
            for suf in _SUFFIXES:
                if name.endswith(suf) and len(name) - len(suf) >= 2:
                    out.setdefault(name[: -len(suf)], level)
                    break
    return out


JIEBA_RESOURCE = "data/jieba_names.txt.gz"


def build_jieba_lexicon() -> bytes:
    """Person (nr -> N) and place (ns -> S) entries of jieba's bundled dictionary (MIT licence, installed
    with jieba), as the gzip'd ``name<TAB>tag`` lines shipped in ``data/jieba_names.txt.gz``."""
    import os

    import jieba

    path = os.path.join(os.path.dirname(jieba.__file__), "dict.txt")
    out: dict[str, str] = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) == 3 and parts[2] in ("nr", "ns") and len(parts[0]) >= 2:
                out.setdefault(parts[0], "N" if parts[2] == "nr" else "S")
    text = f"# jieba {jieba.__version__} dict.txt nr/ns entries (MIT licence, fxsjy/jieba)\n" + \
        "".join(f"{k}\t{v}\n" for k, v in out.items())
    return gzip.compress(text.encode("utf-8"), mtime=0)


@lru_cache(maxsize=1)
def jieba_lexicon() -> dict[str, str]:
    """Weak CRF features: names and places from jieba's dictionary; the CRF learns how far to trust them."""
    raw = resources.files("moli.pii").joinpath(JIEBA_RESOURCE).read_bytes()
    out = {}
    for line in gzip.decompress(raw).decode("utf-8").splitlines():
        if line and not line.startswith("#"):
            name, tag = line.split("\t")
            out[name] = tag
    return out


@lru_cache(maxsize=1)
def gazetteer() -> tuple[ahocorasick_rs.AhoCorasick, list[str]]:
    """jieba's person/place names and the administrative divisions (a division overrides jieba's tag for
    the same name) in one ahocorasick-rs automaton, with each pattern's tag. Built once per process."""
    words = dict(jieba_lexicon())
    for name, level in division_names().items():
        if len(name) >= 2:
            words[name] = level
    names = list(words)
    return ahocorasick_rs.AhoCorasick(names), [words[w] for w in names]


def gazetteer_spans(text: str) -> list[tuple[int, int, str]]:
    """The gazetteer entries that label ``text``, as (start, end, tag) in the order they apply: every
    overlapping match by end, the longest first; at a start already taken only a longer entry counts.
    ``division_tags`` (training) and ``fastcrf`` (serving) both read them, so both see the same labels."""
    matcher, tags = gazetteer()
    found = matcher.find_matches_as_indexes(text, overlapping=True)
    out: list[tuple[int, int, str]] = []
    best: dict[int, int] = {}
    for end, neg, tag in sorted((e, s - e, tags[i]) for i, s, e in found):
        start = end + neg
        if -neg > best.get(start, 0):
            best[start] = -neg
            out.append((start, end, tag))
    return out


def division_tags(text: str) -> list[str]:
    """Per character: '' or 'B<t>' / 'I<t>' of the gazetteer entry covering it, where t is a division
    level (p/c/a/s) or N (person name) / S (place) from jieba's dictionary; a B is never overwritten."""
    tags = [""] * len(text)
    for start, end, tag in gazetteer_spans(text):
        tags[start] = "B" + tag
        for i in range(start + 1, end):
            if not tags[i] or tags[i][0] == "I":
                tags[i] = "I" + tag
    return tags


@lru_cache(maxsize=1)
def address_tail() -> re.Pattern:
    return re.compile(lexicons()["address_tail"]["regex"])
