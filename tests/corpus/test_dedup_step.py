"""The dedup_near step in a real build: exact verification, leader linkage, texts streamed from staging."""

import json
import random

import pyarrow.parquet as pq

from moli.corpus.dedup import jaccard
from moli.corpus.document import Document
from moli.corpus.pipeline import build
from moli.corpus.recipe import recipe_from_dict
from moli.corpus.steps import get_step_class

CHARS = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]


def _edit(text: str, k: int, rng: random.Random) -> str:
    t = list(text)
    for _ in range(k):
        t[rng.randrange(len(t))] = rng.choice(CHARS)
    return "".join(t)


def _chain():
    """A ≈ B and B ≈ C (J ≥ 0.8) while A and C are not (J < 0.8)."""
    rng = random.Random(5)
    a = "".join(rng.choice(CHARS) for _ in range(800))
    b = _edit(a, 12, rng)
    c = _edit(b, 12, rng)
    other = "".join(rng.choice(CHARS) for _ in range(800))
    assert jaccard(a, b) >= 0.8 and jaccard(b, c) >= 0.8 and jaccard(a, c) < 0.8
    return a, b, c, other


def test_leader_linkage_keeps_what_is_not_similar_to_a_kept_document():
    a, b, c, other = _chain()
    docs = [Document("a", a), Document("b", b), Document("c", c), Document("x", other)]
    leader_kept, leader_removed = get_step_class("dedup_near")().process(docs)
    assert [d.id for d in leader_kept] == ["a", "c", "x"]
    assert [(r.document.id, r.duplicate_of) for r in leader_removed] == [("b", "a")]
    single_kept, single_removed = get_step_class("dedup_near")(linkage="single").process(docs)
    assert [d.id for d in single_kept] == ["a", "x"] and {r.document.id for r in single_removed} == {"b", "c"}


def test_build_streams_texts_to_the_step_across_shards(tmp_path):
    a, b, c, other = _chain()
    src = tmp_path / "in"
    src.mkdir()
    # three input files, so the texts come from several staged shards
    for name, rows in {"1.jsonl": [("a", a), ("x", other)], "2.jsonl": [("b", b)], "3.jsonl": [("c", c)]}.items():
        (src / name).write_text("\n".join(json.dumps({"id": i, "text": t}, ensure_ascii=False) for i, t in rows),
                                encoding="utf-8")
    recipe = recipe_from_dict({
        "name": "dedup-step",
        "input": {"paths": ["in/*.jsonl"], "format": "auto", "text_field": "text", "id_field": "id"},
        "steps": [{"dedup_near": {"threshold": 0.8}}],
        "output": {"path": "out", "format": "parquet", "shard_size": 100},
    }, base_dir=tmp_path)
    out = build(recipe, workers=1).out_dir
    kept = sorted(r["id"] for f in (out / "data").glob("*.parquet") for r in pq.read_table(f).to_pylist())
    removed = [r for f in (out / "removed").glob("*.parquet") for r in pq.read_table(f).to_pylist()]
    assert kept == ["a", "c", "x"]
    card = json.loads((out / "croissant.json").read_text(encoding="utf-8"))  # written with every build
    assert card["name"] == "dedup-step" and "## 血缘 Lineage" in (out / "README.md").read_text(encoding="utf-8")
    assert [(r["id"], r["removed_by"], r["reason"], r["duplicate_of"]) for r in removed] == \
        [("b", "dedup_near", "near_duplicate", "a")]
