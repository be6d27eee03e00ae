"""Lexicons (data/lexicons.yaml) and the administrative-division gazetteer (data/divisions.tsv.gz)."""

from __future__ import annotations

import gzip
import os
import re
from functools import lru_cache
from importlib import resources

import ahocorasick
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


def _build_automaton() -> ahocorasick.Automaton:
    auto = ahocorasick.Automaton()
    for name, tag in jieba_lexicon().items():
        auto.add_word(name, (len(name), tag))
    for name, level in division_names().items():  # divisions override jieba's place tag
        if len(name) >= 2:
            auto.add_word(name, (len(name), level))
    auto.make_automaton()
    return auto


@lru_cache(maxsize=1)
def gazetteer_automaton() -> ahocorasick.Automaton:
    """The gazetteer automaton; built once per machine and cached (pickled) under MOLI_HOME/cache, because
    building it takes seconds and loading the pickle a fraction of that."""
    import hashlib
    import pickle

    files = resources.files("moli.pii")
    digest = hashlib.sha1(files.joinpath(JIEBA_RESOURCE).read_bytes()
                          + files.joinpath("data/divisions.tsv.gz").read_bytes()
                          + ahocorasick.__name__.encode()).hexdigest()[:16]
    try:
        from moli.core.settings import get_settings

        cache = get_settings().home / "cache" / f"pii_gazetteer_{digest}.pkl"
        if cache.is_file():
            return pickle.loads(cache.read_bytes())
    except Exception:  # an unreadable or stale cache is rebuilt below
        cache = None
    auto = _build_automaton()
    if cache is not None:
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_bytes(pickle.dumps(auto))
            os.replace(tmp, cache)
        except OSError:
            pass
    return auto


def division_tags(text: str) -> list[str]:
    """Per character: '' or 'B<t>' / 'I<t>' of the longest gazetteer entry covering it, where t is a
    division level (p/c/a/s) or N (person name) / S (place) from jieba's dictionary."""
    tags = [""] * len(text)
    best = [0] * len(text)
    for end, (n, tag) in gazetteer_automaton().iter(text):
        start = end - n + 1
        if n <= best[start]:
            continue
        best[start] = n
        tags[start] = "B" + tag
        for i in range(start + 1, end + 1):
            if not tags[i] or tags[i][0] == "I":
                tags[i] = "I" + tag
    return tags


@lru_cache(maxsize=1)
def address_tail() -> re.Pattern:
    return re.compile(lexicons()["address_tail"]["regex"])
