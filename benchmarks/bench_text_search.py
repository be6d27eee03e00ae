"""moli.text.search (bm25s sparse scores) vs rank-bm25 (BM25Okapi), same jieba tokens, same queries.

Corpora: (a) real Chinese text from ../shared/data/classification (CSL abstracts, medical
dialogues, news titles) — queries are CSL paper titles; (b) generated offering descriptions at
scale (100,000; 10,000 with --quick) — queries are generated scenario descriptions.
Figures: index build time, per-query p50/p95 (wall and CPU), and top-10 agreement (share of the
same ids in both top-10 lists; the two differ by design in idf: Lucene's log(1+…) vs Okapi's).
A same-formula check runs rank-bm25 with Lucene's idf on the real corpus: the top 10 must be the same.

    nice .venv/bin/python benchmarks/bench_text_search.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np


def _t():
    return time.perf_counter(), time.process_time()


def _d(t):
    return time.perf_counter() - t[0], time.process_time() - t[1]


def real_corpus() -> tuple[list[str], list[str], list[str]]:
    from moli.core.paths import shared_dir

    base = shared_dir() / "data" / "classification"
    ids, texts, queries = [], [], []
    for name in ("csl_discipline.jsonl", "medical_dialogue.jsonl", "thucnews_titles.jsonl", "tnews_titles.jsonl"):
        with open(base / name, encoding="utf-8") as fh:
            for line in fh:
                d = json.loads(line)
                text = " ".join(str(d.get(k) or "") for k in ("title", "abstract", "ask", "answer", "text"))
                ids.append(f"{name}:{len(ids)}:{d.get('id', '')}")
                texts.append(text)
                if name == "csl_discipline.jsonl" and len(queries) < 200:
                    queries.append(d["title"])
    return ids, texts, queries


def lucene_idf_okapi():
    """rank-bm25's BM25Okapi with Lucene's idf, log(1 + (N - n + 0.5) / (n + 0.5)): the formula
    moli.text.search uses, so the two rankings should be the same (a correctness check)."""
    import math

    from rank_bm25 import BM25Okapi

    class LuceneIdf(BM25Okapi):
        def _calc_idf(self, nd):
            for word, freq in nd.items():
                self.idf[word] = math.log(1 + (self.corpus_size - freq + 0.5) / (freq + 0.5))

    return LuceneIdf


def same_formula_agreement(ids, texts, queries, k=10) -> dict:
    from moli.text import segment
    from moli.text.search import BM25Index

    ours = BM25Index.build(ids, texts)
    ref = lucene_idf_okapi()([segment.tokenize(x) for x in texts])
    same_set, same_order, diffs = [], [], []
    for q in queries:
        a = [h.id for h in ours.search(q, k=k)]
        scores = ref.get_scores(list(dict.fromkeys(segment.tokenize(q))))
        # rank-bm25 multiplies by (k1 + 1) = 2.5, a constant that does not change the ranking.
        diffs.append(float(np.max(np.abs(ours.scores(q) * 2.5 - scores))))
        top = np.argsort(-scores, kind="stable")[:k]
        b = [ids[i] for i in top if scores[i] > 0]
        if a or b:
            same_set.append(set(a) == set(b))
            same_order.append(a == b)
    return {"queries": len(same_set), "identical_top10_set_share": round(float(np.mean(same_set)), 3),
            "identical_top10_order_share": round(float(np.mean(same_order)), 3),
            "max_abs_score_difference": float(f"{max(diffs):.3g}"),
            "note": "differences in the top 10 are exact ties at the cut, broken by a different order"}


def run(ids, texts, queries, k=10) -> dict:
    from rank_bm25 import BM25Okapi

    from moli.text import segment
    from moli.text.search import BM25Index

    segment._tokenize_cached.cache_clear()
    t = _t()
    ours = BM25Index.build(ids, texts)
    ob_w, ob_c = _d(t)
    segment._tokenize_cached.cache_clear()
    t = _t()
    theirs = BM25Okapi([segment.tokenize(x) for x in texts])
    tb_w, tb_c = _d(t)

    ow, oc, tw, tc, agree, same_first = [], [], [], [], [], []
    for q in queries:
        segment.tokenize(q)  # both sides query with tokens already cached
        t = _t()
        hits = ours.search(q, k=k)
        w, c = _d(t)
        ow.append(w)
        oc.append(c)
        t = _t()
        scores = theirs.get_scores(segment.tokenize(q))
        top = np.argsort(-scores, kind="stable")[:k]
        top = [ids[i] for i in top if scores[i] > 0]
        w, c = _d(t)
        tw.append(w)
        tc.append(c)
        a = [h.id for h in hits]
        if a or top:
            agree.append(len(set(a) & set(top)) / max(len(a), len(top)))
            same_first.append(bool(a and top and a[0] == top[0]))

    def p(xs, q):
        return round(float(np.percentile(xs, q)) * 1000, 3)

    return {
        "documents": len(ids), "queries": len(queries),
        "moli_text_search": {"build_s_wall": round(ob_w, 2), "build_s_cpu": round(ob_c, 2),
                             "p50_ms_wall": p(ow, 50), "p95_ms_wall": p(ow, 95), "p50_ms_cpu": p(oc, 50), "p95_ms_cpu": p(oc, 95)},
        "rank_bm25_okapi": {"build_s_wall": round(tb_w, 2), "build_s_cpu": round(tb_c, 2),
                            "p50_ms_wall": p(tw, 50), "p95_ms_wall": p(tw, 95), "p50_ms_cpu": p(tc, 50), "p95_ms_cpu": p(tc, 95)},
        "query_speedup_p50_cpu": round(float(np.percentile(tc, 50) / max(np.percentile(oc, 50), 1e-9)), 1),
        "top10_agreement_mean": round(float(np.mean(agree)), 3) if agree else None,
        "top1_same_share": round(float(np.mean(same_first)), 3) if same_first else None,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    from moli.market.generate import generate_offerings, generate_scenarios
    from moli.text.segment import tokenize

    tokenize("预热")
    out = {"benchmark": "text_search", "loadavg": [round(x, 2) for x in os.getloadavg()]}
    real = real_corpus()
    out["real_chinese_corpus"] = run(*real)
    out["real_chinese_corpus"]["same_formula_check_rank_bm25_with_lucene_idf"] = same_formula_agreement(*real)
    n = 10_000 if args.quick else 100_000
    offs = generate_offerings(n)
    scen = generate_scenarios(50 if not args.quick else 20)
    out["generated_offerings"] = run([o.id for o in offs], [f"{o.name} {o.vendor} {o.description}" for o in offs],
                                     [f"{s.title} {s.description}" for s in scen])
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
