"""Sensitive information mentioned in free text (moli.crossborder.scanner.mention_patterns), side by side
with the reference's bare keyword lists.

    nice .venv/bin/python benchmarks/bench_sensitive_mentions.py [--quick]

* recall: MultiPriv paragraphs (../shared/data/pii, synthetic people, read in place, never copied): every
  record states a symptom and diagnosis (medical_health) and a credit score and income (financial_account);
  the share of records in which each category is found.
* false alarms: sentences of the NER sets that name a person (People's Daily, MSRA, CLUENER, Weibo): news
  and posts about people, almost never stating their diseases, incomes or records. The share flagged is an
  upper bound of the false-alarm rate (a flagged sentence may be right: the JSON lists a sample to read).
* the alternative a user would write: the reference's keyword lists (crossborder_rules.yaml,
  keyword_detectors, the seven categories the scanner has), matched as substrings with ``in``.
* speed: MB of UTF-8 per CPU-second over all those texts, the scanner's vectorised RE2 (pyarrow) against
  the keyword loop.
"""

from __future__ import annotations

import argparse
import json
import time

import pyarrow as pa
import pyarrow.compute as pc
import yaml

from moli.core.paths import shared_dir
from moli.crossborder.scanner import mention_patterns

KEYWORD_IDS = {"kw_health": "medical_health", "kw_biometric": "biometric", "kw_religion": "religious_belief",
               "kw_specific_identity": "specific_identity", "kw_financial_account": "financial_account",
               "kw_transactions": "property_transactions", "kw_trajectory": "whereabouts_trajectory"}


def reference_keywords() -> dict[str, list[str]]:
    ref = yaml.safe_load((shared_dir() / "reference" / "crossborder_rules.yaml").read_text(encoding="utf-8"))
    out = {}
    for item in ref["keyword_detectors"]["items"]:
        if item["id"] in KEYWORD_IDS:
            out[KEYWORD_IDS[item["id"]]] = list(item.get("keywords_zh") or []) + list(item.get("keywords_en") or [])
    return out


def texts(n_max: int | None) -> tuple[list[str], list[str]]:
    data = shared_dir() / "data"
    multipriv = [json.loads(line)["text"] for line in open(data / "pii" / "multipriv_zh.jsonl", encoding="utf-8")][:n_max]
    people_types = {"PER", "name", "PER.NAM"}
    news = []
    for name in ("peoples_daily_ner.jsonl", "msra_ner.jsonl", "cluener.jsonl", "weibo_ner.jsonl"):
        for line in open(data / "ner" / name, encoding="utf-8"):
            r = json.loads(line)
            if any(e["type"] in people_types for e in r["entities"]):
                news.append(r["text"])
    return multipriv, news[: (n_max * 10 if n_max else None)]


def ours(items: list[str]) -> dict[str, list[bool]]:
    arr = pa.array(items, pa.string())
    return {cat: pc.match_substring_regex(arr, pattern).to_pylist() for cat, (pattern, _) in mention_patterns().items()}


def keywords(items: list[str], kw: dict[str, list[str]]) -> dict[str, list[bool]]:
    return {cat: [any(k in t for k in words) for t in items] for cat, words in kw.items()}


def rates(hits: dict[str, list[bool]], n: int) -> dict[str, float]:
    return {cat: round(sum(v) / n, 4) for cat, v in hits.items()} | {
        "any": round(sum(any(col) for col in zip(*hits.values(), strict=True)) / n, 4)}


def cpu_mb_per_s(fn, items: list[str], repeat: int = 3) -> float:
    mb = sum(len(t.encode("utf-8")) for t in items) / 1e6
    best = []
    for _ in range(repeat):
        t0 = time.process_time()
        fn(items)
        best.append(time.process_time() - t0)
    best.sort()
    return round(mb / max(best[len(best) // 2], 1e-9), 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    multipriv, news = texts(60 if args.quick else None)
    kw = reference_keywords()
    out: dict = {"benchmark": "sensitive_mentions", "quick": args.quick,
                 "multipriv_records": len(multipriv), "news_sentences_naming_a_person": len(news)}
    for name, fn in (("moli", ours), ("reference_keywords", lambda items: keywords(items, kw))):
        pos, neg = fn(multipriv), fn(news)
        out[name] = {
            "recall_multipriv": {c: rates(pos, len(multipriv))[c] for c in ("medical_health", "financial_account")},
            "flag_rate_news": rates(neg, len(news)),
            "flagged_news_sample": [t[:60] for t, flags in zip(news, zip(*neg.values(), strict=True), strict=True)
                                    if any(flags)][:12],
            "mb_per_cpu_s": cpu_mb_per_s(fn, multipriv + news),
        }
    out["speed_ratio"] = round(out["moli"]["mb_per_cpu_s"] / out["reference_keywords"]["mb_per_cpu_s"], 2)
    print(json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
