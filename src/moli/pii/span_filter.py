"""A second look at the CRF's name spans: keep a PERSON span only when a span-level classifier agrees.

The CRF sees two characters either side; many of its false names are plain words (封山育林, 杜撰, 父亲)
or other entities (欧佩克, 沃尔沃, game and film titles in Latin script) that a view of the whole span
tells apart: is it one dictionary word and of which part of speech, does it start with a surname,
what words stand before and after it, is it inside 《》, how sure was the CRF over the whole span and
at its borders, how often does the string recur. A logistic regression over those features, trained
on the spans that CRFs trained without them proposed (``train.py``: 4-fold jackknife over the training
split), scores each span; spans under the threshold chosen on the tune split are dropped, and the
probability becomes the finding's score. Shipped as ``data/span_filter.npz`` (hashed weights).
"""

from __future__ import annotations

import io
import math
import re
import threading
import zlib

import numpy as np

from moli.pii.findings import Finding
from moli.pii.lexicons import surnames
from moli.pii.model import _JIEBA_TAGS, model_dir
from moli.text.spans import occurrences

FILTER_FILE = "span_filter.npz"
N_FEATURES = 2**18
_BRACKETS = {"《": "》", "（": "）", "(": ")", "“": "”", "【": "】", "「": "」", '"': '"', "‘": "’"}
_LATIN = re.compile(r"[A-Za-z]+")
_HAN = re.compile(r"[\u4e00-\u9fff]+")
_HAN_DOT = re.compile(r"[\u4e00-\u9fff·•．.\-]+")


def _script(s: str) -> str:
    if _LATIN.fullmatch(s):
        return "latin"
    if _HAN.fullmatch(s):
        return "han"
    return "han-dot" if _HAN_DOT.fullmatch(s) else "mixed"


def _code(codes: str, i: int) -> tuple[str, int]:
    """Part of speech and position (0 B, 1 M, 2 E, 3 S) of the jieba word at character ``i``."""
    v = ord(codes[i]) - 0x100
    return (_JIEBA_TAGS[v // 4] if 0 <= v // 4 < len(_JIEBA_TAGS) else "x"), v % 4


class WordBounds:
    """Where the jieba word holding each character of a text starts and ends, found for the whole text at
    once (vectorised). Walking from a character to its word's edges, span by span, was quadratic on text
    that is one long word — 20,000 digits took 12 s, so one request could hold a core for minutes."""

    def __init__(self, codes: str):
        self.codes = codes
        n = len(codes)
        pos = (np.frombuffer(codes.encode("utf-32-le"), dtype=np.uint32).astype(np.int64) - 0x100) % 4
        idx = np.arange(n)
        starts = (pos == 0) | (pos == 3)  # B or S: a word starts here
        ends = (pos == 2) | (pos == 3)  # E or S: a word ends here
        if n:
            starts[0] = ends[-1] = True  # a malformed run of codes still ends at the text's edges
        self.start = np.maximum.accumulate(np.where(starts, idx, 0))
        self.last = np.minimum.accumulate(np.where(ends, idx, n - 1)[::-1])[::-1]

    def at(self, i: int) -> tuple[int, int, str]:
        """(start, end, part of speech) of the jieba word that holds character ``i``."""
        return int(self.start[i]), int(self.last[i]) + 1, _code(self.codes, i)[0]


def spans_features(texts: list[str], codes: list[str], spans: list[tuple[int, Finding, tuple]]) -> list[dict]:
    """``span_features`` of each (text index, PERSON finding, margins), the occurrences of every
    span's text counted in one pass per text."""
    names: dict[int, set[str]] = {}
    for t, f, _ in spans:
        names.setdefault(t, set()).add(f.text)
    counts = {t: {s: len(at) for s, at in occurrences(texts[t], strings).items()} for t, strings in names.items()}
    bounds = {t: WordBounds(codes[t]) for t in names}
    return [span_features(texts[t], codes[t], f.start, f.end, margins, counts[t][f.text], bounds[t])
            for t, f, margins in spans]


def span_features(text: str, codes: str, start: int, end: int,
                  margins: tuple[float, float, float, float, float], count: int | None = None,
                  bounds: WordBounds | None = None) -> dict[str, float]:
    """The features of the PERSON span ``text[start:end]``; ``codes``: ``model.word_codes(text)``;
    ``margins``: ``fastcrf.Decoded.margin_stats`` of the span; ``count``: ``text.count`` of the span's
    text, when the caller has counted it already; ``bounds``: ``WordBounds(codes)``, when built already."""
    bounds = bounds or WordBounds(codes)
    single, compound = surnames()
    s = text[start:end]
    before, after = text[start - 1] if start else "^", text[end] if end < len(text) else "$"
    sur = "2" if s[:2] in compound else ("1" if s[0] in single else "0")
    f = {"bias": 1.0, f"len={min(len(s), 7)}": 1.0, f"script={_script(s)}": 1.0, f"surname={sur}": 1.0,
         f"surname+len={sur}{min(len(s), 5)}": 1.0, f"first={s[0]}": 1.0, f"last={s[-1]}": 1.0,
         f"before={before}": 1.0, f"before2={text[max(0, start - 2):start]}": 1.0,
         f"after={after}": 1.0, f"after2={text[end:end + 2]}": 1.0}
    if _BRACKETS.get(before) == after:
        f[f"enclosed={before}"] = 1.0
    if "·" in s or "•" in s:
        f["dot"] = 1.0
    words, i = [], start
    while i < end:
        w = bounds.at(i)
        words.append(w)
        i = w[1]
    f["tags=" + "+".join(t for *_, t in words)[:20]] = 1.0
    if len(words) == 1 and words[0][:2] == (start, end):
        f["one-word=" + words[0][2]] = 1.0
    f[f"aligned={int(words[0][0] == start)}{int(words[-1][1] == end)}"] = 1.0
    if start:
        a, b, tag = bounds.at(start - 1)
        f["word-before=" + text[a:b]] = f["tag-before=" + tag] = 1.0
    if end < len(text):
        a, b, tag = bounds.at(end)
        f["word-after=" + text[a:b]] = f["tag-after=" + tag] = 1.0
    mean, low, first, left, right = margins
    recurs = math.log(text.count(s) if count is None else count)
    f.update({"recurs": recurs, "margin-mean": mean, "margin-min": low, "margin-first": first,
              "margin-left": max(left, -5.0), "margin-right": max(right, -5.0),
              "margin-mean<0": float(mean < 0), "margin-min<1": float(low < 1)})
    return f


def vectorize(rows: list[dict[str, float]]):
    """Hashed sparse matrix of feature dicts (crc32, stable across processes and Python versions)."""
    import scipy.sparse as sp

    data, cols, indptr = [], [], [0]
    for row in rows:
        for key, value in row.items():
            cols.append(zlib.crc32(key.encode()) & (N_FEATURES - 1))
            data.append(value)
        indptr.append(len(cols))
    return sp.csr_matrix((np.array(data, dtype=np.float32), np.array(cols, dtype=np.int64), np.array(indptr)),
                         shape=(len(rows), N_FEATURES))


class SpanFilter:
    def __init__(self, coef: np.ndarray, intercept: float, threshold: float):
        self.coef = coef.astype(np.float32)
        self.intercept = float(intercept)
        self.threshold = float(threshold)

    def proba(self, rows: list[dict[str, float]]) -> np.ndarray:
        if not rows:
            return np.zeros(0, dtype=np.float32)
        z = vectorize(rows) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-z))

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        np.savez_compressed(buf, coef=self.coef.astype(np.float16), intercept=np.float32(self.intercept),
                            threshold=np.float64(self.threshold))
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> SpanFilter:
        z = np.load(io.BytesIO(data))
        return cls(z["coef"], float(z["intercept"]), float(z["threshold"]))


_lock = threading.Lock()
_loaded: list[SpanFilter | None] = []


def forget() -> None:
    with _lock:
        _loaded.clear()


def shipped() -> SpanFilter | None:
    """The filter beside the CRF (``model.model_dir``), loaded once per process (None when there is
    none: the CRF's spans are then taken as they are)."""
    if not _loaded:
        with _lock:
            if not _loaded:
                res = model_dir().joinpath(FILTER_FILE)
                _loaded.append(SpanFilter.from_bytes(res.read_bytes()) if res.is_file() else None)
    return _loaded[0]
