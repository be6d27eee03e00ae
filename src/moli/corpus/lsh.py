"""MinHash-LSH clustering with an on-disk band index (局部敏感哈希聚类，磁盘分带索引).

:class:`NearDuplicateIndex` receives signatures in input order (``add`` may be called many times),
keeps almost nothing in memory, and on :meth:`NearDuplicateIndex.duplicates` finds the clusters:

1. **Banding.** A signature of ``num_perm`` values is cut into ``bands`` bands of ``rows`` values;
   each band is reduced to one 64-bit key (murmur3 ``fmix64`` chain over its values). ``add``
   appends the keys of band ``j`` to the raw file ``band_<j>.u64`` in the work folder (8 bytes per
   document per band), and the signatures to ``signatures.u32`` (for verification).
2. **Candidates.** One band at a time: read its keys, stable-``argsort`` them, and every run of equal
   keys is a bucket. Each member of a bucket is paired with the bucket's first (earliest) member and
   with its ``neighbours`` predecessors — linear in the bucket size, never quadratic.
3. **Verification** (``verify=True``): a candidate pair is kept only if its similarity is ≥
   ``threshold`` — the *exact* Jaccard similarity when every ``add`` brought shingle fingerprints
   (``signatures_and_fingerprints``), else the signature estimate (fraction of equal values).
   Rows are read back with ``os.pread``.
4. **Clusters.** ``linkage="single"`` (default): union-find on numpy arrays, band by band —
   ``labels[i]`` is the smallest position of i's cluster, new edges are merged by min-label
   propagation with pointer jumping, pairs already in one cluster are not checked again; transitive
   (A≈B and B≈C put A, B, C together even if A and C are less similar). ``linkage="leader"``: the
   distinct candidate pairs of all bands are verified, then in input order each document joins the
   earliest *kept* document it is similar to — every removed document is within the threshold of
   the document it is removed for. Either way the kept document of a cluster is its earliest
   input, deterministic whatever the band order.

Memory while clustering: the labels (8 bytes per document) and one band being sorted (≈ 32 bytes per
document, or per partition beyond ``max_sort_rows``), independent of the number of bands.
``meta.json`` (atomic) records the committed state: :meth:`NearDuplicateIndex.open` reopens an index.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

import numpy as np

from moli.core.errors import InputError
from moli.text.shingles import fmix64, seed_constant

_MUL = np.uint64(0x9E3779B97F4A7C15)
LINKAGES = ("single", "leader")
_FILES = ("signatures.u32", "fingerprints.u32", "fingerprint_counts.i64", "row_ids.i64", "meta.json")
_META_VERSION = 1


@lru_cache(maxsize=256)
def optimal_bands_rows(threshold: float, num_perm: int, fp_weight: float = 0.5,
                       fn_weight: float = 0.5) -> tuple[int, int]:
    """The (bands, rows) with bands·rows ≤ num_perm minimising the weighted false-positive and
    false-negative areas under the LSH S-curve ``1 - (1 - s^r)^b`` (datasketch's criterion,
    integrated with the trapezoid rule on 1,001 points instead of scipy's quad)."""
    if not 0.0 < threshold <= 1.0:
        raise InputError(f"阈值必须在 (0, 1] 之间，收到 {threshold}",
                         f"threshold must be in (0, 1], got {threshold}", field="threshold")
    if threshold == 1.0:
        return (1, num_perm)  # identical signatures only
    s = np.linspace(0.0, 1.0, 1001)
    below, above = s <= threshold, s >= threshold
    best, best_err = (1, num_perm), float("inf")
    for b in range(1, num_perm + 1):
        for r in range(1, num_perm // b + 1):
            p = 1.0 - (1.0 - s ** r) ** b
            fp = np.trapezoid(p[below], s[below])
            fn = np.trapezoid(1.0 - p[above], s[above])
            err = fp_weight * fp + fn_weight * fn
            if err < best_err - 1e-12:
                best, best_err = (b, r), err
    return best


def band_keys(signatures: np.ndarray, bands: int, rows: int, seed: int = 1) -> np.ndarray:
    """One uint64 key per (document, band): shape (n, bands). Equal band values ⇒ equal key."""
    sig = np.asarray(signatures)
    n = sig.shape[0]
    out = np.empty((n, bands), dtype=np.uint64)
    for j in range(bands):
        acc = np.full(n, seed_constant(seed, f"band-{j}"), dtype=np.uint64)
        for c in range(j * rows, (j + 1) * rows):
            acc ^= sig[:, c].astype(np.uint64)
            acc *= _MUL
            acc ^= acc >> np.uint64(29)
        out[:, j] = fmix64(acc)
    return out


class _RowFile:
    """Random reads of rows from a flat binary file with ``os.pread`` (no mmap: a mapped file's pages
    — the kernel maps whole large folios around each read — would count as resident memory)."""

    def __init__(self, path: Path, dtype: np.dtype, width: int):
        self.fd = os.open(path, os.O_RDONLY)
        self.dtype, self.width = np.dtype(dtype), int(width)
        self.row_bytes = self.dtype.itemsize * self.width

    def rows(self, rows: np.ndarray) -> np.ndarray:
        """The given rows (sorted, distinct positions) as a (len(rows), width) array."""
        rb, fd = self.row_bytes, self.fd
        buf = b"".join([os.pread(fd, rb, r * rb) for r in rows.tolist()])
        return np.frombuffer(buf, dtype=self.dtype).reshape(len(rows), self.width)

    def ranges(self, starts: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Concatenated element ranges ``[start, start + count)`` and each range's local start."""
        isz, fd = self.dtype.itemsize, self.fd
        buf = b"".join([os.pread(fd, c * isz, s * isz) for s, c in zip(starts.tolist(), counts.tolist(),
                                                                       strict=True)])
        local = np.zeros(len(counts), dtype=np.int64)
        np.cumsum(counts[:-1], out=local[1:])
        return np.frombuffer(buf, dtype=self.dtype), local

    def close(self) -> None:
        os.close(self.fd)


def _merge(labels: np.ndarray, u: np.ndarray, v: np.ndarray) -> None:
    """Union the pairs (u, v) into ``labels`` (in place). Invariant before and after: labels[i] is
    the smallest position of i's component, so labels[labels] == labels and labels[i] <= i."""
    if u.size == 0:
        return
    ru, rv = labels[u], labels[v]
    keep = ru != rv
    ru, rv = ru[keep], rv[keep]
    if ru.size == 0:
        return
    roots = np.unique(np.concatenate([ru, rv]))
    # work on the small graph of roots: local ids 0..R-1, label = min root position
    lu = np.searchsorted(roots, ru)
    lv = np.searchsorted(roots, rv)
    lab = np.arange(roots.size, dtype=np.int64)  # roots are sorted, so a smaller id = earlier root
    while True:
        m = np.minimum(lab[lu], lab[lv])
        before = lab.copy()
        np.minimum.at(lab, lu, m)
        np.minimum.at(lab, lv, m)
        while True:  # pointer jumping
            nxt = lab[lab]
            if np.array_equal(nxt, lab):
                break
            lab = nxt
        if np.array_equal(lab, before):
            break
    new_root = roots[lab]
    changed = new_root != roots
    if changed.any():
        # relabel every document whose root changed
        mapping_from, mapping_to = roots[changed], new_root[changed]
        pos = np.searchsorted(mapping_from, labels)
        pos = np.minimum(pos, mapping_from.size - 1)
        hit = mapping_from[pos] == labels
        labels[hit] = mapping_to[pos[hit]]


def _bucket_pairs(keys: np.ndarray, neighbours: int) -> tuple[np.ndarray, np.ndarray]:
    """Candidate pairs (earlier, later) from one band's keys (positions = indices)."""
    order = np.argsort(keys, kind="stable")
    ks = keys[order]
    same = ks[1:] == ks[:-1]
    if not same.any():
        return np.empty(0, np.int64), np.empty(0, np.int64)
    n = ks.size
    is_first = np.ones(n, dtype=bool)
    is_first[1:] = ~same
    first_idx = np.maximum.accumulate(np.where(is_first, np.arange(n), 0))
    members = np.flatnonzero(~is_first)
    us = [order[first_idx[members]]]
    vs = [order[members]]
    for k in range(1, neighbours + 1):
        # predecessor at distance k inside the same bucket (k = 1 already covered when it is the first)
        idx = members[(members - k > first_idx[members])]
        if idx.size == 0:
            break
        us.append(order[idx - k])
        vs.append(order[idx])
    return np.concatenate(us).astype(np.int64), np.concatenate(vs).astype(np.int64)


class NearDuplicateIndex:
    """Near-duplicate clustering of MinHash signatures with a disk-backed LSH band index.

    ``add(row_ids, signatures)`` in input order, then ``duplicates()`` → ``{removed_row: kept_row}``
    where the kept row is the earliest added row of its cluster. ``workdir`` holds the band files
    (a temporary folder, deleted by :meth:`close`, when ``None``).
    """

    def __init__(self, num_perm: int = 128, threshold: float = 0.8, workdir: Path | None = None,
                 bands: int | None = None, rows: int | None = None, *, verify: bool = True,
                 linkage: str = "single", neighbours: int = 2, seed: int = 1,
                 max_sort_rows: int = 8_000_000):
        if linkage not in LINKAGES:
            raise InputError(f"linkage 必须是 {LINKAGES} 之一，收到 {linkage!r}",
                             f"linkage must be one of {LINKAGES}, got {linkage!r}", field="linkage")
        self.linkage = linkage
        if not 0.0 < threshold <= 1.0:
            raise InputError(f"阈值必须在 (0, 1] 之间，收到 {threshold}",
                             f"threshold must be in (0, 1], got {threshold}", field="threshold")
        if num_perm < 1:
            raise InputError("num_perm 必须 ≥ 1", "num_perm must be >= 1", field="num_perm")
        if (bands is None) != (rows is None):
            if bands is None:
                bands = num_perm // rows
            else:
                rows = num_perm // bands
        if bands is None:
            # Verified candidates cost only a check, a missed pair is lost for good: favour recall.
            weights = (0.05, 0.95) if verify else (0.5, 0.5)
            bands, rows = optimal_bands_rows(float(threshold), int(num_perm), *weights)
        if bands < 1 or rows < 1 or bands * rows > num_perm:
            raise InputError(f"bands×rows = {bands}×{rows} 超过 num_perm = {num_perm}",
                             f"bands×rows = {bands}×{rows} exceeds num_perm = {num_perm}", field="bands")
        self.num_perm, self.threshold = int(num_perm), float(threshold)
        self.bands, self.rows = int(bands), int(rows)
        self.verify, self.neighbours, self.seed = bool(verify), int(neighbours), int(seed)
        self.max_sort_rows = max(1, int(max_sort_rows))
        self._own_dir = workdir is None
        self.workdir = Path(tempfile.mkdtemp(prefix="moli-dedup-")) if workdir is None else Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        stale = list(self.workdir.glob("band_*.u64")) + list(self.workdir.glob("part_*.u64i64"))
        for p in stale + [self.workdir / f for f in _FILES]:
            p.unlink(missing_ok=True)  # a fresh index: never mix with a previous run's files
        self._n = 0
        self._fp_total = 0
        self._sig_dtype: np.dtype | None = None
        self._exact: bool | None = None  # True while every add() brought fingerprints
        self._cache: dict[int, int] | None = None
        self.stats: dict[str, int] = {}
        self._commit()

    # -- persistence ----------------------------------------------------------------------------
    def _commit(self) -> None:
        """Write ``meta.json`` atomically: the sizes it records are the index's committed state."""
        meta = {"version": _META_VERSION, "num_perm": self.num_perm, "threshold": self.threshold,
                "bands": self.bands, "rows": self.rows, "verify": self.verify, "linkage": self.linkage,
                "neighbours": self.neighbours, "seed": self.seed, "max_sort_rows": self.max_sort_rows,
                "n": self._n, "fp_total": self._fp_total, "exact": self._exact,
                "sig_dtype": None if self._sig_dtype is None else self._sig_dtype.name}
        tmp = self.workdir / "meta.json.tmp"
        tmp.write_text(json.dumps(meta), encoding="utf-8")
        os.replace(tmp, self.workdir / "meta.json")

    @classmethod
    def open(cls, workdir: Path) -> NearDuplicateIndex:
        """Reopen an index kept in ``workdir`` (e.g. to de-duplicate a new dataset against an existing
        corpus: its documents were added first, so they are the ones kept). Files longer than the
        committed state (a crash in the middle of ``add``) are cut back to it."""
        workdir = Path(workdir)
        try:
            meta = json.loads((workdir / "meta.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"{workdir} 不是去重索引目录（meta.json 无法读取：{exc}）",
                             f"{workdir} is not a dedup index folder (cannot read meta.json: {exc})",
                             field="workdir") from exc
        if meta.get("version") != _META_VERSION:
            raise InputError(f"索引版本 {meta.get('version')} 不受支持", f"unsupported index version "
                             f"{meta.get('version')}", field="workdir")
        self = cls.__new__(cls)
        for key in ("num_perm", "threshold", "bands", "rows", "verify", "linkage", "neighbours", "seed",
                    "max_sort_rows"):
            setattr(self, key, meta[key])
        self._own_dir, self.workdir = False, workdir
        self._n, self._fp_total, self._exact = meta["n"], meta["fp_total"], meta["exact"]
        self._sig_dtype = None if meta["sig_dtype"] is None else np.dtype(meta["sig_dtype"])
        self._cache, self.stats = None, {}
        sizes = {f"band_{j:03d}.u64": self._n * 8 for j in range(self.bands)}
        sizes["row_ids.i64"] = self._n * 8
        if self.verify and self._sig_dtype is not None:
            sizes["signatures.u32"] = self._n * self.num_perm * self._sig_dtype.itemsize
            if self._exact:
                sizes["fingerprint_counts.i64"] = self._n * 8
                sizes["fingerprints.u32"] = self._fp_total * 4
        for name, size in sizes.items():
            path = workdir / name
            have = path.stat().st_size if path.exists() else 0
            if have < size:
                raise InputError(f"索引文件 {name} 不完整（{have} < {size} 字节）",
                                 f"index file {name} is incomplete ({have} < {size} bytes)", field="workdir")
            if have > size:
                os.truncate(path, size)  # drop a half-written batch
        return self

    # -- building -------------------------------------------------------------------------------
    def __len__(self) -> int:
        return self._n

    def add(self, row_ids: np.ndarray, signatures: np.ndarray,
            fingerprints: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        """Append a batch (in input order): ``row_ids`` int64 (n,), ``signatures`` unsigned (n, num_perm).

        ``fingerprints`` = ``(values, offsets)`` from :func:`moli.corpus.minhash.signatures_and_fingerprints`
        (optional): when every batch brings them, candidates are verified by exact Jaccard similarity.
        """
        sig = np.asarray(signatures)
        ids = np.asarray(row_ids)
        if sig.ndim != 2 or sig.shape[1] != self.num_perm:
            raise InputError(f"签名的形状应为 (n, {self.num_perm})，收到 {sig.shape}",
                             f"signatures must have shape (n, {self.num_perm}), got {sig.shape}",
                             field="signatures")
        if sig.dtype.kind != "u":
            raise InputError(f"签名必须是无符号整数，收到 {sig.dtype}",
                             f"signatures must be unsigned integers, got {sig.dtype}", field="signatures")
        if ids.shape != (sig.shape[0],) or ids.dtype.kind not in "iu":
            raise InputError(f"row_ids 必须是长度为 {sig.shape[0]} 的整数数组，收到 {ids.dtype}{ids.shape}",
                             f"row_ids must be an integer array of length {sig.shape[0]}, got {ids.dtype}{ids.shape}",
                             field="row_ids")
        if self._sig_dtype is None:
            self._sig_dtype = np.dtype(np.uint64) if sig.dtype.itemsize > 4 else np.dtype(np.uint32)
        if sig.shape[0] == 0:
            return
        keys = band_keys(sig, self.bands, self.rows, self.seed)
        for j in range(self.bands):
            with open(self.workdir / f"band_{j:03d}.u64", "ab") as fh:
                np.ascontiguousarray(keys[:, j]).tofile(fh)
        if self.verify:
            with open(self.workdir / "signatures.u32", "ab") as fh:
                np.ascontiguousarray(sig, dtype=self._sig_dtype).tofile(fh)
            has_fp = fingerprints is not None
            self._exact = has_fp if self._exact is None else (self._exact and has_fp)
            if has_fp and self._exact:
                values, offsets = (np.asarray(a) for a in fingerprints)
                if offsets.shape != (sig.shape[0] + 1,) or int(offsets[-1]) != values.size:
                    raise InputError("fingerprints 的 offsets 与签名行数不符",
                                     "fingerprints offsets do not match the signature rows", field="fingerprints")
                with open(self.workdir / "fingerprints.u32", "ab") as fh:
                    np.ascontiguousarray(values, dtype=np.uint32).tofile(fh)
                with open(self.workdir / "fingerprint_counts.i64", "ab") as fh:
                    np.diff(offsets).astype(np.int64).tofile(fh)
                self._fp_total += int(values.size)
        with open(self.workdir / "row_ids.i64", "ab") as fh:
            ids.astype(np.int64).tofile(fh)
        self._n += sig.shape[0]
        self._cache = None
        self._commit()

    # -- clustering -----------------------------------------------------------------------------
    def _estimate_ok(self, u: np.ndarray, v: np.ndarray, sigs: _RowFile, need: int) -> np.ndarray:
        keep = np.empty(u.size, dtype=bool)
        step = 4096  # pairs per chunk: ≤ 8,192 signature rows (4 MB) in memory
        for s in range(0, u.size, step):
            rows, inv = np.unique(np.concatenate([u[s:s + step], v[s:s + step]]), return_inverse=True)
            block = sigs.rows(rows)
            m = min(step, u.size - s)
            keep[s:s + m] = (block[inv[:m]] == block[inv[m:]]).sum(axis=1) >= need
        return keep

    def _exact_ok(self, u: np.ndarray, v: np.ndarray, fps: _RowFile, starts: np.ndarray,
                  counts: np.ndarray) -> np.ndarray:
        """Exact Jaccard ≥ threshold from the fingerprint sets, vectorised over a chunk of pairs:
        tag each value with its pair number, sort, and count values present on both sides."""
        keep = np.empty(u.size, dtype=bool)
        s = 0
        while s < u.size:
            tot = np.cumsum(counts[u[s:]] + counts[v[s:]])  # as many pairs as fit in ~2 M values
            e = s + max(1, int(np.searchsorted(tot, 1 << 21)))
            pu, pv = u[s:e], v[s:e]
            docs, inv = np.unique(np.concatenate([pu, pv]), return_inverse=True)
            values, local_starts = fps.ranges(starts[docs], counts[docs])
            tags = []
            for side in (inv[:pu.size], inv[pu.size:]):
                c = counts[docs[side]]
                pair = np.repeat(np.arange(side.size, dtype=np.uint64), c)
                within = np.arange(int(c.sum()), dtype=np.int64) - np.repeat(np.cumsum(c) - c, c)
                vals = values[np.repeat(local_starts[side], c) + within].astype(np.uint64)
                tags.append((pair << np.uint64(32)) | vals)
            allv = np.sort(np.concatenate(tags))
            dup = allv[1:] == allv[:-1]
            inter = np.bincount((allv[1:][dup] >> np.uint64(32)).astype(np.int64), minlength=pu.size)
            union = counts[pu] + counts[pv] - inter
            keep[s:e] = inter >= self.threshold * union - 1e-9
            s = e
        return keep

    def _verified(self, u: np.ndarray, v: np.ndarray, ctx: dict) -> np.ndarray:
        k = self.num_perm
        if not ctx["exact"]:
            return self._estimate_ok(u, v, ctx["sigs"], int(np.ceil(self.threshold * k - 1e-9)))
        # cheap pre-filter: a pair whose estimate is far below the threshold cannot be a duplicate
        # (4 standard deviations of the estimate + one position), then the exact check
        t = self.threshold
        margin = 4.0 * np.sqrt(t * (1.0 - t) / k) + 1.0 / k
        ok = self._estimate_ok(u, v, ctx["sigs"], int(np.ceil(max(0.0, t - margin) * k - 1e-9)))
        idx = np.flatnonzero(ok)
        self.stats["exact_checked_pairs"] = self.stats.get("exact_checked_pairs", 0) + int(idx.size)
        if idx.size:
            ok[idx] = self._exact_ok(u[idx], v[idx], ctx["fps"], ctx["starts"], ctx["counts"])
        return ok

    def cluster_labels(self) -> np.ndarray:
        """``labels[i]`` = position (0-based, input order) of the kept document of document i's cluster."""
        n = self._n
        labels = np.arange(n, dtype=np.int64)
        self.stats = {"bands": self.bands, "rows": self.rows, "candidate_pairs": 0, "checked_pairs": 0,
                      "verified_pairs": 0, "verification": "none"}
        if n == 0:
            return labels
        ctx: dict = {"exact": False}
        handles: list[_RowFile] = []
        if self.verify:
            sigs = _RowFile(self.workdir / "signatures.u32", self._sig_dtype, self.num_perm)
            handles.append(sigs)
            ctx["sigs"] = sigs
            self.stats["verification"] = "estimate"
            if self._exact:
                counts = np.fromfile(self.workdir / "fingerprint_counts.i64", dtype=np.int64)
                starts = np.zeros(n, dtype=np.int64)
                np.cumsum(counts[:-1], out=starts[1:])
                fps = _RowFile(self.workdir / "fingerprints.u32", np.dtype(np.uint32), 1)
                handles.append(fps)
                ctx.update(exact=True, fps=fps, starts=starts, counts=counts)
                self.stats["verification"] = "exact"
        try:
            if self.linkage == "leader":
                return self._leader_labels(n, ctx)
            for j in range(self.bands):
                u, v = self._band_pairs(j, self.neighbours if self.verify else 0)
                self.stats["candidate_pairs"] += int(u.size)
                if u.size and self.verify:
                    fresh = labels[u] != labels[v]
                    u, v = u[fresh], v[fresh]
                    self.stats["checked_pairs"] += int(u.size)
                    ok = self._verified(u, v, ctx)
                    u, v = u[ok], v[ok]
                    self.stats["verified_pairs"] += int(u.size)
                _merge(labels, u, v)
        finally:
            ctx.clear()
            for h in handles:
                h.close()
        return labels

    def _band_file(self, j: int) -> Path:
        path = self.workdir / f"band_{j:03d}.u64"
        size = path.stat().st_size // 8 if path.exists() else 0
        if size != self._n:
            raise InputError(f"分带索引文件 {path.name} 不完整（{size} ≠ {self._n}）",
                             f"band index file {path.name} is incomplete ({size} != {self._n})", field="workdir")
        return path

    def _band_pairs(self, j: int, neighbours: int) -> tuple[np.ndarray, np.ndarray]:
        """Candidate pairs of band ``j``. Up to ``max_sort_rows`` documents the band's keys are sorted
        in memory; beyond, they are first scattered by their top bits into partition files of at
        most ≈ ``max_sort_rows`` (key, position) rows (equal keys share a partition), and each
        partition is sorted on its own — memory stays bounded however many documents there are."""
        path = self._band_file(j)
        n = self._n
        if n <= self.max_sort_rows:
            return _bucket_pairs(np.fromfile(path, dtype=np.uint64), neighbours)
        bits = int(np.ceil(np.log2(2 * n / self.max_sort_rows)))  # ≈ half-full partitions on average
        parts = [self.workdir / f"part_{j:03d}_{p:05d}.u64i64" for p in range(1 << bits)]
        shift = np.uint64(64 - bits)
        with open(path, "rb") as fh:
            for start in range(0, n, self.max_sort_rows):
                keys = np.fromfile(fh, dtype=np.uint64, count=min(self.max_sort_rows, n - start))
                pid = (keys >> shift).astype(np.int64)
                order = np.argsort(pid, kind="stable")  # positions stay ascending inside a partition
                bounds = np.searchsorted(pid[order], np.arange((1 << bits) + 1))
                rec = np.empty(keys.size, dtype=[("k", "<u8"), ("p", "<i8")])
                rec["k"], rec["p"] = keys[order], order + start
                for p in np.flatnonzero(np.diff(bounds)):
                    with open(parts[p], "ab") as out:
                        rec[bounds[p]:bounds[p + 1]].tofile(out)
        us, vs = [], []
        for part in parts:
            if not part.exists():
                continue
            rec = np.fromfile(part, dtype=[("k", "<u8"), ("p", "<i8")])
            part.unlink()
            u, v = _bucket_pairs(np.ascontiguousarray(rec["k"]), neighbours)
            pos = np.ascontiguousarray(rec["p"])
            us.append(pos[u])
            vs.append(pos[v])
        if not us:
            return np.empty(0, np.int64), np.empty(0, np.int64)
        return np.concatenate(us), np.concatenate(vs)

    def _leader_labels(self, n: int, ctx: dict) -> np.ndarray:
        """Leader clustering: in input order, a document joins the earliest *kept* document it is a
        verified near-duplicate of, else it is kept. Every removed document is then similar
        (≥ threshold) to the document it points at — no chains A≈B≈C with A and C far apart."""
        codes = np.empty(0, dtype=np.int64)
        for j in range(self.bands):  # distinct candidate pairs over all bands, as u·n + v
            u, v = self._band_pairs(j, self.neighbours)
            self.stats["candidate_pairs"] += int(u.size)
            codes = np.unique(np.concatenate([codes, u * n + v]))
        u, v = codes // n, codes % n
        del codes
        if self.verify and u.size:
            self.stats["checked_pairs"] += int(u.size)
            ok = self._verified(u, v, ctx)
            u, v = u[ok], v[ok]
            self.stats["verified_pairs"] += int(u.size)
        labels = np.arange(n, dtype=np.int64)
        if u.size == 0:
            return labels
        order = np.lexsort((u, v))  # by later document, then earlier
        u, v = u[order], v[order]
        kept = np.ones(n, dtype=bool)
        later, first = np.unique(v, return_index=True)
        ends = np.append(first[1:], v.size)
        for d, s, e in zip(later.tolist(), first.tolist(), ends.tolist(), strict=True):
            earlier = u[s:e]
            leaders = earlier[kept[earlier]]
            if leaders.size:
                labels[d] = leaders[0]  # sorted: the earliest kept neighbour
                kept[d] = False
        return labels

    def row_ids(self) -> np.ndarray:
        """All row ids, in the order they were added."""
        path = self.workdir / "row_ids.i64"
        return np.fromfile(path, dtype=np.int64, count=self._n) if self._n else np.empty(0, np.int64)

    def duplicate_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """``(removed_row_ids, kept_row_ids)`` as int64 arrays, in input order of the removed rows."""
        labels = self.cluster_labels()
        ids = self.row_ids()
        if np.unique(ids).size != ids.size:
            raise InputError("row_ids 中有重复的编号", "row_ids contain duplicate ids", field="row_ids")
        removed = np.flatnonzero(labels != np.arange(labels.size))
        return ids[removed], ids[labels[removed]]

    def duplicates(self) -> dict[int, int]:
        """``{removed_row_id: kept_row_id}``; the kept row is the earliest added row of its cluster."""
        if self._cache is None:
            rem, kept = self.duplicate_arrays()
            self._cache = dict(zip(rem.tolist(), kept.tolist(), strict=True))
        return dict(self._cache)

    # -- lifetime -------------------------------------------------------------------------------
    def close(self) -> None:
        if self._own_dir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> NearDuplicateIndex:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
