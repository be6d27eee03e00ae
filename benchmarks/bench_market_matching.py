"""Scenario → offering matching over generated offerings: moli.market vs the naive baseline.

Ours: ``OfferingIndex`` (numpy column prefilter + bm25s sparse scores) built once, then one
``match`` per scenario (top 10, 20 excluded explained).
Baseline (what a user would write): rank-bm25 ``BM25Okapi`` over the same jieba tokens, a Python
loop applying the same hard constraints and the same weighted score, ``sorted`` for the top 10.

Times are wall-clock and CPU (process) time; the targets (build ≤ 30 s, p95 ≤ 30 ms per scenario on
one core) are judged on CPU time, which does not count waiting for the shared machine's other jobs.

    nice .venv/bin/python benchmarks/bench_market_matching.py [--quick] [--n 100000] [--scenarios 50]
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import time

import numpy as np


def _timer():
    return time.perf_counter(), time.process_time()


def _since(t):
    return time.perf_counter() - t[0], time.process_time() - t[1]


def baseline_match(bm25, offs, texts_tokens, scenario, cfg, k=10):
    """The naive matcher: BM25Okapi scores + Python filters + the same weighted score."""
    from moli.market.matching import relevant_benchmarks
    from moli.market.schemas import vocabulary
    from moli.text.segment import tokenize

    c = scenario.constraints
    q = tokenize(f"{scenario.title} {scenario.description}")
    raw = bm25.get_scores(q)
    best = max(raw.max(), 0)
    rel = set(relevant_benchmarks(scenario))
    tasks = vocabulary()["tasks"]
    general_purpose = {t for t, e in tasks.items() if e.get("general_purpose")}
    promptable = {t for t, e in tasks.items() if e.get("by_prompting")}
    w = cfg.weights
    out = []
    for i, o in enumerate(offs):
        if scenario.languages and not {x.split("-")[0] for x in scenario.languages} <= {x.split("-")[0] for x in o.languages}:
            continue
        if scenario.tasks and o.tasks and not set(scenario.tasks) & set(o.tasks) and not (
                set(scenario.tasks) & promptable and set(o.tasks) & general_purpose):
            continue
        if c.deployment is not None and not set(o.deployment) & set(c.deployment):
            continue
        if c.requires_filing and o.filing.status == "none":
            continue
        if c.data_must_stay_in:
            local = {"private", "edge"} & (set(c.deployment) if c.deployment is not None else {"private", "edge"})
            inside = bool(o.data_residency) and set(o.data_residency) <= {c.data_must_stay_in}
            if not inside and not set(o.deployment) & local:
                continue
        if c.min_context_length and (o.context_length or 0) < c.min_context_length:
            continue
        p = o.price_per_million_tokens_cny
        if c.max_price_per_million_tokens_cny is not None and p is not None and p > c.max_price_per_million_tokens_cny:
            continue
        if c.commercial_use and not o.commercial_use:
            continue
        if c.modalities and not set(c.modalities) <= set(o.modalities):
            continue
        sig = {"text": raw[i] / best if best > 0 else 0.0}
        if scenario.tasks:
            sig["tasks"] = len(set(scenario.tasks) & set(o.tasks)) / len(set(scenario.tasks))
        if scenario.industry == "general" or scenario.industry in o.domains:
            sig["domain"] = 1.0
        else:
            sig["domain"] = cfg.general_domain_credit if "general" in o.domains else 0.0
        ev = [e.score / 100 for e in o.evaluations if e.benchmark in rel]
        if rel:
            sig["evaluations"] = sum(ev) / len(ev) if ev else 0.0
        mp = c.max_price_per_million_tokens_cny
        if p is None:
            sig["price"] = cfg.unknown_price_signal
        else:
            sig["price"] = min(max(1 - p / mp if mp else 1 / (1 + p / cfg.reference_price_cny), 0.0), 1.0)
        tw = sum(w[n] for n in sig)
        out.append((sum(w[n] * v for n, v in sig.items()) / tw, i))
    out.sort(key=lambda x: (-x[0], x[1]))
    return [offs[i].id for _, i in out[:k]]


def pct(xs, p):
    return float(np.percentile(np.asarray(xs), p)) * 1000 if xs else math.nan


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="10,000 offerings, 20 scenarios")
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--scenarios", type=int, default=50)
    ap.add_argument("--baseline-scenarios", type=int, default=10,
                    help="the naive baseline is slow: time it on the first few scenarios only")
    args = ap.parse_args()
    n = 10_000 if args.quick else args.n
    m = 20 if args.quick else args.scenarios

    from rank_bm25 import BM25Okapi

    from moli.market.generate import generate_offerings, generate_scenarios
    from moli.market.matching import OfferingIndex, matching_config
    from moli.text import segment

    offs = generate_offerings(n, seed=7)
    scenarios = generate_scenarios(m, seed=11)
    cfg = matching_config()
    segment.tokenize("预热 warm-up")  # load the dictionary outside the timings

    segment._tokenize_cached.cache_clear()
    t = _timer()
    index = OfferingIndex(offs)
    build_wall, build_cpu = _since(t)

    walls, cpus, ours_top = [], [], []
    for s in scenarios:
        t = _timer()
        r = index.match(s, k=10, max_excluded=20)
        w, c = _since(t)
        walls.append(w)
        cpus.append(c)
        ours_top.append([x.id for x in r.matches])

    # Baseline: same tokens, rank-bm25 and Python filters.
    segment._tokenize_cached.cache_clear()
    t = _timer()
    tokens = [segment.tokenize(f"{o.name} {o.vendor} {o.description}") for o in offs]
    bm25 = BM25Okapi(tokens)
    b_build_wall, b_build_cpu = _since(t)
    b_walls, b_cpus, overlap = [], [], []
    for j, s in enumerate(scenarios[: args.baseline_scenarios]):
        t = _timer()
        top = baseline_match(bm25, offs, tokens, s, cfg)
        w, c = _since(t)
        b_walls.append(w)
        b_cpus.append(c)
        if ours_top[j] or top:
            overlap.append(len(set(top) & set(ours_top[j])) / max(len(top), len(ours_top[j])))

    ours = {"build_s_wall": round(build_wall, 2), "build_s_cpu": round(build_cpu, 2),
            "p50_ms_wall": round(pct(walls, 50), 2), "p95_ms_wall": round(pct(walls, 95), 2),
            "p50_ms_cpu": round(pct(cpus, 50), 2), "p95_ms_cpu": round(pct(cpus, 95), 2), "scenarios": m}
    base = {"build_s_wall": round(b_build_wall, 2), "build_s_cpu": round(b_build_cpu, 2),
            "p50_ms_wall": round(pct(b_walls, 50), 2), "p95_ms_wall": round(pct(b_walls, 95), 2),
            "p50_ms_cpu": round(pct(b_cpus, 50), 2), "p95_ms_cpu": round(pct(b_cpus, 95), 2),
            "scenarios": len(b_walls)}
    out = {
        "benchmark": "market_matching",
        "offerings": n,
        "machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count(),
                    "loadavg": [round(x, 2) for x in __import__("os").getloadavg()]},
        "ours": ours,
        "baseline_rank_bm25_python_filters": base,
        "ratios": {"query_p50_speedup_cpu": round(base["p50_ms_cpu"] / ours["p50_ms_cpu"], 1) if ours["p50_ms_cpu"] else None,
                   "build_speedup_cpu": round(base["build_s_cpu"] / ours["build_s_cpu"], 2) if ours["build_s_cpu"] else None},
        "top10_overlap_with_baseline_mean": round(float(np.mean(overlap)), 3) if overlap else None,
        "targets": {"build_s": 30, "p95_ms": 30, "offerings": 100_000},
        "met": {"build": build_cpu <= 30, "p95": pct(cpus, 95) <= 30, "full_size": n >= 100_000},
    }
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
