"""Character-level CRF (python-crfsuite) for PERSON and ADDRESS.

Features per character: the character and its neighbours (±2), bigrams, character class, surname
flags and the administrative-division gazetteer. The model file ``data/ner.crfsuite.gz`` is built by
``python -m moli.pii.train`` and loaded lazily, once per process.
"""

from __future__ import annotations

import gzip
import re
import threading
from importlib import resources

from moli.core.errors import ConfigError
from moli.pii.findings import Finding
from moli.pii.lexicons import division_tags, surnames

MODEL_RESOURCE = "data/ner.crfsuite.gz"
LABEL_KIND = {"PER": "PERSON", "ADDR": "ADDRESS"}
_NORM = str.maketrans({**{chr(c): "0" for c in range(0x30, 0x3A)},
                       **{chr(c): "0" for c in range(0xFF10, 0xFF1A)}})
_SPLIT = re.compile(r"[^。！？!?\n；;]*[。！？!?\n；;]*")
MAX_CHUNK = 160


def _cls(c: str) -> str:
    if "\u4e00" <= c <= "\u9fff":
        return "H"
    if c == "0":
        return "D"
    if c.isascii() and c.isalpha():
        return "L"
    if c.isspace():
        return "S"
    return "P"


def features(text: str) -> list[list[str]]:
    """CRF attributes for each character of ``text`` (same length as ``text``)."""
    s = text.translate(_NORM).lower()
    single, compound = surnames()
    n = len(s)
    cls = [_cls(c) for c in s]
    gaz = division_tags(s)
    p = ["^", "^", *s, "$", "$"]
    k = ["^", *cls, "$"]
    comp = [False] * n
    for i in range(n - 1):
        if s[i:i + 2] in compound:
            comp[i] = True
    out = []
    for i in range(n):
        a, b, c, d, e = p[i], p[i + 1], p[i + 2], p[i + 3], p[i + 4]
        f = ["u" + c, "l" + b, "r" + d, "L" + a, "R" + e, "x" + b + c, "y" + c + d, "X" + a + b, "Y" + d + e,
             "z" + b + d, "t" + k[i] + k[i + 1] + k[i + 2]]
        if c in single:
            f.append("sn")
        if b in single:
            f.append("snl")
        if comp[i]:
            f.append("cs")
        g = gaz[i]
        if g:
            f.append("g" + g)
        out.append(f)
    return out


def chunks(text: str) -> list[tuple[int, str]]:
    """Split into sentences of at most MAX_CHUNK characters, with their start offsets."""
    out = []
    for m in _SPLIT.finditer(text):
        seg = m.group()
        if not seg:
            continue
        base = m.start()
        while len(seg) > MAX_CHUNK:
            cut = max(seg.rfind("，", 0, MAX_CHUNK), seg.rfind(",", 0, MAX_CHUNK), seg.rfind(" ", 0, MAX_CHUNK))
            cut = cut + 1 if cut > MAX_CHUNK // 2 else MAX_CHUNK
            out.append((base, seg[:cut]))
            base += cut
            seg = seg[cut:]
        if seg.strip():
            out.append((base, seg))
    return out


def spans_from_bio(labels: list[str]) -> list[tuple[str, int, int]]:
    spans, cur, start = [], None, 0
    for i, lab in enumerate([*labels, "O"]):
        if lab == "O" or lab.startswith("B-") or (lab.startswith("I-") and lab[2:] != cur):
            if cur is not None:
                spans.append((cur, start, i))
            cur = None
            if lab != "O":
                cur, start = lab[2:], i
    return spans


_lock = threading.Lock()
_tagger = None


def tagger():
    """The CRF tagger, loaded once per process (after fork, each worker loads its own)."""
    global _tagger
    if _tagger is None:
        with _lock:
            if _tagger is None:
                import pycrfsuite

                res = resources.files("moli.pii").joinpath(MODEL_RESOURCE)
                if not res.is_file():
                    raise ConfigError("缺少姓名/地址模型，请运行 python -m moli.pii.train",
                                      "the name/address model is missing; run python -m moli.pii.train",
                                      field=MODEL_RESOURCE)
                t = pycrfsuite.Tagger()
                t.open_inmemory(gzip.decompress(res.read_bytes()))
                _tagger = t
    return _tagger


def find_entities(text: str, kinds: set[str] | frozenset[str] | None = None) -> list[Finding]:
    """PERSON / ADDRESS findings from the CRF."""
    tg = tagger()
    found = []
    for base, seg in chunks(text):
        labels = tg.tag(features(seg))
        for lab, a, b in spans_from_bio(labels):
            kind = LABEL_KIND.get(lab)
            if kind is None or (kinds is not None and kind not in kinds):
                continue
            found.append(Finding(kind, base + a, base + b, text[base + a:base + b], 0.8, None, True, "crf"))
    return found
