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

import sys
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

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


@lru_cache(maxsize=1)
def _drop_table() -> dict[int, None]:
    drop: dict[int, None] = {}
    for cp in range(sys.maxunicode + 1):
        ch = chr(cp)
        cat = unicodedata.category(ch)
        if (cat[0] in "PZ" or cat in ("Cc", "Cf")) and ch not in _KEEP:
            drop[cp] = None
    return drop


def normalize_for_exact(text: str) -> str:
    """The normalised form hashed by :func:`exact_key` (NFKC, casefold, no whitespace/punctuation)."""
    return unicodedata.normalize("NFKC", text).casefold().translate(_drop_table())


def exact_key(text: str) -> bytes:
    """16-byte xxh3-128 digest of :func:`normalize_for_exact` ``(text)`` (UTF-8)."""
    return xxhash.xxh3_128_digest(normalize_for_exact(text).encode("utf-8", "surrogatepass"))


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
