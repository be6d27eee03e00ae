"""Counting distinct individuals: an exact set of 64-bit xxhash digests up to a limit, then HyperLogLog.

The exact set is a sorted ``numpy.uint64`` array (8 bytes per person) merged in chunks; beyond
``exact_limit`` distinct values the counter folds everything into a HyperLogLog sketch (2**p one-byte
registers, standard error about 1.04 / sqrt(2**p): 0.81 % at p = 14) and memory stays flat.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import xxhash

_U64 = np.uint64


def digests(values: Iterable[str], seed: int = 0) -> np.ndarray:
    """xxh3-64 digests of ``values`` as a uint64 array."""
    h = xxhash.xxh3_64_intdigest
    vals = list(values)
    return np.fromiter((h(v.encode("utf-8"), seed) for v in vals), dtype=_U64, count=len(vals))


def _bit_length(x: np.ndarray) -> np.ndarray:
    """Exact bit length of uint64 values (vectorised binary search; no float rounding)."""
    x = x.copy()
    n = np.zeros(x.shape, dtype=np.int64)
    for s in (32, 16, 8, 4, 2, 1):
        m = x >= _U64(1 << s)
        n[m] += s
        x[m] >>= _U64(s)
    return n + (x > 0)


class HyperLogLog:
    """A HyperLogLog sketch over 64-bit hashes (Flajolet et al. 2007, with linear counting for small n)."""

    def __init__(self, p: int = 14):
        if not 4 <= p <= 18:
            raise ValueError("p must be between 4 and 18")
        self.p = p
        self.m = 1 << p
        self.registers = np.zeros(self.m, dtype=np.uint8)

    def add_hashes(self, h: np.ndarray) -> None:
        if h.size == 0:
            return
        h = h.astype(_U64, copy=False)
        idx = (h >> _U64(64 - self.p)).astype(np.int64)
        w = h << _U64(self.p)
        rank = (64 - self.p) - _bit_length(w >> _U64(self.p)) + 1  # leading zeros of the low bits, plus one
        np.maximum.at(self.registers, idx, rank.astype(np.uint8))

    def merge(self, other: HyperLogLog) -> None:
        if other.p != self.p:
            raise ValueError("cannot merge sketches of different precision")
        np.maximum(self.registers, other.registers, out=self.registers)

    def estimate(self) -> int:
        m = self.m
        alpha = 0.7213 / (1 + 1.079 / m)
        est = alpha * m * m / np.sum(np.exp2(-self.registers.astype(np.float64)))
        zeros = int(np.count_nonzero(self.registers == 0))
        if est <= 2.5 * m and zeros:
            est = m * np.log(m / zeros)
        return int(round(est))

    @property
    def relative_error(self) -> float:
        return 1.04 / np.sqrt(self.m)


class DistinctCounter:
    """Exact distinct count of 64-bit digests up to ``exact_limit``, HyperLogLog beyond."""

    def __init__(self, exact_limit: int = 5_000_000, p: int = 14, chunk: int = 1 << 18):
        self.exact_limit = exact_limit
        self.p = p
        self.chunk = chunk
        self._sorted = np.empty(0, dtype=_U64)
        self._pending: list[np.ndarray] = []
        self._pending_n = 0
        self.hll: HyperLogLog | None = None

    @property
    def method(self) -> str:
        return "hyperloglog" if self.hll is not None else "exact"

    def add_hashes(self, h: np.ndarray) -> None:
        if h.size == 0:
            return
        if self.hll is not None:
            self.hll.add_hashes(h)
            return
        self._pending.append(h.astype(_U64, copy=False))
        self._pending_n += h.size
        # flush when the pending digests reach half the set: each digest is merged O(log n) times
        if self._pending_n >= max(self.chunk, self._sorted.size // 2):
            self._flush()

    def add(self, values: Iterable[str]) -> None:
        self.add_hashes(digests(values))

    def _flush(self) -> None:
        if not self._pending:
            return
        new = np.unique(np.concatenate(self._pending))
        self._pending, self._pending_n = [], 0
        if self._sorted.size:
            merged = np.concatenate([self._sorted, new])
            merged.sort(kind="stable")  # two sorted runs: timsort merges them in linear time
            keep = np.empty(merged.size, dtype=bool)
            keep[0] = True
            np.not_equal(merged[1:], merged[:-1], out=keep[1:])
            self._sorted = merged[keep]
        else:
            self._sorted = new
        if self._sorted.size > self.exact_limit:
            self.hll = HyperLogLog(self.p)
            self.hll.add_hashes(self._sorted)
            self._sorted = np.empty(0, dtype=_U64)

    def merge(self, other: DistinctCounter) -> None:
        other._flush()
        if other.hll is not None:
            self._flush()
            if self.hll is None:
                self.hll = HyperLogLog(self.p)
                self.hll.add_hashes(self._sorted)
                self._sorted = np.empty(0, dtype=_U64)
            self.hll.merge(other.hll)
        else:
            self.add_hashes(other._sorted)

    def count(self) -> int:
        self._flush()
        return self.hll.estimate() if self.hll is not None else int(self._sorted.size)
