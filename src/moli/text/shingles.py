"""Character n-gram shingles of Chinese text (字符 n 元组), hashed without Python per-shingle loops.

A *shingle* is a run of ``ngram`` consecutive characters (Unicode code points, so a character
outside the BMP such as 𠀀 counts once). Rules, shared by the MinHash engine and the exact
Jaccard reference:

- a text with at least ``ngram`` characters has ``len(text) - ngram + 1`` shingles (as a set);
- a non-empty text shorter than ``ngram`` is one shingle: the whole text;
- the empty text is one shingle: the empty string (so two empty texts are identical, and an empty
  text shares nothing with a non-empty one).

Hashing is vectorised: a batch of texts is joined and encoded to UTF-32 once; the code points are
combined by a polynomial over a random odd 64-bit base (wrapping uint64 arithmetic) for every window
at once, and each window value is finalised with the murmur3 ``fmix64`` mixer. The constants come
from ``xxhash`` of the seed, so hashes are the same in every process and on every machine (no
Python ``hash()``).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import xxhash

_M1 = np.uint64(0xFF51AFD7ED558CCD)
_M2 = np.uint64(0xC4CEB9FE1A85EC53)
_S33 = np.uint64(33)


@lru_cache(maxsize=1024)
def seed_constant(seed: int, label: str) -> int:
    """A deterministic 64-bit constant derived from ``seed`` and a label (xxh64)."""
    return xxhash.xxh64_intdigest(f"moli:{label}:{int(seed)}".encode())


def fmix64(x: np.ndarray) -> np.ndarray:
    """murmur3's 64-bit finaliser, in place on a uint64 array (returns it)."""
    tmp = np.empty_like(x)
    for mul in (_M1, _M2, None):
        np.right_shift(x, _S33, out=tmp)
        np.bitwise_xor(x, tmp, out=x)
        if mul is not None:
            np.multiply(x, mul, out=x)
    return x


def shingle_set(text: str, ngram: int = 5) -> set[str]:
    """The set of character n-grams of ``text`` (the reference definition, pure Python)."""
    if ngram < 1:
        raise ValueError("ngram must be >= 1")
    if len(text) < ngram:
        return {text}
    return {text[i:i + ngram] for i in range(len(text) - ngram + 1)}


def _encode(text: str) -> np.ndarray:
    # surrogatepass: a lone surrogate in a str (bad upstream decoding) still gets a code point.
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")


def shingle_hashes(texts: Sequence[str], ngram: int = 5, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Hash every character n-gram of every text in one vectorised pass.

    Returns ``(hashes, offsets)``: ``hashes`` is a uint64 array of all shingle hashes (with
    repeats; a shingle occurring twice in a text appears twice), ``offsets`` an int64 array of
    ``len(texts) + 1`` positions so that text ``i`` owns ``hashes[offsets[i]:offsets[i + 1]]``.
    Every text owns at least one hash (see the module rules for short and empty texts).
    """
    if ngram < 1:
        raise ValueError("ngram must be >= 1")
    n_docs = len(texts)
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=n_docs)
    base = np.uint64(seed_constant(seed, "shingle-base") | 1)
    salt = np.uint64(seed_constant(seed, "shingle-salt"))
    short_salt = np.uint64(seed_constant(seed, "shingle-short"))

    counts = np.maximum(lengths - ngram + 1, 1)
    offsets = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    out = np.empty(int(offsets[-1]), dtype=np.uint64)
    if n_docs == 0:
        return out, offsets

    cps = _encode("".join(texts)).astype(np.uint64)
    total = cps.shape[0]
    starts = np.zeros(n_docs, dtype=np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])

    long_docs = lengths >= ngram
    if total >= ngram and long_docs.any():
        # Polynomial value of every window of the joined text; windows across a boundary are dropped.
        n_win = total - ngram + 1
        h = cps[:n_win].copy()
        for k in range(1, ngram):
            h *= base
            h += cps[k:k + n_win]
        h ^= salt
        fmix64(h)
        if long_docs.all():
            # every text has windows: drop the ngram-1 windows that start near each text's end
            # (they run into the next text) and keep the rest, already in text order
            keep = np.ones(n_win, dtype=bool)
            bad = ((starts + lengths)[:-1, None] - np.arange(1, ngram, dtype=np.int64)).ravel()
            keep[bad[bad < n_win]] = False
            out[:] = h[keep]
        else:
            c = counts[long_docs]
            first_out = offsets[:-1][long_docs]
            first_win = starts[long_docs]
            # positions in `out` and their window index, built without a Python loop over texts
            rep_first_out = np.repeat(first_out, c)
            within = np.arange(rep_first_out.shape[0], dtype=np.int64) - np.repeat(np.cumsum(c) - c, c)
            out[rep_first_out + within] = h[np.repeat(first_win, c) + within]

    for i in np.flatnonzero(~long_docs):
        # A short text is one shingle, the text itself: hash its code points padded by length.
        seg = cps[starts[i]:starts[i] + lengths[i]]
        v = np.array([np.uint64(lengths[i]) ^ short_salt], dtype=np.uint64)
        for cp in seg:
            v *= base
            v += cp
        fmix64(v)
        out[offsets[i]] = v[0]
    return out, offsets


def shingle_fingerprints(hashes: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per text, the sorted *distinct* 32-bit fingerprints (high half of each shingle hash).

    Input is the output of :func:`shingle_hashes`; returns ``(values, offsets)`` in the same layout
    (``uint32`` values, ``int64`` offsets). Two texts' exact Jaccard similarity is the Jaccard
    similarity of their fingerprint sets up to 32-bit collisions (≈ n²/2³² for n shingles: 1e-4 at
    n = 700), which is what :class:`moli.corpus.dedup.NearDuplicateIndex` uses to verify candidates.
    """
    n_docs = offsets.shape[0] - 1
    doc = np.repeat(np.arange(n_docs, dtype=np.uint64), np.diff(offsets))
    key = np.unique((doc << np.uint64(32)) | (hashes >> np.uint64(32)))
    values = (key & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    new_offsets = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(np.bincount((key >> np.uint64(32)).astype(np.int64), minlength=n_docs), out=new_offsets[1:])
    return values, new_offsets
