"""Character-level CRF (python-crfsuite) for PERSON and ADDRESS.

Features per character: the character and its neighbours (±2), bigrams, character class, surname
flags and the administrative-division gazetteer. ``python -m moli.pii.train`` trains it with python-crfsuite and
exports the weights to ``data/ner.npz``, which ``fastcrf`` serves with numpy (loaded lazily, once per
process).
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from importlib import resources

from moli.core.errors import ConfigError
from moli.pii.findings import Finding
from moli.pii.lexicons import division_tags, surnames

MODEL_RESOURCE = "data/ner.npz"
LABEL_KIND = {"PER": "PERSON", "ADDR": "ADDRESS"}
_NORM = str.maketrans({**{chr(c): "0" for c in range(0x30, 0x3A)},
                       **{chr(c): "0" for c in range(0xFF10, 0xFF1A)}})
_SPLIT = re.compile(r"[^。！？!?\n；;]*[。！？!?\n；;]*")
MAX_CHUNK = 96


_LATIN = re.compile(r"[a-z]")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_NOT_CLS = re.compile(r"[^HLD]")


@lru_cache(maxsize=1)
def _surname_res() -> tuple[re.Pattern, re.Pattern]:
    single, _ = surnames()
    chars = "".join(sorted(single))
    return re.compile(f"[^{chars}]"), re.compile(f"[{chars}]")


def features(text: str) -> list[list[str]]:
    """CRF attributes for each character of ``text`` (same length as ``text``).

    Built with string slices and C-level substitutions (no per-character branches) for speed.
    """
    s = text.translate(_NORM).lower()
    n = len(s)
    if not n:
        return []
    cls = _NOT_CLS.sub("P", _HAN.sub("H", _LATIN.sub("L", s)).replace("0", "D"))
    not_sur, sur = _surname_res()
    sf = sur.sub("1", not_sur.sub("0", s))
    _, compound = surnames()
    if any(s[i:i + 2] in compound for i in range(n - 1) if sf[i] == "1"):
        sf = "".join("2" if s[i:i + 2] in compound else f for i, f in enumerate(sf))
    gaz = division_tags(s)
    p = "^^" + s + "$$"
    k = "^" + cls + "$"
    f = "0" + sf + "0"
    return [[f"u{c}", f"l{b}", f"r{d}", f"L{a}", f"R{e}", f"x{b}{c}", f"y{c}{d}", f"X{a}{b}", f"Y{d}{e}",
             f"z{b}{d}", f"w{b}{c}{d}", f"t{k0}{k1}{k2}", f"s{f0}{f1}{f2}", f"g{g}"]
            for a, b, c, d, e, k0, k1, k2, f0, f1, f2, g in zip(p, p[1:], p[2:], p[3:], p[4:], k, k[1:], k[2:],
                                                              f, f[1:], f[2:], gaz, strict=False)]


def chunks(text: str) -> list[tuple[int, str]]:
    """Split into sentences of at most MAX_CHUNK characters, with their start offsets."""
    out = []
    for m in _SPLIT.finditer(text):
        seg = m.group()
        if not seg:
            continue
        base = m.start()
        while len(seg) > MAX_CHUNK:
            cut = max(seg.rfind(c, 0, MAX_CHUNK) for c in "，,、： ")
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
_engine = None


def engine():
    """The CRF (``data/ner.npz``, served by ``fastcrf``), loaded once per process; after a fork each
    worker process loads its own copy on first use."""
    global _engine
    if _engine is None:
        with _lock:
            if _engine is None:
                from moli.pii.fastcrf import FastCRF

                res = resources.files("moli.pii").joinpath(MODEL_RESOURCE)
                if not res.is_file():
                    raise ConfigError("缺少姓名/地址模型，请运行 python -m moli.pii.train",
                                      "the name/address model is missing; run python -m moli.pii.train",
                                      field=MODEL_RESOURCE)
                _engine = FastCRF(res.read_bytes())
    return _engine


def find_entities(text: str, kinds: set[str] | frozenset[str] | None = None) -> list[Finding]:
    """PERSON / ADDRESS findings from the CRF."""
    parts = chunks(text)
    if not parts:
        return []
    found = []
    for i, lab, a, b in engine().spans([s for _, s in parts]):
        kind = LABEL_KIND.get(lab)
        if kind is None or (kinds is not None and kind not in kinds):
            continue
        base = parts[i][0]
        seg = parts[i][1]
        while b > a and seg[b - 1].isspace():
            b -= 1
        while a < b and seg[a].isspace():
            a += 1
        if a == b:
            continue
        found.append(Finding(kind, base + a, base + b, text[base + a:base + b], 0.8, None, True, "crf"))
    return found
