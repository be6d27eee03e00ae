"""Outbound knowledge-base retrieval (ours: moli.text.search on bm25s) vs rank-bm25, and pre-check latency.

Run: ``.venv/bin/python benchmarks/bench_outbound_search.py [--quick]``

Quality: the labelled queries in ``tests/outbound/kb_queries.yaml`` (written for this project: query →
relevant knowledge-base documents) against the 20 packaged documents plus, as distractors, the
laws and regulations in ``../shared/data/gov_docs/laws_regulations.jsonl.gz`` (218 real Chinese legal
texts), so the right answer must be found among ~240 documents. Both engines index the same jieba
tokens (``moli.text.segment.tokenize``) with the same text per document; we report recall@5 and MRR@10.

Speed: the service's end-to-end ``search_kb`` on SQLite; index build time and per-query latency (tokenising the query included) on the same ~240
documents and on a larger set (the laws split into ~500-character passages, repeated to ≥ 20,000
passages). Pre-check: latency of ``precheck(parse_plan(...))`` over every plan of the case table.

Targets: recall@5 ≥ 0.85 and MRR ≥ 0.70 on the labelled set; our query latency no worse than
rank-bm25's (ratio ≥ 1); pre-check p95 ≤ 10 ms of CPU per plan (wall time is reported too;
on a shared machine it includes other users' load).
"""

from __future__ import annotations

import argparse
import copy
import gzip
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from rank_bm25 import BM25Okapi  # noqa: E402

from moli.core.paths import shared_dir  # noqa: E402
from moli.outbound.kb import package_documents  # noqa: E402
from moli.outbound.precheck import parse_plan, precheck  # noqa: E402
from moli.outbound.service import _doc_text  # noqa: E402
from moli.text.search import BM25Index  # noqa: E402
from moli.text.segment import _tokenize_cached, tokenize  # noqa: E402


class _Doc:  # the same text the service indexes
    def __init__(self, e):
        self.title, self.topics, self.issuer, self.body = e.meta.title, e.meta.topics, e.meta.issuer, e.body


def load_corpus() -> tuple[list[str], list[str], list[str]]:
    ids, texts = [], []
    for e in package_documents():
        ids.append(e.slug)
        texts.append(_doc_text(_Doc(e)))
    laws = []
    path = shared_dir() / "data" / "gov_docs" / "laws_regulations.jsonl.gz"
    if path.exists():
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                rec = json.loads(line)
                laws.append(rec["text"])
                ids.append(f"law:{rec['id']}")
                texts.append(f"{rec['title']}\n{rec['text']}")
    return ids, texts, laws


def quality(rank_fn, queries) -> dict:
    r5, rr = [], []
    for q in queries:
        top = rank_fn(q["q"], 10)
        rel = set(q["relevant"])
        r5.append(float(bool(rel & set(top[:5]))))
        rr.append(next((1.0 / (i + 1) for i, d in enumerate(top) if d in rel), 0.0))
    return {"recall_at_5": round(float(np.mean(r5)), 4), "mrr_at_10": round(float(np.mean(rr)), 4)}


def latency_pair(fa, fb, queries, reps: int) -> tuple[dict, dict]:
    """Per-query latency of two engines, interleaved query by query so both see the same machine load."""
    for q in queries:  # warm-up pass (query tokens cached for both engines alike)
        fa(q["q"], 10), fb(q["q"], 10)
    ta, tb = [], []
    for _ in range(reps):
        for q in queries:
            for fn, acc in ((fa, ta), (fb, tb)):
                t = time.perf_counter()
                fn(q["q"], 10)
                acc.append(time.perf_counter() - t)

    def summary(times):
        times = sorted(times)
        return {"mean_ms": round(1000 * statistics.fmean(times), 3),
                "p50_ms": round(1000 * times[len(times) // 2], 3),
                "p95_ms": round(1000 * times[int(0.95 * (len(times) - 1))], 3), "n": len(times)}

    return summary(ta), summary(tb)


def _timed(fn):
    """(result, wall seconds, CPU seconds of this process): CPU time is robust to other users' load."""
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def engines(ids, texts, builds: int = 1):
    """Both builds include tokenising the documents (the tokenizer cache is cleared before each); best of
    ``builds`` runs, wall and CPU time."""
    tokenize("预热 warm-up")  # jieba's dictionary loads once, outside the timings
    ours_t, theirs_t = [], []
    for _ in range(builds):
        _tokenize_cached.cache_clear()
        ours, w, c = _timed(lambda: BM25Index.build(ids, texts))
        ours_t.append((w, c))
        _tokenize_cached.cache_clear()
        theirs, w, c = _timed(lambda: BM25Okapi([tokenize(x) for x in texts]))  # k1=1.5, b=0.75
        theirs_t.append((w, c))
    arr = np.array(ids)

    def ours_fn(q, k):
        return [h.id for h in ours.search(q, k=k)]

    def theirs_fn(q, k):
        s = theirs.get_scores(tokenize(q))
        top = np.argsort(-s, kind="stable")[:k]
        return [arr[i] for i in top if s[i] > 0]

    def best(ts):
        return {"wall_s": round(min(t[0] for t in ts), 3), "cpu_s": round(min(t[1] for t in ts), 3)}

    return ours_fn, theirs_fn, best(ours_t), best(theirs_t)


def passages(laws: list[str], target: int) -> list[str]:
    out = []
    for text in laws:
        out.extend(text[i:i + 500] for i in range(0, len(text), 500))
    base = list(out)
    while out and len(out) < target:
        out.extend(base)
    return out[:max(target, len(base))]


def bench_precheck(reps: int) -> dict:
    table = yaml.safe_load((ROOT / "tests" / "outbound" / "cases.yaml").read_text(encoding="utf-8"))

    def merge(base, over):
        out = copy.deepcopy(base)
        for k, v in over.items():
            out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
        return out

    plans = [merge(table["base"], c["plan"]) for c in table["cases"]]
    precheck(parse_plan(plans[0]))  # warm the rule cache
    times, cpu = [], []
    for _ in range(reps):
        for p in plans:
            t, c = time.perf_counter(), time.process_time()
            precheck(parse_plan(p))
            cpu.append(time.process_time() - c)
            times.append(time.perf_counter() - t)
    times.sort()
    cpu.sort()
    return {"plans": len(plans), "runs": len(times), "mean_ms": round(1000 * statistics.fmean(times), 3),
            "p50_ms": round(1000 * times[len(times) // 2], 3),
            "p95_ms": round(1000 * times[int(0.95 * (len(times) - 1))], 3),
            "cpu_mean_ms": round(1000 * statistics.fmean(cpu), 3),
            "cpu_p95_ms": round(1000 * cpu[int(0.95 * (len(cpu) - 1))], 3)}


def bench_service(queries, reps: int) -> dict:
    """End-to-end ``service.search_kb`` on a fresh SQLite database (visibility query, filters, index cache)."""
    import os
    import tempfile

    with tempfile.TemporaryDirectory() as home:
        os.environ["MOLI_HOME"] = home
        os.environ.pop("MOLI_DATABASE_URL", None)
        from moli.core.db import ensure_database, session_scope
        from moli.core.settings import reset_settings
        from moli.outbound import service

        reset_settings()
        ensure_database()
        with session_scope() as s:
            service.sync_knowledge_base(s)
            service.search_kb(s, "预热", k=5)
            times = []
            for _ in range(reps):
                for q in queries:
                    t = time.perf_counter()
                    service.search_kb(s, q["q"], k=5)
                    times.append(time.perf_counter() - t)
            filtered = []
            for q in queries:
                t = time.perf_counter()
                service.search_kb(s, q["q"], topic="country_guide", date_from="2020-01-01", k=5)
                filtered.append(time.perf_counter() - t)
    times.sort()
    filtered.sort()
    return {"documents": "packaged knowledge base (SQLite)", "n": len(times),
            "mean_ms": round(1000 * statistics.fmean(times), 3), "p95_ms": round(1000 * times[int(0.95 * (len(times) - 1))], 3),
            "filtered_mean_ms": round(1000 * statistics.fmean(filtered), 3)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer repetitions and a smaller passage set")
    args = ap.parse_args()
    reps = 3 if args.quick else 20
    big_n = 5000 if args.quick else 20000
    queries = yaml.safe_load((ROOT / "tests" / "outbound" / "kb_queries.yaml").read_text(encoding="utf-8"))["queries"]

    ids, texts, laws = load_corpus()
    ours_fn, theirs_fn, b_ours, b_theirs = engines(ids, texts, builds=1 if args.quick else 3)
    q_ours, q_theirs = quality(ours_fn, queries), quality(theirs_fn, queries)
    l_ours, l_theirs = latency_pair(ours_fn, theirs_fn, queries, reps)

    big = passages(laws, big_n)
    big_ids = [f"p{i}" for i in range(len(big))]
    big_ours, big_theirs, bb_ours, bb_theirs = engines(big_ids, big)
    bl_ours, bl_theirs = latency_pair(big_ours, big_theirs, queries, max(1, reps // 4))

    pre = bench_precheck(reps * 5)
    svc = bench_service(queries, max(1, reps // 4))
    result = {
        "benchmark": "outbound_search",
        "quick": args.quick,
        "corpus": {"documents": len(ids), "kb_documents": len(ids) - len(laws), "distractor_laws": len(laws),
                   "queries": len(queries)},
        "ours": {"engine": "moli.text.search.BM25Index (bm25s, lucene idf)", **q_ours, "build": b_ours,
                 "query": l_ours},
        "rank_bm25": {"engine": "rank_bm25.BM25Okapi on the same jieba tokens", **q_theirs, "build": b_theirs,
                      "query": l_theirs},
        "large": {"passages": len(big), "ours_build": bb_ours, "rank_bm25_build": bb_theirs,
                  "ours_query": bl_ours, "rank_bm25_query": bl_theirs,
                  "query_speedup": round(bl_theirs["mean_ms"] / bl_ours["mean_ms"], 2) if bl_ours["mean_ms"] else None},
        "precheck": pre,
        "service_search": svc,
        "ratios": {"query_speedup_small": round(l_theirs["mean_ms"] / l_ours["mean_ms"], 2) if l_ours["mean_ms"] else None,
                   "recall_at_5_diff": round(q_ours["recall_at_5"] - q_theirs["recall_at_5"], 4),
                   "mrr_diff": round(q_ours["mrr_at_10"] - q_theirs["mrr_at_10"], 4)},
    }
    result["targets"] = {
        "recall_at_5>=0.85": q_ours["recall_at_5"] >= 0.85,
        "mrr_at_10>=0.70": q_ours["mrr_at_10"] >= 0.70,
        "query_latency_ratio>=1 (large)": (result["large"]["query_speedup"] or 0) >= 1,
        "precheck_cpu_p95<=10ms": pre["cpu_p95_ms"] <= 10,
    }
    print(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
