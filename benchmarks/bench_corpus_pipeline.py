"""Whole-pipeline throughput per core: moli vs datatrove on the same input, in one run (整条流水线吞吐量).

Input: real Chinese government text from ../shared/data/gov_docs/ (laws, regulations, government
work reports) cut at paragraph boundaries into 1–3 KB documents, plus 10 % exact copies (whitespace
and full-width changes) and 10 % edited copies (a paragraph dropped, a sentence added), shuffled with
a fixed seed, written once as JSONL.

moli: ``normalize → quality → pii → dedup_exact → dedup_near`` with the local executor, one worker
process (one core), JSONL in, Parquet shards out.

datatrove (its closest equivalent, one task, one worker): JsonlReader → FTFYFormatter →
GopherRepetitionFilter + GopherQualityFilter (language zh; statistics computed as usual but the
thresholds opened, otherwise datatrove drops every Chinese document — see bench_corpus_quality.py) →
PIIFormatter → exact dedup (signature, find, filter) → MinHash dedup (signature, buckets, cluster,
filter; character-level needs no tokenizer setting, we keep its defaults: 5-grams of words,
14 × 8 = 112 hashes) → JsonlWriter. Each datatrove stage re-reads its input, as its docs prescribe.

Wall time is end to end (read, process, write) for each side. Output JSON: docs/s and MB/s per core
for both, kept counts, the ratio and whether the target (≥ 2×) is met.

    nice .venv/bin/python benchmarks/bench_corpus_pipeline.py [--quick] [--docs N]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from moli.core.paths import shared_dir  # noqa: E402

PII_KINDS = ["PHONE", "ID_CARD", "EMAIL", "BANK_CARD", "IP_ADDRESS", "PASSPORT", "LICENSE_PLATE"]


def make_input(folder: Path, n_docs: int, seed: int = 7) -> tuple[Path, int, int]:
    """Write the benchmark JSONL; returns (path, documents, bytes)."""
    rng = random.Random(seed)
    chunks: list[str] = []
    for name in ("laws_regulations", "gov_reports"):
        with gzip.open(shared_dir() / "data" / "gov_docs" / f"{name}.jsonl.gz", "rt", encoding="utf-8") as fh:
            for line in fh:
                paras = [p.strip() for p in json.loads(line)["text"].split("\n") if p.strip()]
                cur, size, target = [], 0, rng.randint(1024, 3072)
                for p in paras:
                    cur.append(p)
                    size += len(p.encode("utf-8"))
                    if size >= target:
                        chunks.append("\n".join(cur))
                        cur, size, target = [], 0, rng.randint(1024, 3072)
    rng.shuffle(chunks)
    originals = chunks[: int(n_docs / 1.2)]
    docs = list(originals)
    for i in range(n_docs - len(originals)):
        src = rng.choice(originals)
        if i % 2 == 0:  # exact copy after normalisation
            docs.append(src.replace("，", "， ", 1).replace("\n", "\n\n", 1))
        else:  # edited copy
            paras = src.split("\n")
            if len(paras) > 3:
                del paras[rng.randrange(len(paras))]
            paras.insert(rng.randrange(len(paras) + 1), "本条由有关主管部门负责解释。")
            docs.append("\n".join(paras))
    rng.shuffle(docs)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "input.jsonl"
    with open(path, "w", encoding="utf-8") as fh:
        for i, text in enumerate(docs):
            fh.write(json.dumps({"id": f"doc-{i:07d}", "text": text}, ensure_ascii=False) + "\n")
    return path, len(docs), path.stat().st_size


def run_moli(inp: Path, work: Path) -> dict:
    from moli.corpus.pipeline import build
    from moli.corpus.recipe import recipe_from_dict

    recipe = recipe_from_dict({
        "name": "bench",
        "input": {"paths": [str(inp)], "format": "jsonl"},
        "steps": [{"normalize": {"t2s": True}}, {"quality": {}}, {"pii": {"mode": "tag", "kinds": PII_KINDS}},
                  {"dedup_exact": {}}, {"dedup_near": {"threshold": 0.8, "num_perm": 128, "ngram": 5}}],
        "output": {"path": str(work / "moli-out"), "shard_size": 100000},
    }, base_dir=work)
    t0 = time.perf_counter()
    res = build(recipe, workers=1)
    dt = time.perf_counter() - t0
    return {"seconds": round(dt, 3), "kept": res.summary["kept"], "removed": res.summary["removed"],
            "step_seconds": {s["name"]: s["seconds"] for s in res.stats["steps"]}}


def _content(doc) -> str:
    return doc.text


def _xxhash_compat() -> None:
    """datatrove pins xxhash<4, which hashed ``str`` directly; xxhash 4 (installed here) wants bytes.
    Restore the old behaviour (UTF-8, as xxhash 3 did) so datatrove runs unchanged otherwise."""
    import xxhash
    from datatrove.utils.hashes import xxhash as dt_xx

    if int(xxhash.VERSION.split(".")[0]) < 4:
        return

    def xxhash32(data):
        return xxhash.xxh32_intdigest(data.encode("utf-8") if isinstance(data, str) else data)

    def xxhash64(data):
        return xxhash.xxh64_intdigest(data.encode("utf-8") if isinstance(data, str) else data)

    dt_xx.xxhash32, dt_xx.xxhash64 = xxhash32, xxhash64


def run_datatrove(inp: Path, work: Path) -> dict:
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup import MinhashDedupCluster, MinhashDedupFilter, MinhashDedupSignature
    from datatrove.pipeline.dedup.exact_dedup import (
        ExactDedupConfig,
        ExactDedupFilter,
        ExactDedupSignature,
        ExactFindDedups,
    )
    from datatrove.pipeline.dedup.minhash import MinhashConfig, MinhashDedupBuckets
    from datatrove.pipeline.filters import GopherQualityFilter, GopherRepetitionFilter
    from datatrove.pipeline.formatters import FTFYFormatter, PIIFormatter
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter

    _xxhash_compat()
    w = work / "dt"
    logs = str(w / "logs")
    exact_cfg = ExactDedupConfig(content_getter=_content)
    mh_cfg = MinhashConfig()

    def run(name, pipeline, tasks=1):
        LocalPipelineExecutor(pipeline=pipeline, tasks=tasks, workers=1, logging_dir=f"{logs}/{name}",
                              skip_completed=False).run()

    t0 = time.perf_counter()
    run("filter", [
        JsonlReader(str(inp.parent), glob_pattern=inp.name),
        FTFYFormatter(),
        # Same statistics computed, thresholds opened: with its defaults datatrove's zh word tokenizer
        # makes Gopher drop every Chinese document (top-n-gram and short-doc rules), and nothing
        # would reach the PII and dedup stages.
        GopherRepetitionFilter(language="zh", top_n_grams=((2, 1.01), (3, 1.01), (4, 1.01)),
                               dup_n_grams=((5, 1.01), (6, 1.01), (7, 1.01), (8, 1.01), (9, 1.01), (10, 1.01))),
        GopherQualityFilter(language="zh", min_doc_words=None, min_avg_word_length=None,
                            max_avg_word_length=None, min_stop_words=None, max_non_alpha_words_ratio=None,
                            max_symbol_word_ratio=None),
        PIIFormatter(),
        JsonlWriter(str(w / "filtered")),
    ])
    run("exact_sig", [JsonlReader(str(w / "filtered")), ExactDedupSignature(str(w / "exact_sigs"), exact_cfg)])
    run("exact_find", [ExactFindDedups(str(w / "exact_sigs"), str(w / "exact_dups"), exact_cfg)])
    run("exact_filter", [JsonlReader(str(w / "filtered")), ExactDedupFilter(str(w / "exact_dups"), exact_cfg),
                         JsonlWriter(str(w / "exact_out"))])
    run("mh_sig", [JsonlReader(str(w / "exact_out")), MinhashDedupSignature(str(w / "mh_sigs"), config=mh_cfg,
                                                                             language="zh")])
    run("mh_buckets", [MinhashDedupBuckets(str(w / "mh_sigs"), str(w / "mh_buckets"), config=mh_cfg)],
        tasks=mh_cfg.num_buckets)  # one task per bucket (datatrove requires it), still one worker
    run("mh_cluster", [MinhashDedupCluster(str(w / "mh_buckets"), str(w / "mh_remove"), config=mh_cfg)])
    run("mh_filter", [JsonlReader(str(w / "exact_out")), MinhashDedupFilter(str(w / "mh_remove")),
                      JsonlWriter(str(w / "final"))])
    dt = time.perf_counter() - t0
    kept = 0
    for p in (w / "final").glob("*.jsonl*"):
        opener = gzip.open if p.suffix == ".gz" else open
        with opener(p, "rt", encoding="utf-8") as fh:
            kept += sum(1 for _ in fh)
    return {"seconds": round(dt, 3), "kept": kept}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="600 documents")
    ap.add_argument("--docs", type=int, default=3000)
    args = ap.parse_args()
    n = 600 if args.quick else args.docs
    work = Path(tempfile.mkdtemp(prefix="bench-corpus-"))
    try:
        inp, n_docs, n_bytes = make_input(work / "in", n)
        moli = run_moli(inp, work)
        dt = run_datatrove(inp, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for side in (moli, dt):
        side["docs_per_second_per_core"] = round(n_docs / side["seconds"], 1)
        side["mb_per_second_per_core"] = round(n_bytes / 1e6 / side["seconds"], 3)
    ratio = round(moli["docs_per_second_per_core"] / dt["docs_per_second_per_core"], 2)
    print(json.dumps({
        "benchmark": "corpus_pipeline",
        "command": "nice .venv/bin/python benchmarks/bench_corpus_pipeline.py" + (" --quick" if args.quick else f" --docs {n}"),
        "input": {"documents": n_docs, "bytes": n_bytes, "source": "gov_docs chunks 1-3 KB + 10% exact + 10% edited copies"},
        "moli": moli, "datatrove": dt,
        "ratio_moli_vs_datatrove": ratio,
        "target": ">= 2.0x per core", "target_met": ratio >= 2.0,
    }, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
