"""Near-duplicate quality on a labelled set built from ../shared/data/gov_docs: moli vs datasketch.

Run: ``.venv/bin/python benchmarks/bench_dedup_quality.py [--quick] [--seed 2026]``

The set (deterministic for a seed):
- *originals*: up to two segments of 350–1,000 characters (≈ 1–3 KB) from far-apart places of every
  law, regulation and government report (laws present in two versions give natural near-duplicates);
- *edited copies*: 0–3 per original, each made by one or more of: character edits (typos,
  insertions, deletions), inserted sentences from another document, deleted sentences, reordered
  sentences/paragraphs, a changed header (title line and dates), a truncated or extended end;
  the strength is drawn so that similarities spread over ≈ 0.4–1.0;
- every document (original or copy) is placed at a random position of the input.

Labels: the exact Jaccard similarity of the character 5-gram sets of *every* pair (sparse
matrix product), a pair is a duplicate iff J ≥ 0.8. Predictions: two documents are predicted
duplicates iff they end in the same cluster (pairs inside every cluster). Also reported: the
document-level view (a document is redundant iff an earlier one has J ≥ 0.8 with it; removed iff
the index removes it). datasketch's ``MinHashLSH(threshold=0.8, num_perm=128)`` runs on datasketch
``MinHash`` signatures of the same shingles; its query results are the candidate pairs and a
union-find over them gives its clusters.

Variants (``VARIANTS``): ``*_exact`` = signatures + fingerprints, candidates verified by exact
Jaccard; ``*_estimate`` = signatures only, verified by the signature estimate; ``single`` =
union-find (transitive) clusters, ``leader`` = each document joins the earliest kept document it is
similar to; ``moli_no_verify`` = raw LSH buckets with datasketch's bands; ``perm`` = classic
k-permutation signatures. Several seeds (``--seeds``): the figures are per seed and averaged.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import sys
import time
from collections import defaultdict

import numpy as np
import scipy.sparse as sp

from moli.core.paths import shared_dir
from moli.corpus.dedup import NearDuplicateIndex, minhash_signatures, signatures_and_fingerprints
from moli.text.shingles import shingle_set

NGRAM, NUM_PERM, THRESHOLD = 5, 128, 0.8
SENT = re.compile(r"(?<=[。！？；\n])")


def load_sources() -> list[str]:
    texts = []
    for name in ("laws_regulations.jsonl.gz", "gov_reports.jsonl.gz"):
        with gzip.open(shared_dir() / "data" / "gov_docs" / name, "rt", encoding="utf-8") as fh:
            for line in fh:
                t = json.loads(line)["text"].split("<!-- INFO END -->")[-1].strip()
                if len(t) >= 800:
                    texts.append(t)
    return texts


def sentences(t: str) -> list[str]:
    return [s for s in SENT.split(t) if s]


def make_copy(orig: str, donor: str, strength: float, rng: random.Random) -> tuple[str, list[str]]:
    """An edited copy of ``orig``; ``strength`` in [0, 1] scales how much is changed."""
    kinds = rng.sample(["chars", "insert", "delete", "reorder", "header", "ends"], k=rng.choice([1, 1, 2, 3]))
    sents = sentences(orig)
    donor_s = sentences(donor) or [donor[:50]]
    for kind in kinds:
        if kind == "chars":
            chars = list("".join(sents))
            for _ in range(int(len(chars) * 0.12 * strength)):
                p = rng.randrange(len(chars))
                op = rng.random()
                if op < 0.4:
                    chars[p] = chr(0x4E00 + rng.randrange(20000))
                elif op < 0.7:
                    del chars[p]
                else:
                    chars.insert(p, rng.choice("的了和在是，。、"))
            sents = sentences("".join(chars)) or ["".join(chars)]
        elif kind == "insert":
            for _ in range(max(1, int(len(sents) * 0.5 * strength))):
                sents.insert(rng.randrange(len(sents) + 1), rng.choice(donor_s))
        elif kind == "delete" and len(sents) > 2:
            for _ in range(int(len(sents) * 0.5 * strength)):
                if len(sents) > 2:
                    del sents[rng.randrange(len(sents))]
        elif kind == "reorder" and len(sents) > 2:
            for _ in range(max(1, int(len(sents) * strength))):
                i, j = rng.randrange(len(sents)), rng.randrange(len(sents))
                sents[i], sents[j] = sents[j], sents[i]
        elif kind == "header":
            head = rng.choice(["关于印发《实施方案》的通知\n", "（2024年修订）\n", "浦东新区人民政府办公室文件\n",
                               f"第{rng.randint(1, 99)}号\n", "附件1\n"])
            body = re.sub(r"\d{4}年", lambda _m: f"{rng.randint(1990, 2025)}年", "".join(sents))
            if strength > 0.5 and "\n" in body:
                body = body.split("\n", 1)[1]
            sents = sentences(head + body)
        elif kind == "ends":
            text = "".join(sents)
            cut = int(len(text) * 0.4 * strength)
            text = text[:len(text) - cut] if rng.random() < 0.5 else text + "".join(donor_s[:max(1, cut // 40)])
            sents = sentences(text) or [text]
    return "".join(sents), kinds


def build_set(seed: int, max_sources: int | None) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    sources = load_sources()
    rng.shuffle(sources)
    if max_sources:
        sources = sources[:max_sources]
    docs, kinds = [], []
    originals = []
    for t in sources:
        half = len(t) // 2
        for lo, hi in ((0, half), (half, len(t))):
            size = rng.randint(350, 1000)
            if hi - lo < size + 10:
                continue
            start = rng.randrange(lo, hi - size)
            originals.append(t[start:start + size])
    for o in originals:
        docs.append(o)
        kinds.append("original")
        for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
            strength = rng.random() ** 1.5
            copy, k = make_copy(o, rng.choice(originals), strength, rng)
            docs.append(copy)
            kinds.append("+".join(k))
    order = list(range(len(docs)))
    rng.shuffle(order)
    return [docs[i] for i in order], [kinds[i] for i in order]


def exact_pairs(docs: list[str]) -> dict[tuple[int, int], float]:
    """Exact Jaccard for every pair sharing at least one shingle (sparse X·Xᵀ)."""
    vocab: dict[str, int] = {}
    indptr, indices = [0], []
    for d in docs:
        ids = [vocab.setdefault(s, len(vocab)) for s in shingle_set(d, NGRAM)]
        indices.extend(ids)
        indptr.append(len(indices))
    x = sp.csr_matrix((np.ones(len(indices), dtype=np.int32), indices, indptr), shape=(len(docs), len(vocab)))
    sizes = np.diff(x.indptr)
    inter = sp.triu(x @ x.T, k=1).tocoo()
    j = inter.data / (sizes[inter.row] + sizes[inter.col] - inter.data)
    return {(int(a), int(b)): float(v) for a, b, v in zip(inter.row, inter.col, j, strict=True)}


def cluster_pairs(n: int, edges) -> set[tuple[int, int]]:
    parent = list(range(n))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups = defaultdict(list)
    for i in range(n):
        groups[find(i)].append(i)
    return {(g[a], g[b]) for g in groups.values() for a in range(len(g)) for b in range(a + 1, len(g))}


def pr(pred: set, truth: set) -> dict:
    tp = len(pred & truth)
    p = tp / len(pred) if pred else 1.0
    r = tp / len(truth) if truth else 1.0
    return {"predicted": len(pred), "true_positive": tp, "precision": round(p, 4), "recall": round(r, 4),
            "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0}


def doc_level(n: int, removed: set[int], truth: set) -> dict:
    redundant = {b for a, b in truth}  # pairs are (earlier, later)
    tp = len(removed & redundant)
    return {"removed": len(removed), "redundant": len(redundant),
            "precision": round(tp / len(removed), 4) if removed else 1.0,
            "recall": round(tp / len(redundant), 4) if redundant else 1.0}


def run_moli(docs, truth, jac, scheme="oph", verify=True, exact=True, linkage="single"):
    t0 = time.perf_counter()
    if exact:
        sig, (vals, offs) = signatures_and_fingerprints(docs, num_perm=NUM_PERM, ngram=NGRAM, scheme=scheme)
    else:
        sig = minhash_signatures(docs, num_perm=NUM_PERM, ngram=NGRAM, scheme=scheme)
    with NearDuplicateIndex(NUM_PERM, THRESHOLD, verify=verify, linkage=linkage) as idx:
        for s in range(0, len(docs), 256):
            e = min(s + 256, len(docs))
            fps = (vals[offs[s]:offs[e]], offs[s:e + 1] - offs[s]) if exact else None
            idx.add(np.arange(s, e), sig[s:e], fps)
        dups = idx.duplicates()
        bands_rows = (idx.bands, idx.rows)
        verification = idx.stats["verification"]
    dt = time.perf_counter() - t0
    pred = cluster_pairs(len(docs), dups.items())
    out = {"verification": verification, "bands_rows": bands_rows, "seconds": round(dt, 3), "pairs": pr(pred, truth),
           "documents": doc_level(len(docs), set(dups), truth)}
    fp = sorted(pred - truth)
    out["false_positive_jaccard"] = {"count": len(fp), "min": round(min((jac.get(p, 0.0) for p in fp), default=1), 3),
                                     "median": round(float(np.median([jac.get(p, 0.0) for p in fp])), 3) if fp else None}
    fn = sorted(truth - pred)
    out["false_negative_jaccard_median"] = round(float(np.median([jac[p] for p in fn])), 3) if fn else None
    return out


def run_datasketch(docs, truth):
    from datasketch import MinHash, MinHashLSH

    t0 = time.perf_counter()
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    mhs = []
    for i, d in enumerate(docs):
        m = MinHash(num_perm=NUM_PERM, seed=1)
        m.update_batch([s.encode("utf-8") for s in shingle_set(d, NGRAM)])
        lsh.insert(i, m)
        mhs.append(m)
    cand = set()
    for i, m in enumerate(mhs):
        for j in lsh.query(m):
            if j != i:
                cand.add((min(i, j), max(i, j)))
    dt = time.perf_counter() - t0
    pred = cluster_pairs(len(docs), cand)
    removed = {b for a, b in pred}
    return {"bands_rows": [lsh.b, lsh.r], "seconds": round(dt, 3), "candidate_pairs": pr(cand, truth),
            "pairs": pr(pred, truth), "documents": doc_level(len(docs), removed, truth)}


VARIANTS = {
    # name: (run_moli keyword arguments) — None = datasketch
    "moli_leader_exact": {"linkage": "leader"},
    "moli_single_exact": {},
    "moli_leader_estimate": {"exact": False, "linkage": "leader"},
    "moli_single_estimate": {"exact": False},
    "moli_no_verify": {"verify": False, "exact": False},
    "moli_perm_scheme_leader_exact": {"scheme": "perm", "linkage": "leader"},
    "datasketch_MinHashLSH": None,
}


def one_seed(seed: int, quick: bool) -> dict:
    docs, kinds = build_set(seed, 80 if quick else None)
    t0 = time.perf_counter()
    jac = exact_pairs(docs)
    label_seconds = time.perf_counter() - t0
    truth = {p for p, v in jac.items() if v >= THRESHOLD}
    hist = np.histogram([v for v in jac.values() if v >= 0.3], bins=[0.3, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 1.01])
    out = {"set": {"seed": seed, "documents": len(docs), "originals": kinds.count("original"),
                   "edited_copies": len(docs) - kinds.count("original"),
                   "pairs_total": len(docs) * (len(docs) - 1) // 2, "duplicate_pairs_J_ge_0.8": len(truth),
                   "pairs_by_exact_jaccard": {f"{lo:.2f}-{hi:.2f}": int(c) for lo, hi, c in
                                              zip(hist[1][:-1], hist[1][1:], hist[0], strict=True)},
                   "labelling_seconds": round(label_seconds, 2)}}
    for name, kw in VARIANTS.items():
        out[name] = run_datasketch(docs, truth) if kw is None else run_moli(docs, truth, jac, **kw)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description="near-duplicate quality: moli vs datasketch")
    ap.add_argument("--quick", action="store_true", help="one seed, 80 source documents instead of all")
    ap.add_argument("--seeds", default="2026,7,11", help="comma-separated seeds of the labelled sets")
    args = ap.parse_args()
    seeds = [int(x) for x in args.seeds.split(",")][:1 if args.quick else None]
    runs = [one_seed(s, args.quick) for s in seeds]
    summary = {}
    for name in VARIANTS:
        pp = [r[name]["pairs"] for r in runs]
        dd = [r[name]["documents"] for r in runs]
        summary[name] = {
            "pair_precision": [p["precision"] for p in pp], "pair_recall": [p["recall"] for p in pp],
            "pair_precision_mean": round(float(np.mean([p["precision"] for p in pp])), 4),
            "pair_recall_mean": round(float(np.mean([p["recall"] for p in pp])), 4),
            "doc_precision_mean": round(float(np.mean([d["precision"] for d in dd])), 4),
            "doc_recall_mean": round(float(np.mean([d["recall"] for d in dd])), 4),
            "seconds_mean": round(float(np.mean([r[name]["seconds"] for r in runs])), 3),
        }
        summary[name]["targets_met_every_seed"] = bool(
            min(summary[name]["pair_precision"]) >= 0.95 and min(summary[name]["pair_recall"]) >= 0.90)
    result = {
        "benchmark": "dedup_quality",
        "params": {"num_perm": NUM_PERM, "ngram": NGRAM, "threshold": THRESHOLD, "seeds": seeds},
        "targets": {"pair_precision_min": 0.95, "pair_recall_min": 0.90},
        "summary": summary,
        "recommended": "moli_leader_exact",
        "targets_met": summary["moli_leader_exact"]["targets_met_every_seed"],
        "runs": runs,
    }
    json.dump(result, sys.stdout, ensure_ascii=False, indent=1)
    print()


if __name__ == "__main__":
    main()
