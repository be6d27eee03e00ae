"""MinHash signatures of character n-grams (最小哈希签名), vectorised with numpy.

Two schemes, same output shape ``(len(texts), num_perm)`` of ``uint32``:

``"oph"`` (default) — one-permutation hashing with optimal densification (Li, Owen & Zhang 2012;
    Shrivastava 2017). Each shingle is hashed once to 64 bits; the low 32 bits choose one of
    ``num_perm`` bins, the high 32 bits are the value, and each bin keeps its minimum. A bin that
    received no shingle copies the value of the first non-empty bin in a fixed pseudo-random order
    of the other bins (the same order for every document, so two documents agree on a bin with
    probability equal to their Jaccard similarity). Cost is O(shingles) instead of
    O(shingles × num_perm); for 1–3 KB documents (≈ 700 shingles, 128 bins) almost no bin is empty.
``"perm"`` — classic MinHash: ``num_perm`` random affine permutations ``a·x + b mod 2³²`` (a odd,
    so each is a bijection) of the 32-bit shingle hash — already a well-mixed murmur3 output — and
    the minimum per permutation. O(shingles × num_perm) in uint32; kept as the textbook reference.

Both estimate Jaccard similarity as the fraction of equal positions (:func:`estimate_jaccard`).
Constants derive from ``xxhash`` of the seed: signatures are identical across processes and machines.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from moli.core.errors import InputError
from moli.text.shingles import seed_constant, shingle_fingerprints, shingle_hashes

SCHEMES = ("oph", "perm")
_BATCH_CHARS = 1 << 15  # code points per vectorised pass: temporaries (~1 MB) stay in L2; measured fastest
_LONG_CHARS = 4 * _BATCH_CHARS  # longer texts are hashed piece by piece (bounded workspace)
_MASK32 = np.uint64(0xFFFFFFFF)
_LITTLE = sys.byteorder == "little"
_S32 = np.uint64(32)


@lru_cache(maxsize=32)
def _densify_order(num_perm: int, seed: int) -> np.ndarray:
    """Per bin i, the other bins in a fixed pseudo-random order (row i of a num_perm × num_perm table)."""
    keys = np.arange(num_perm * num_perm, dtype=np.uint64) ^ np.uint64(seed_constant(seed, "densify"))
    from moli.text.shingles import fmix64

    keys = fmix64(keys).reshape(num_perm, num_perm)
    keys[np.arange(num_perm), np.arange(num_perm)] = np.uint64(0xFFFFFFFFFFFFFFFF)  # a bin itself goes last
    return np.argsort(keys, axis=1, kind="stable").astype(np.int64)


@lru_cache(maxsize=32)
def _perm_params(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Odd multipliers and offsets of the 32-bit affine permutations ``x ↦ a·x + b mod 2³²``."""
    a = np.array([(seed_constant(seed, f"perm-a-{i}") >> 32) | 1 for i in range(num_perm)], dtype=np.uint32)
    b = np.array([seed_constant(seed, f"perm-b-{i}") >> 32 for i in range(num_perm)], dtype=np.uint32)
    return a, b


def _oph_partial(hashes: np.ndarray, offsets: np.ndarray, num_perm: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-bin minima and the mask of bins that received a shingle (mergeable by min / or)."""
    n_docs = offsets.shape[0] - 1
    counts = np.diff(offsets)
    if _LITTLE:  # the two 32-bit halves as strided views: no shifted copies
        halves = hashes.view(np.uint32)
        low, values = halves[0::2], halves[1::2]
    else:
        low, values = (hashes & _MASK32).astype(np.uint32), (hashes >> _S32).astype(np.uint32)
    if num_perm & (num_perm - 1) == 0:  # power of two: the same as the multiply-high below
        bins = low >> np.uint32(32 - (num_perm.bit_length() - 1)) if num_perm > 1 else np.zeros_like(low)
    else:
        bins = ((low.astype(np.uint64) * np.uint64(num_perm)) >> _S32).astype(np.intp)  # multiply-high: in [0, k)
    key = np.repeat(np.arange(n_docs, dtype=np.intp) * num_perm, counts)
    key += bins
    sig = np.full(n_docs * num_perm, 0xFFFFFFFF, dtype=np.uint32)
    np.minimum.at(sig, key, values)
    filled = np.bincount(key, minlength=n_docs * num_perm).astype(bool)
    return sig.reshape(n_docs, num_perm), filled.reshape(n_docs, num_perm)


def _densify(sig: np.ndarray, filled: np.ndarray, num_perm: int, seed: int) -> np.ndarray:
    """Fill each empty bin from the first non-empty bin in its fixed pseudo-random order."""
    need = np.flatnonzero(~filled.all(axis=1))
    if need.size:
        order = _densify_order(num_perm, seed)
        for chunk in np.array_split(need, max(1, need.size // 256)):
            f = filled[chunk]                       # (m, k)
            d_idx, b_idx = np.nonzero(~f)           # empty bins
            cand = f[d_idx[:, None], order[b_idx]]  # (e, k): is the j-th bin in b's order filled?
            src = order[b_idx, np.argmax(cand, axis=1)]
            sub = sig[chunk]
            sub[d_idx, b_idx] = sub[d_idx, src]
            sig[chunk] = sub
    return sig


def _oph_batch(hashes: np.ndarray, offsets: np.ndarray, num_perm: int, seed: int) -> np.ndarray:
    sig, filled = _oph_partial(hashes, offsets, num_perm)
    return _densify(sig, filled, num_perm, seed)


def _perm_batch(hashes: np.ndarray, offsets: np.ndarray, num_perm: int, seed: int) -> np.ndarray:
    a, b = _perm_params(num_perm, seed)
    n_docs = offsets.shape[0] - 1
    sig = np.empty((n_docs, num_perm), dtype=np.uint32)
    h32 = (hashes >> _S32).astype(np.uint32)
    work = np.empty((min(4096, max(1, int(np.diff(offsets).max(initial=1)))), num_perm), dtype=np.uint32)
    for i in range(n_docs):
        x = h32[offsets[i]:offsets[i + 1]]
        acc = None
        for s in range(0, x.shape[0], 4096):  # blocks of ≤ 4,096 shingles: a bounded 2 MB workspace
            xs = x[s:s + 4096]
            w = work[:xs.shape[0]]
            np.multiply(xs[:, None], a, out=w)  # wraps mod 2^32
            np.add(w, b, out=w)
            v = w.min(axis=0)
            acc = v if acc is None else np.minimum(acc, v)
        sig[i] = acc
    return sig


def _long_text(text: str, num_perm: int, ngram: int, seed: int, scheme: str,
               fingerprints: bool) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray] | None]:
    """A text longer than ``_LONG_CHARS``: hashed in overlapping pieces (every n-gram lies wholly in
    one piece), per-piece minima merged, so the workspace stays bounded whatever the text length."""
    step = _BATCH_CHARS - (ngram - 1)
    sig = np.full((1, num_perm), 0xFFFFFFFF, dtype=np.uint32)
    filled = np.zeros((1, num_perm), dtype=bool)
    parts = []
    for start in range(0, len(text) - ngram + 1, step):
        hashes, offsets = shingle_hashes([text[start:start + _BATCH_CHARS]], ngram=ngram, seed=seed)
        if scheme == "oph":
            s, f = _oph_partial(hashes, offsets, num_perm)
            filled |= f
        else:
            s = _perm_batch(hashes, offsets, num_perm, seed)
        np.minimum(sig, s, out=sig)
        if fingerprints:
            parts.append(np.unique((hashes >> _S32).astype(np.uint32)))
    if scheme == "oph":
        sig = _densify(sig, filled, num_perm, seed)
    fp = None
    if fingerprints:
        values = np.unique(np.concatenate(parts))
        fp = (values, np.array([0, values.size], dtype=np.int64))
    return sig, fp


def _signatures(texts: Sequence[str], num_perm: int, ngram: int, seed: int, scheme: str,
                fingerprints: bool) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
    if not isinstance(num_perm, int) or num_perm < 1:
        raise InputError(f"num_perm 必须是 ≥ 1 的整数，收到 {num_perm!r}",
                         f"num_perm must be an integer >= 1, got {num_perm!r}", field="num_perm")
    if not isinstance(ngram, int) or ngram < 1:
        raise InputError(f"ngram 必须是 ≥ 1 的整数，收到 {ngram!r}",
                         f"ngram must be an integer >= 1, got {ngram!r}", field="ngram")
    if scheme not in SCHEMES:
        raise InputError(f"scheme 必须是 {SCHEMES} 之一，收到 {scheme!r}",
                         f"scheme must be one of {SCHEMES}, got {scheme!r}", field="scheme")
    texts = texts if isinstance(texts, list) else list(texts)
    if not all(isinstance(t, str) for t in texts):
        bad = next(i for i, t in enumerate(texts) if not isinstance(t, str))
        raise InputError(f"第 {bad} 条文本不是字符串（{type(texts[bad]).__name__}）",
                         f"text #{bad} is not a str ({type(texts[bad]).__name__})", field=f"texts[{bad}]")
    out = np.empty((len(texts), num_perm), dtype=np.uint32)
    fps: list[tuple[np.ndarray, np.ndarray]] = []
    batch_fn = _oph_batch if scheme == "oph" else _perm_batch
    i = 0
    while i < len(texts):
        if len(texts[i]) > _LONG_CHARS:
            out[i], fp = _long_text(texts[i], num_perm, ngram, seed, scheme, fingerprints)
            if fingerprints:
                fps.append(fp)
            i += 1
            continue
        j, chars = i, 0
        while j < len(texts) and len(texts[j]) <= _LONG_CHARS and (j == i or chars + len(texts[j]) <= _BATCH_CHARS):
            chars += len(texts[j])
            j += 1
        hashes, offsets = shingle_hashes(texts[i:j], ngram=ngram, seed=seed)
        out[i:j] = batch_fn(hashes, offsets, num_perm, seed)
        if fingerprints:
            fps.append(shingle_fingerprints(hashes, offsets))
        i = j
    return out, fps


def minhash_signatures(texts: Sequence[str], *, num_perm: int = 128, ngram: int = 5, seed: int = 1,
                       scheme: str = "oph") -> np.ndarray:
    """MinHash signatures of the character ``ngram``-grams of each text.

    Returns a ``(len(texts), num_perm)`` ``uint32`` array. Shingle rules (short and empty texts) are
    those of :mod:`moli.text.shingles`. ``scheme`` is ``"oph"`` (default, fast) or ``"perm"``.
    """
    return _signatures(texts, num_perm, ngram, seed, scheme, False)[0]


def signatures_and_fingerprints(texts: Sequence[str], *, num_perm: int = 128, ngram: int = 5, seed: int = 1,
                                scheme: str = "oph") -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """``(signatures, (fp_values, fp_offsets))``: the signatures of :func:`minhash_signatures` and
    each text's sorted distinct 32-bit shingle fingerprints (:func:`moli.text.shingles.shingle_fingerprints`),
    computed from one shingle pass. Give both to ``NearDuplicateIndex.add`` to verify candidate pairs
    by exact Jaccard similarity instead of the signature estimate."""
    sig, fps = _signatures(texts, num_perm, ngram, seed, scheme, True)
    if not fps:
        return sig, (np.empty(0, np.uint32), np.zeros(1, np.int64))
    values = np.concatenate([v for v, _ in fps])
    starts = np.cumsum([0] + [v.size for v, _ in fps[:-1]])
    offsets = np.concatenate([np.zeros(1, np.int64)] + [o[1:] + s for (_, o), s in zip(fps, starts, strict=True)])
    return sig, (values, offsets)


def estimate_jaccard(sig_a: np.ndarray, sig_b: np.ndarray) -> np.ndarray | float:
    """Estimated Jaccard similarity: the fraction of equal signature positions (row-wise for 2-D)."""
    eq = np.asarray(sig_a) == np.asarray(sig_b)
    return float(eq.mean()) if eq.ndim == 1 else eq.mean(axis=-1)
