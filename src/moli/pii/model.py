"""Character-level CRF (python-crfsuite) for PERSON and ADDRESS.

Features per character: the character and its neighbours (±2), bigrams, three trigrams, character
class, surname flags, the administrative-division gazetteer, and the part of speech and word position
of the jieba word the character belongs to (and of its neighbours): jieba's tagger resolves in context
what the gazetteer only matches (李鹏乔石李瑞环 → nr nr nr), and its HMM tags unseen names.
``python -m moli.pii.train`` trains it with python-crfsuite and exports the weights to ``data/ner.npz``,
which ``fastcrf`` serves with numpy (loaded lazily, once per process).
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable, Iterator
from functools import lru_cache
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from moli.core.errors import ConfigError
from moli.pii.findings import Finding
from moli.pii.lexicons import division_tags, surnames

MODEL_FILE = "ner.npz"
MODEL_DIR_ENV = "MOLI_PII_MODEL_DIR"
LABEL_KIND = {"PER": "PERSON", "ADDR": "ADDRESS"}
_DIGITS = re.compile("[0-9\uff10-\uff19]")


def normalise(text: str) -> str:
    """What the features see: digits (ASCII and full-width) as 0, lower case. Length-preserving: İ, the
    only character whose lower case is two characters, becomes i (a regex, not str.translate, which is
    ten times slower on Chinese text)."""
    if "\u0130" in text:
        text = text.replace("\u0130", "i")
    return _DIGITS.sub("0", text).lower()


_SPLIT = re.compile(r"[^。！？!?\n；;]*[。！？!?\n；;]*")
MAX_CHUNK = 48


_LATIN = re.compile(r"[a-z]")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_NOT_CLS = re.compile(r"[^HLD]")


# rjieba's part-of-speech tags (jieba's tag set); any other tag is read as "x"
_JIEBA_TAGS = ("a ad ag an b c d df dg e eng f g h i j k l m mg mq n ng nr nrfg nrt ns nt nz o p q r rg rr rz "
               "s t tg u ud ug uj ul uv uz v vd vg vi vn vq x y z zg").split()
_TAG_INDEX = {t: i for i, t in enumerate(_JIEBA_TAGS)}
_word_code_cache: dict[tuple[str, int], str] = {}


def _word_code(tag: str, n: int) -> str:
    """One code character per character of an n-character word: (tag, position B/M/E/S), so a
    feature key stays one character long."""
    got = _word_code_cache.get((tag, n))
    if got is None:
        base = 0x100 + 4 * _TAG_INDEX.get(tag, _TAG_INDEX["x"])
        got = chr(base + 3) if n == 1 else chr(base) + chr(base + 1) * (n - 2) + chr(base + 2)
        if n <= 64:
            _word_code_cache[(tag, n)] = got
    return got


def word_codes(text: str) -> str:
    """Per character of ``text``: the code of its jieba word's part of speech and its position in it."""
    import rjieba

    get, code = _word_code_cache.get, _word_code
    return "".join([get((tag, len(w))) or code(tag, len(w)) for w, tag in rjieba.tag(text)])


@lru_cache(maxsize=1)
def _name_word_res() -> tuple[re.Pattern, re.Pattern]:
    """A jieba person-name word (nr, nrfg, nrt) of two or more characters, in word codes; and a run of
    three or more of them with nothing in between."""
    alts = []
    for tag in ("nr", "nrfg", "nrt"):
        base = 0x100 + 4 * _TAG_INDEX[tag]
        alts.append(f"{re.escape(chr(base))}{re.escape(chr(base + 1))}*{re.escape(chr(base + 2))}")
    word = "(?:" + "|".join(alts) + ")"
    return re.compile(word), re.compile(f"{word}{{3,}}")


def name_list_words(codes: str) -> list[list[tuple[int, int]]]:
    """The names of each run-on name list (名单: 李鹏乔石李瑞环彭真, no separators) as jieba segments it:
    three or more person-name words in a row. The CRF is trained on running text and is unsure where
    one name ends in such a run; jieba's dictionary and HMM segment it."""
    word, run = _name_word_res()
    return [[(m.start(), m.end()) for m in word.finditer(codes, r.start(), r.end())] for r in run.finditer(codes)]


def is_word_start(code: str) -> bool:
    return (ord(code) - 0x100) % 4 in (0, 3)


@lru_cache(maxsize=1)
def _surname_res() -> tuple[re.Pattern, re.Pattern]:
    single, _ = surnames()
    chars = "".join(sorted(single))
    return re.compile(f"[^{chars}]"), re.compile(f"[{chars}]")


def features(text: str, codes: str | None = None) -> list[list[str]]:
    """CRF attributes for each character of ``text`` (same length as ``text``).

    Built with string slices and C-level substitutions (no per-character branches) for speed.
    """
    s = normalise(text)
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
    j = "^" + (codes if codes is not None else word_codes(text)) + "$"
    return [[f"u{c}", f"l{b}", f"r{d}", f"L{a}", f"R{e}", f"x{b}{c}", f"y{c}{d}", f"X{a}{b}", f"Y{d}{e}",
             f"z{b}{d}", f"w{b}{c}{d}", f"t{k0}{k1}{k2}", f"s{f0}{f1}{f2}", f"g{g}", f"j{j1}", f"J{j0}",
             f"K{j2}", f"q{c}{j1}", f"A{a}{b}{c}", f"B{c}{d}{e}"]
            for a, b, c, d, e, k0, k1, k2, f0, f1, f2, g, j0, j1, j2 in zip(
                p, p[1:], p[2:], p[3:], p[4:], k, k[1:], k[2:], f, f[1:], f[2:], gaz, j, j[1:], j[2:], strict=False)]


def chunks(text: str, codes: str | None = None) -> list[tuple[int, str]]:
    """Split into sentences of at most MAX_CHUNK characters, with their start offsets. A sentence too
    long is cut after a comma or a space, else at a word boundary of ``codes`` (``word_codes(text)``) so
    that no name is cut in two (run-on name lists have no punctuation)."""
    out = []
    for m in _SPLIT.finditer(text):
        seg = m.group()
        if not seg:
            continue
        base = m.start()
        while len(seg) > MAX_CHUNK:
            cut = max(seg.rfind(c, 0, MAX_CHUNK) for c in "，,、： ")
            if cut > MAX_CHUNK // 2:
                cut += 1
            elif codes is not None:
                cut = next((c for c in range(MAX_CHUNK, MAX_CHUNK // 2, -1) if is_word_start(codes[base + c])),
                           MAX_CHUNK)
            else:
                cut = MAX_CHUNK
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


def model_dir() -> Traversable:
    """The folder the name/address model (``ner.npz``, ``span_filter.npz``) is read from: the one
    ``$MOLI_PII_MODEL_DIR`` names (a model retrained with ``python -m moli.pii.train --out-dir``, or the
    benchmark's holdout model), else the package's own ``data`` folder."""
    override = os.environ.get(MODEL_DIR_ENV)
    return Path(override) if override else resources.files("moli.pii").joinpath("data")


def unload() -> None:
    """Forget the loaded CRF and span filter: the next call reads ``model_dir()`` again (after
    ``$MOLI_PII_MODEL_DIR`` has changed)."""
    global _engine
    from moli.pii import span_filter

    with _lock:
        _engine = None
    span_filter.forget()


def engine():
    """The CRF (``data/ner.npz``, served by ``fastcrf``), loaded once per process; after a fork each
    worker process loads its own copy on first use."""
    global _engine
    if _engine is None:
        with _lock:
            if _engine is None:
                from moli.pii.fastcrf import FastCRF

                res = model_dir().joinpath(MODEL_FILE)
                if not res.is_file():
                    raise ConfigError(f"缺少姓名/地址模型 {res}，请运行 python -m moli.pii.train",
                                      f"the name/address model {res} is missing; run python -m moli.pii.train",
                                      field=MODEL_DIR_ENV)
                _engine = FastCRF(res.read_bytes())
    return _engine


# Characters per CRF batch: several documents go through one emission pass and one Viterbi loop,
# whose cost is mostly per call and per step, not per character (about 10 MB of scores at this size).
BATCH_CHARS = 200_000


def batches_by_size(items: Iterable, size, limit: int) -> Iterator[list]:
    """Consecutive runs of ``items`` whose ``size(item)`` adds up to at most ``limit`` (an item larger
    than ``limit`` is a batch of its own)."""
    batch, total = [], 0
    for item in items:
        n = size(item)
        if batch and total + n > limit:
            yield batch
            batch, total = [], 0
        batch.append(item)
        total += n
    if batch:
        yield batch


def find_entities_many(texts: list[str], kinds: set[str] | frozenset[str] | None,
                       codes: list[str]) -> list[list[Finding]]:
    """PERSON / ADDRESS findings of the CRF for each text (``codes``: ``word_codes`` of each); the
    sentences of all texts are tagged together, in batches of BATCH_CHARS. PERSON spans pass the span
    filter (``span_filter``) when the package ships one; their score is its probability."""
    from moli.pii.span_filter import shipped, spans_features

    name_filter = shipped()
    found: list[list[Finding]] = [[] for _ in texts]
    names: list[tuple[int, Finding, tuple]] = []
    for t, f, margins in crf_findings(engine(), texts, codes, kinds, with_margins=name_filter is not None):
        found[t].append(f)
        if margins is not None:
            names.append((t, f, margins))
    if not names:
        return found
    dropped = set()
    for (_, f, _), p in zip(names, name_filter.proba(spans_features(texts, codes, names)).tolist(), strict=True):
        f.score = round(p, 4)
        if p < name_filter.threshold:
            dropped.add(id(f))
    return [[f for f in fs if id(f) not in dropped] for fs in found]


def crf_findings(crf, texts: list[str], codes: list[str], kinds=None, with_margins: bool = False
                 ) -> Iterator[tuple[int, Finding, tuple | None]]:
    """(text index, finding, ``Decoded.margin_stats`` of a PERSON span or None) for every entity ``crf``
    tags in ``texts``, the sentences of all texts decoded together in batches of BATCH_CHARS."""
    parts = [(t, o, s, c[o:o + len(s)]) for t, (text, c) in enumerate(zip(texts, codes, strict=True))
             for o, s in chunks(text, c)]
    for batch in batches_by_size(parts, lambda p: len(p[2]), BATCH_CHARS):
        decoded = crf.decode([s for _, _, s, _ in batch], [c for *_, c in batch])
        for i, lab, a, b in decoded.spans:
            kind = LABEL_KIND.get(lab)
            if kind is None or (kinds is not None and kind not in kinds):
                continue
            t, base, seg, _ = batch[i]
            while b > a and seg[b - 1].isspace():
                b -= 1
            while a < b and seg[a].isspace():
                a += 1
            if a == b:
                continue
            text = texts[t]
            margins = None
            if with_margins and kind == "PERSON":
                margins = decoded.margin_stats(i, crf.kind_names.index(lab), a, b)
            yield t, Finding(kind, base + a, base + b, text[base + a:base + b], 0.8, None, True, "crf"), margins
