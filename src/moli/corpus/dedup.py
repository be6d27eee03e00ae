r"""De-duplication engine (去重引擎): exact keys, MinHash signatures, LSH clustering, exact Jaccard.

The corpus pipeline's steps ``dedup_exact`` and ``dedup_near`` wrap these functions:

- :func:`exact_key` — 128-bit xxh3 of the normalised text, for exact duplicates (完全重复).
- :func:`minhash_signatures` — ``(len(texts), num_perm)`` uint32 MinHash signatures of character
  n-grams (see :mod:`moli.corpus.minhash`).
- :class:`NearDuplicateIndex` — disk-backed LSH banding + union-find; ``duplicates()`` maps each
  removed row id to the kept (earliest) row id of its cluster (see :mod:`moli.corpus.lsh`).
- :func:`signatures_and_fingerprints` — signatures plus each text's distinct shingle fingerprints;
  give both to ``NearDuplicateIndex.add`` and candidate pairs are verified by *exact* Jaccard.
- :func:`jaccard` — the exact Jaccard similarity of two texts' character n-gram sets (reference).

Normalisation for :func:`exact_key` (documented rule, Chinese first):
  1. Unicode NFKC — full-width letters, digits and punctuation become half-width (ＡＢＣ１２３ → ABC123,
     ，→ , is then removed by step 3), compatibility characters are unfolded (① → 1, ㈠ → (一));
  2. ``str.casefold()`` — Latin case does not matter;
  3. every whitespace character (Unicode Z*, tabs, newlines), every punctuation mark (Unicode P*:
     ，。、；：？！“”‘’《》【】（）—…·) and invisible format/control characters (Cc, Cf: zero-width
     space U+200B, BOM, soft hyphen) are deleted.
  Symbols (S*: ￥ + = ℃ ©), digits and the meaningful marks ``% ‰ ‱ # & @ * / \`` (Unicode calls
  them punctuation) are kept: "增长5%" and "增长5‰" stay different.
  Traditional and simplified characters are *not* merged here; put a ``normalize: {t2s: true}`` step
  before ``dedup_exact`` in the recipe to merge them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import numpy as np
import xxhash

from moli.corpus.lsh import NearDuplicateIndex, band_keys, optimal_bands_rows
from moli.corpus.minhash import SCHEMES, estimate_jaccard, minhash_signatures, signatures_and_fingerprints
from moli.text.shingles import shingle_fingerprints, shingle_set

__all__ = [
    "NearDuplicateIndex",
    "SCHEMES",
    "band_keys",
    "estimate_jaccard",
    "exact_key",
    "exact_keys",
    "jaccard",
    "minhash_signatures",
    "normalize_for_exact",
    "optimal_bands_rows",
    "shingle_fingerprints",
    "signatures_and_fingerprints",
]


_KEEP = frozenset("%‰‱#&@*/\\")


_UNSAFE, _DELETE = -2, -1
# CJK Unified Ideographs Extensions B–F and G–H: letters (Lo) that NFKC and casefold leave unchanged
_CJK_ASTRAL = ((0x20000, 0x2F7FF), (0x30000, 0x323AF))


def _dropped(ch: str) -> bool:
    cat = unicodedata.category(ch)
    return (cat[0] in "PZ" or cat in ("Cc", "Cf")) and ch not in _KEEP


def normalize_for_exact(text: str) -> str:
    """The normalised form hashed by :func:`exact_key` (NFKC, casefold, no whitespace/punctuation)."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if not _dropped(ch))


@lru_cache(maxsize=1)
def _bmp_table() -> np.ndarray:
    """For each BMP code point, what :func:`normalize_for_exact` makes of it alone: a code point,
    ``_DELETE``, or ``_UNSAFE`` when the character can interact with its neighbours under NFKC
    (combining marks, the second half of a canonical composition, Hangul, surrogates) or becomes
    several characters. A text made only of "safe" characters normalises character by character."""
    seconds = set()
    for cp in range(0x10000):
        d = unicodedata.normalize("NFD", chr(cp))
        if len(d) >= 2:
            seconds.update(d[1:])
    table = np.empty(0x10000, dtype=np.int32)
    for cp in range(0x10000):
        ch = chr(cp)
        kd = unicodedata.normalize("NFKD", ch)
        if (0xD800 <= cp <= 0xDFFF or 0x1100 <= cp <= 0x11FF or 0x3130 <= cp <= 0x318F
                or 0xA960 <= cp <= 0xA97F or 0xAC00 <= cp <= 0xD7FF
                or any(unicodedata.combining(c) or c in seconds for c in kd)):
            table[cp] = _UNSAFE
            continue
        r = normalize_for_exact(ch)
        table[cp] = _DELETE if r == "" else ord(r) if len(r) == 1 else _UNSAFE
    return table


def _normalized_code_points(text: str) -> np.ndarray | None:
    """Vectorised :func:`normalize_for_exact` as UTF-32 code points; ``None`` if a character needs
    the exact (slow) path."""
    cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")
    if cps.size == 0:
        return cps
    if int(cps.max()) < 0x10000:
        out = _bmp_table()[cps]
    else:
        out = np.full(cps.size, _UNSAFE, dtype=np.int32)
        small = cps < 0x10000
        out[small] = _bmp_table()[cps[small]]
        for lo, hi in _CJK_ASTRAL:
            inside = (cps >= lo) & (cps <= hi)
            out[inside] = cps[inside].astype(np.int32)
    if (out == _UNSAFE).any():
        return None
    return out[out >= 0].astype("<u4")


def exact_key(text: str) -> bytes:
    """16-byte xxh3-128 digest of the UTF-32-LE code points of :func:`normalize_for_exact` ``(text)``.

    Computed with a per-character lookup table (numpy) when every character normalises on its own,
    which is the case for Chinese text, and with :func:`normalize_for_exact` otherwise — the same
    key either way."""
    cps = _normalized_code_points(text)
    if cps is None:
        data = normalize_for_exact(text).encode("utf-32-le", "surrogatepass")
    else:
        data = cps.tobytes()
    return xxhash.xxh3_128_digest(data)


def exact_keys(texts: Iterable[str]) -> list[bytes]:
    """:func:`exact_key` for each text."""
    return [exact_key(t) for t in texts]


def jaccard(a: str, b: str, ngram: int = 5) -> float:
    """Exact Jaccard similarity of the character ``ngram``-gram sets of ``a`` and ``b``.

    Same shingle rules as the signatures: a text shorter than ``ngram`` is one shingle, the empty
    text is the one shingle ``""`` (so ``jaccard("", "") == 1.0``).
    """
    sa, sb = shingle_set(a, ngram), shingle_set(b, ngram)
    return len(sa & sb) / len(sa | sb)
