"""Evaluation throughput against a loopback chat-completions server (tests/market/answerer.py).

Runs, in one go: (1) moli.market.evaluation at concurrency 32 on N items; (2) the same with the
server failing 10 % of requests (503), counting lost and duplicated results; (3) a re-run served
from the response cache; (4) the baseline a user would write: a plain loop of ``httpx.Client``
posts, one at a time (on an instant server and on one that takes 20 ms per answer, as a model
does). Server CPU time comes from /proc.

    nice .venv/bin/python benchmarks/bench_market_eval.py [--quick] [--n 3000]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def proc_cpu(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as fh:
        f = fh.read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="1,000 items")
    ap.add_argument("--n", type=int, default=3000)
    ap.add_argument("--concurrency", type=int, default=32)
    args = ap.parse_args()
    n = 1000 if args.quick else args.n

    from tests.market.conftest import start_answerer

    from moli.market.evaluation import ResponseCache, Target, evaluate
    from moli.market.schemas import TestItem

    key = Path(tempfile.mkdtemp()) / "key.jsonl"
    items = [TestItem(prompt=f"第{i}题：浦东新区的区号是多少？", reference=f"答案{i % 7}") for i in range(n)]
    key.write_text("\n".join(json.dumps(it.model_dump(exclude_none=True), ensure_ascii=False) for it in items) + "\n",
                   encoding="utf-8")
    proc, base = start_answerer(key)
    try:
        out: dict = {"benchmark": "market_eval", "items": n, "concurrency": args.concurrency,
                     "loadavg": [round(x, 2) for x in os.getloadavg()]}

        def run(mode: str, cache=None, retries=3):
            s0, c0, t0 = proc_cpu(proc.pid), time.process_time(), time.perf_counter()
            res = evaluate(items, [Target(mode, f"{base}/{mode}/v1", "oracle")], concurrency=args.concurrency,
                           retries=retries, backoff=0.02, timeout=10, cache=cache)
            wall = time.perf_counter() - t0
            return res, wall, time.process_time() - c0, proc_cpu(proc.pid) - s0

        stats0 = httpx.get(f"{base}/stats").json()
        res, wall, ccpu, scpu = run("ok")
        board = res["leaderboard"][0]
        out["ours_ok"] = {"wall_s": round(wall, 3), "requests_per_s": round(n / wall, 1),
                          "client_cpu_ms_per_request": round(ccpu / n * 1000, 3),
                          "server_cpu_ms_per_request": round(scpu / n * 1000, 3),
                          "requests_per_s_if_client_had_one_core": round(n / ccpu, 1) if ccpu else None,
                          "ok": board["counts"]["ok"], "exact_match": board["score"]}

        stats1 = httpx.get(f"{base}/stats").json()
        res, wall, ccpu, scpu = run("flaky", retries=8)
        stats2 = httpx.get(f"{base}/stats").json()
        results = res["results"]["flaky"]
        per_item = Counter(r["item"] for r in results)
        sent = stats2.get("flaky", 0) - stats1.get("flaky", 0)
        failed_by_server = stats2.get("flaky_failed", 0) - stats1.get("flaky_failed", 0)
        out["ours_flaky_10pct"] = {
            "wall_s": round(wall, 3), "requests_per_s": round(sent / wall, 1),
            "requests_sent": sent, "server_failures_injected": failed_by_server,
            "failure_share": round(failed_by_server / sent, 4) if sent else None,
            "results": len(results), "lost": sum(1 for i in range(n) if per_item[i] == 0),
            "duplicated": sum(1 for c in per_item.values() if c > 1),
            "items_failed_after_retries": sum(r["status"] != "ok" for r in results),
            "retries_accounted": sum(r["attempts"] - 1 for r in results) == failed_by_server,
            "exact_match": res["leaderboard"][0]["score"],
        }

        cache = ResponseCache(Path(tempfile.mkdtemp()) / "cache.sqlite")
        run("ok", cache=cache)
        before = httpx.get(f"{base}/stats").json().get("ok", 0)
        res, wall, _, _ = run("ok", cache=cache)
        after = httpx.get(f"{base}/stats").json().get("ok", 0)
        out["ours_rerun_from_cache"] = {"wall_s": round(wall, 3), "requests_sent": after - before,
                                       "cached": res["leaderboard"][0]["counts"]["cached"]}

        res, wall, ccpu, _ = run("slow")
        out["ours_slow_20ms"] = {"wall_s": round(wall, 3), "requests_per_s": round(n / wall, 1),
                                 "ok": res["leaderboard"][0]["counts"]["ok"]}

        def sequential(mode: str, m: int) -> dict:
            t0, c0 = time.perf_counter(), time.process_time()
            ok = 0
            with httpx.Client(timeout=10) as client:
                for it in items[:m]:
                    r = client.post(f"{base}/{mode}/v1/chat/completions",
                                    json={"model": "oracle", "messages": [{"role": "user", "content": it.prompt}]})
                    ok += r.json()["choices"][0]["message"]["content"] == it.reference
            wall = time.perf_counter() - t0
            return {"items": m, "wall_s": round(wall, 3), "requests_per_s": round(m / wall, 1),
                    "client_cpu_ms_per_request": round((time.process_time() - c0) / m * 1000, 3), "correct": ok}

        out["baseline_sequential_httpx_instant"] = sequential("ok", min(300, n))
        out["baseline_sequential_httpx_slow_20ms"] = sequential("slow", min(100, n))
        out["ratios"] = {
            "instant_server_vs_sequential": round(out["ours_ok"]["requests_per_s"]
                                                  / out["baseline_sequential_httpx_instant"]["requests_per_s"], 2),
            "slow_20ms_server_vs_sequential": round(out["ours_slow_20ms"]["requests_per_s"]
                                                    / out["baseline_sequential_httpx_slow_20ms"]["requests_per_s"], 1)}
        f = out["ours_flaky_10pct"]
        out["targets"] = {"requests_per_s": 200, "concurrency": 32, "lost": 0, "duplicated": 0}
        out["met"] = {"throughput_wall": out["ours_ok"]["requests_per_s"] >= 200,
                      "throughput_client_cpu": (out["ours_ok"]["requests_per_s_if_client_had_one_core"] or 0) >= 200,
                      "no_loss_no_duplicates": f["lost"] == 0 and f["duplicated"] == 0 and f["results"] == n,
                      "cache_rerun_free": out["ours_rerun_from_cache"]["requests_sent"] == 0}
        out["server_stats_before"] = stats0
        print(json.dumps(out, ensure_ascii=False))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except Exception:
            proc.kill()


if __name__ == "__main__":
    main()
