"""Clustering 1 M MinHash signatures with the disk-backed LSH index: time and peak memory.

Run: ``.venv/bin/python benchmarks/bench_dedup_cluster.py [--quick] [--n N]``

Random uint32 signatures (128 values) with planted near-duplicates: 10 % of the rows copy an earlier
row and change 0–12 of its 128 values (estimated Jaccard ≥ 0.9), some of them copying a copy (chains).
Configurations: verify + single linkage (default), verify + leader linkage, no verification.
Each configuration runs in a fresh subprocess that generates the signatures in chunks of 50,000, adds
them to ``NearDuplicateIndex`` and clusters; the child reports wall time of ``add`` (band hashing and
writing the band files) and of ``duplicates()`` (sort, verify, union-find), and its peak RSS from
``resource.getrusage`` — so the figure includes numpy, the generator and everything else the process
holds. Target: clustering 1 M signatures ≤ 60 s and ≤ 1 GB on one core.
With ``--datasketch`` it also runs datasketch's in-memory ``MinHashLSH`` on the first 100,000 rows
(insert + query per row) in its own subprocess for comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

CHILD = r"""
import json, resource, sys, time
import numpy as np
from moli.corpus.dedup import NearDuplicateIndex

n, verify, workdir, linkage = int(sys.argv[1]), sys.argv[2] == "1", sys.argv[3], sys.argv[4]
CH, K = 50_000, 128
rng = np.random.default_rng(20261130)
pool = None        # the rows that copies are drawn from (a random sample of earlier rows)
pool_pos = None
planted = {}       # position -> source position
t_add = 0.0
idx = NearDuplicateIndex(K, 0.8, workdir, verify=verify, linkage=linkage)
for s in range(0, n, CH):
    m = min(CH, n - s)
    sig = rng.integers(0, 2**32, size=(m, K), dtype=np.uint64).astype(np.uint32)
    if pool is not None:
        which = np.flatnonzero(rng.random(m) < 0.10)
        src = rng.integers(0, pool.shape[0], size=which.size)
        sig[which] = pool[src]
        for w, sp in zip(which.tolist(), pool_pos[src].tolist()):
            planted[s + w] = sp
        changed = rng.integers(0, 13, size=which.size)
        for w, c in zip(which.tolist(), changed.tolist()):
            cols = rng.choice(K, size=c, replace=False)
            sig[w, cols] = rng.integers(0, 2**32, size=c, dtype=np.uint64).astype(np.uint32)
    pick = rng.choice(m, size=min(m, 5_000), replace=False)
    pool = sig[pick].copy() if pool is None else np.concatenate([pool, sig[pick]])[-20_000:]
    pool_pos = (s + pick) if pool_pos is None else np.concatenate([pool_pos, s + pick])[-20_000:]
    t0 = time.perf_counter()
    idx.add(np.arange(s, s + m, dtype=np.int64), sig)
    t_add += time.perf_counter() - t0
    del sig
t0, c0 = time.perf_counter(), time.process_time()
removed, kept = idx.duplicate_arrays()
t_cluster, c_cluster = time.perf_counter() - t0, time.process_time() - c0
found = set(removed.tolist())
recall = sum(1 for p in planted if p in found) / max(1, len(planted))
# every removed row must be explained: it is a planted copy, or a row that a planted copy points at
explained = set(planted) | set(planted.values())
unexplained = sum(1 for r in found if r not in explained)
print(json.dumps({
    "n": n, "verify": verify, "linkage": linkage, "bands": idx.bands, "rows": idx.rows,
    "add_seconds": round(t_add, 2), "cluster_seconds": round(t_cluster, 2),
    "total_seconds": round(t_add + t_cluster, 2), "cluster_cpu_seconds": round(c_cluster, 2),
    "process_cpu_seconds": round(time.process_time(), 2),
    "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    "planted_copies": len(planted), "removed": int(removed.size), "planted_recall": round(recall, 4),
    "unexplained_removals": unexplained, "stats": idx.stats,
}))
"""

DATASKETCH_CHILD = r"""
import json, resource, sys, time
import numpy as np
from datasketch import MinHashLSH, LeanMinHash
n = int(sys.argv[1])
rng = np.random.default_rng(20261130)
sig = rng.integers(0, 2**32, size=(n, 128), dtype=np.uint64)
copies = np.flatnonzero(rng.random(n) < 0.10)
copies = copies[copies > 0]
sig[copies] = sig[rng.integers(0, copies, size=copies.size)]
t0 = time.perf_counter()
lsh = MinHashLSH(threshold=0.8, num_perm=128)
mhs = [LeanMinHash(seed=1, hashvalues=sig[i], scheme="affine32") for i in range(n)]
for i, m in enumerate(mhs):
    lsh.insert(i, m)
pairs = 0
for i, m in enumerate(mhs):
    pairs += len(lsh.query(m)) - 1
dt = time.perf_counter() - t0
print(json.dumps({"n": n, "seconds": round(dt, 2), "candidate_pairs": pairs,
                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))
"""


def run_child(code: str, *args: str) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env,
                         check=True)
    return json.loads(out.stdout)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="100,000 signatures instead of 1,000,000")
    ap.add_argument("--n", type=int, default=None)
    ap.add_argument("--datasketch", action="store_true", help="also time datasketch MinHashLSH on 100 k rows")
    args = ap.parse_args()
    n = args.n or (100_000 if args.quick else 1_000_000)
    result: dict = {"benchmark": "dedup_cluster", "n": n, "num_perm": 128, "threshold": 0.8,
                    "targets": {"seconds_max": 60, "peak_rss_mb_max": 1024, "at_n": 1_000_000}}
    runs = {}
    for name, verify, linkage in (("verify", "1", "single"), ("verify_leader", "1", "leader"),
                                  ("no_verify", "0", "single")):
        with tempfile.TemporaryDirectory(prefix="moli-bench-cluster-") as tmp:
            runs[name] = run_child(CHILD, str(n), verify, tmp, linkage)
    result["ours"] = runs
    result["targets_met"] = {
        "seconds": all(r["total_seconds"] <= 60 for r in runs.values()),
        "memory": all(r["peak_rss_mb"] <= 1024 for r in runs.values()),
        "full_size": n >= 1_000_000,
    }
    if args.datasketch:
        m = min(n, 100_000)
        ds = run_child(DATASKETCH_CHILD, str(m))
        result["datasketch_MinHashLSH"] = ds
    print(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
