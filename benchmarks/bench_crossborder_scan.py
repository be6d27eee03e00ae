"""moli.crossborder scanner figures, side by side with what a user would otherwise write, in one run.

    nice .venv/bin/python benchmarks/bench_crossborder_scan.py [--quick]

Input: a generated 10-column CSV (订单号, 姓名, 身份证号, 手机号, 邮箱, 金额, 城市, 商品, 状态, 日期) with
personal information in 4 columns (name, resident ID with a valid check digit, mobile, email) and
repeat customers drawn from the same 500 k people, at two sizes (1 M and 2 M rows; --quick: 100 k
and 200 k rows, 50 k people): the file doubles, the number of people hardly changes, so the peak
RSS shows whether memory follows the file. The exact distinct set costs 8 bytes per person up to
the exact limit; a third run on the large file with a small exact limit shows the HyperLogLog mode. Each contender runs in
its own process so CPU time and peak RSS are its own:

* ours: ``moli.crossborder.scanner.scan`` (pyarrow streaming CSV, moli.pii column classification,
  exact distinct people on the ID column);
* pandas: ``pd.read_csv(dtype=str)`` + regex ``str.fullmatch`` per column + ``nunique()`` on the ID
  column — the obvious script;
* Presidio: ``AnalyzerEngine`` (pattern recognizers equivalent to moli.pii's, from bench_pii.py)
  over every cell of a sample of rows, extrapolated to rows per minute.

Prints one JSON object: figures per size, ratios, targets (>= 1 M rows per CPU-minute; peak RSS
flat in the file size) and whether they are met.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
HEADER = ["订单号", "姓名", "身份证号", "手机号", "邮箱", "金额", "城市", "商品", "状态", "日期"]
AREAS = ["310115", "310104", "110105", "440305", "330106", "320102", "510107", "420111"]
W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def id_number(i: int) -> str:
    """A valid 18-digit resident ID (GB 11643 check digit), distinct for each person ``i`` < 18 M."""
    d = i // 1000
    body = f"{AREAS[d % len(AREAS)]}{1950 + d // 336}{1 + (d // 28) % 12:02d}{1 + d % 28:02d}{i % 1000:03d}"
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, W, strict=True)) % 11]


def generate(path: Path, rows: int, pool: int, seed: int = 1) -> int:
    """Write the CSV (customers drawn from ``pool`` people); return the number of distinct people in it."""
    from faker import Faker

    fake = Faker("zh_CN")
    Faker.seed(seed)
    names = [fake.name() for _ in range(3000)]
    cities = [fake.city() for _ in range(300)]
    goods = ["模型推理服务", "语料标注", "算力租赁", "数据清洗", "私有化部署"]
    rnd = random.Random(seed)
    seen = set()
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for r in range(rows):
            i = rnd.randrange(pool)
            seen.add(i)
            w.writerow([f"SO{r:09d}", names[i % len(names)], id_number(i), f"1{3 + i % 7}{i * 7919 % 10**9:09d}",
                        f"user{i}@example.com", rnd.randint(1, 99999), cities[i % len(cities)], goods[r % 5],
                        "已支付" if r % 3 else "已发货", f"2026-0{1 + r % 9}-1{r % 10}"])
    return len(seen)


def _usage() -> dict:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return {"cpu_s": ru.ru_utime + ru.ru_stime, "peak_rss_mb": ru.ru_maxrss / 1024}


# ---------------------------------------------------------------- children (one process each)
def child_ours(path: str, exact_limit: int = 5_000_000) -> dict:
    from moli.crossborder.scanner import ScanOptions, scan

    base = _usage()
    t = time.perf_counter()
    r = scan([path], options=ScanOptions(exact_limit=exact_limit))
    wall = time.perf_counter() - t
    u = _usage()
    return {"rows": r["rows"], "individuals": r["individuals"], "method": r["method"], "wall_s": wall,
            "cpu_s": u["cpu_s"] - base["cpu_s"], "peak_rss_mb": u["peak_rss_mb"], "rss_before_mb": base["peak_rss_mb"],
            "pii_columns": [c["column"] for c in r["sources"][0]["columns"] if c["role"] != "none"]}


PATTERNS = {  # what a user would write: one regex per kind, full match on each cell
    "ID_CARD": r"[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[0-9Xx]",
    "PHONE": r"(?:\+?86)?1[3-9]\d{9}",
    "EMAIL": r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}",
}


def child_pandas(path: str) -> dict:
    import pandas as pd

    base = _usage()
    t = time.perf_counter()
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    kinds = {}
    for col in df.columns:
        s = df[col]
        for kind, pat in PATTERNS.items():
            if s.str.fullmatch(pat).mean() >= 0.5:
                kinds[col] = kind
                break
    id_col = next((c for c, k in kinds.items() if k == "ID_CARD"), None)
    individuals = int(df[id_col].str.upper().nunique()) if id_col else len(df)
    wall = time.perf_counter() - t
    u = _usage()
    return {"rows": len(df), "individuals": individuals, "wall_s": wall, "cpu_s": u["cpu_s"] - base["cpu_s"],
            "peak_rss_mb": u["peak_rss_mb"], "rss_before_mb": base["peak_rss_mb"], "pii_columns": sorted(kinds)}


def child_presidio(path: str, sample: int) -> dict:
    sys.path.insert(0, str(HERE))
    from bench_pii import presidio_engine

    analyzer = presidio_engine()
    rows = []
    with open(path, encoding="utf-8") as fh:
        for i, row in enumerate(csv.DictReader(fh)):
            if i >= sample:
                break
            rows.append(row)
    base = _usage()
    t = time.perf_counter()
    hits = {}
    for row in rows:
        for col, val in row.items():
            for _res in analyzer.analyze(text=val, language="zh"):
                hits[col] = hits.get(col, 0) + 1
    wall = time.perf_counter() - t
    u = _usage()
    return {"rows": len(rows), "wall_s": wall, "cpu_s": u["cpu_s"] - base["cpu_s"], "peak_rss_mb": u["peak_rss_mb"],
            "columns_with_hits": sorted(hits)}


def run_child(kind: str, path: Path, *extra) -> dict:
    cmd = [sys.executable, __file__, "--child", kind, str(path), *map(str, extra)]
    out = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    if out.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def per_min(res: dict) -> float:
    return round(res["rows"] / res["cpu_s"] * 60) if res["cpu_s"] else 0.0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--child", nargs="+")
    a = ap.parse_args()
    if a.child:
        kind, path, *rest = a.child
        if kind == "ours":
            res = child_ours(path, *map(int, rest))
        elif kind == "pandas":
            res = child_pandas(path)
        else:
            res = child_presidio(path, int(rest[0]))
        print(json.dumps(res))
        return
    sizes = (100_000, 200_000) if a.quick else (1_000_000, 2_000_000)
    pool = sizes[0] // 2  # the same customers at both sizes: the file doubles, the people hardly change
    presidio_sample = 1000 if a.quick else 3000
    out: dict = {"benchmark": "crossborder_scan", "quick": a.quick, "sizes": {}, "columns": HEADER,
                 "pii_columns": ["姓名", "身份证号", "手机号", "邮箱"]}
    with tempfile.TemporaryDirectory(prefix="bench_cb_") as tmp:
        for n in sizes:
            path = Path(tmp) / f"orders_{n}.csv"
            truth = generate(path, n, pool)
            ours, pandas_ = run_child("ours", path), run_child("pandas", path)
            out["sizes"][str(n)] = {
                "file_mb": round(path.stat().st_size / 2**20, 1), "distinct_people_truth": truth,
                "ours": ours | {"rows_per_cpu_min": per_min(ours)},
                "pandas_regex": pandas_ | {"rows_per_cpu_min": per_min(pandas_)},
                "speed_ratio_ours_over_pandas": round(per_min(ours) / per_min(pandas_), 2) if per_min(pandas_) else None,
                "individuals_exact": {"ours": ours["individuals"] == truth, "pandas": pandas_["individuals"] == truth},
            }
        pres = run_child("presidio", Path(tmp) / f"orders_{sizes[0]}.csv", presidio_sample)
        # beyond the exact limit: HyperLogLog on the large file, memory and error against the truth
        limit = pool // 10
        hll = run_child("ours", Path(tmp) / f"orders_{sizes[1]}.csv", limit)
        truth_large = out["sizes"][str(sizes[1])]["distinct_people_truth"]
        out["hyperloglog_beyond_exact_limit"] = hll | {
            "exact_limit": limit, "truth": truth_large, "rows_per_cpu_min": per_min(hll),
            "relative_error": round(abs(hll["individuals"] - truth_large) / truth_large, 4)}
    small, large = (out["sizes"][str(n)] for n in sizes)
    out["presidio_per_cell"] = pres | {"rows_per_cpu_min": per_min(pres),
                                       "setup": "AnalyzerEngine + pattern recognizers from bench_pii.py, every cell of "
                                                f"the first {presidio_sample} rows"}
    out["speed_ratio_ours_over_presidio"] = round(small["ours"]["rows_per_cpu_min"] / out["presidio_per_cell"]["rows_per_cpu_min"], 1)
    growth = {k: round(large[k]["peak_rss_mb"] / small[k]["peak_rss_mb"], 2) for k in ("ours", "pandas_regex")}
    out["peak_rss_growth_when_file_doubles"] = growth
    rate = min(small["ours"]["rows_per_cpu_min"], large["ours"]["rows_per_cpu_min"])
    out["targets"] = {
        "rows_per_cpu_min_ge_1M": {"value": rate, "target": 1_000_000, "met": rate >= 1_000_000},
        "memory_flat": {"value": growth["ours"], "target": "peak RSS grows < 25 % when the file doubles",
                        "met": growth["ours"] < 1.25},
        "individuals_exact": {"met": small["individuals_exact"]["ours"] and large["individuals_exact"]["ours"]},
    }
    out["all_met"] = all(t["met"] for t in out["targets"].values())
    print(json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
