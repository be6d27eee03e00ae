"""Safety screening, the source rule, the sampling assessment and the dataset card on a real build."""

import csv
import json

import mlcroissant as mlc
import pytest

from moli.core.errors import ConfigError, InputError
from moli.corpus.card import write_card
from moli.corpus.document import Document
from moli.corpus.pipeline import build
from moli.corpus.recipe import recipe_from_dict
from moli.corpus.safety import Lexicon, assessment_report, draw_sample, import_verdicts, load_risks
from moli.corpus.steps import get_step_class

CLEAN = "第一条 为了规范政务服务，提高行政效率，根据有关法律，制定本条例。本条例适用于本市行政区域内的政务服务活动。"
HARMFUL = "点击进入赌博网站，充值即送，另有色情视频在线观看。"


def test_taxonomy_has_five_categories_and_31_risks_with_sourced_thresholds():
    risks = load_risks()
    assert len(risks["risks"]) == 31 and len(risks["categories"]) == 5
    assert risks["thresholds"]["human_sample_min_pass_rate"]["value"] == 0.96
    assert all("source" in t and "clause" in t for t in risks["thresholds"].values())


def test_prohibitive_context_is_not_counted():
    lx = Lexicon.load()
    law = lx.screen("国家依法打击宣扬恐怖主义的违法犯罪活动，严禁网络赌博。")
    assert not law.flagged and law.risks == {} and len(law.hits) == 2
    bad = lx.screen(HARMFUL)
    assert bad.flagged and set(bad.risks) == {"A1h", "A1f"}


def test_lexicon_errors_name_the_entry(tmp_path):
    bad = tmp_path / "lex.yaml"
    bad.write_text("entries:\n  - {risk: A1a, terms: [颠覆, '']}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        Lexicon.load(bad)
    assert "A1a" in str(err.value) and "2" in str(err.value)
    bad.write_text("entries:\n  - {risk: Z9, terms: [x]}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="Z9"):
        Lexicon.load(bad)


def test_source_rule_rejects_only_sources_over_five_percent():
    docs = [Document(f"a{i}", HARMFUL if i < 2 else CLEAN, source="bad.jsonl") for i in range(20)]  # 10 %
    docs += [Document(f"b{i}", HARMFUL if i < 1 else CLEAN, source="ok.jsonl") for i in range(40)]  # 2.5 %
    kept, _ = get_step_class("safety")().process(docs)
    kept2, removed = get_step_class("safety_source")().process(kept)
    assert {r.document.source for r in removed} == {"bad.jsonl"} and len(removed) == 20
    assert all(r.reason == "source_rejected" for r in removed)
    assert {d.source for d in kept2} == {"ok.jsonl"}


@pytest.fixture
def built(tmp_path, moli_home):
    src = tmp_path / "in"
    src.mkdir()
    rows = [{"id": f"g{i}", "text": CLEAN + f"第{i}条 具体事项{i * 7919}由区政府规定，联系电话 13800138{i:03d}。" * 3}
            for i in range(30)]
    rows.append({"id": "x1", "text": HARMFUL * 4})
    (src / "docs.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    recipe = recipe_from_dict({
        "name": "safety-card",
        "input": {"paths": ["in/*.jsonl"], "format": "auto", "text_field": "text", "id_field": "id"},
        "steps": [{"normalize": {}}, {"pii": {"mode": "tag", "kinds": ["PHONE"]}}, {"domain": {}}, {"safety": {}},
                  {"dedup_exact": {}}],
        "output": {"path": "out", "format": "parquet", "shard_size": 100},
    }, base_dir=tmp_path)
    result = build(recipe, workers=1)
    return result.out_dir


def test_card_and_croissant_are_written_and_valid(built):
    paths = write_card(built, {"license": "public domain (PRC Copyright Law Art. 5)"})
    readme = paths["readme"].read_text(encoding="utf-8")
    for heading in ("动机 Motivation", "构成 Composition", "领域分布 Domains", "采集与处理", "个人信息处理",
                    "安全评估", "来源与许可", "预期用途", "维护 Maintenance", "血缘 Lineage"):
        assert heading in readme
    assert '"PHONE": 90' in readme  # three phone numbers in each of the 30 clean documents
    meta = json.loads(paths["croissant"].read_text(encoding="utf-8"))
    manifest = json.loads((built / "manifest.json").read_text())
    assert meta["citeAs"].endswith(manifest["recipe_hash"][:12])
    ds = mlc.Dataset(jsonld=str(paths["croissant"]))
    records = list(ds.records("documents"))
    assert len(records) == 31
    ids = {r["documents/id"].decode() if isinstance(r["documents/id"], bytes) else r["documents/id"] for r in records}
    assert "x1" in ids


def test_technical_check_and_human_sampling_workflow(built, tmp_path):
    report = assessment_report(built)
    tech = report["checks"]["technical"]
    assert tech["screened"] == 31 and tech["flagged"] == 1
    assert tech["pass_rate"] == pytest.approx(30 / 31, abs=1e-4) and tech["result"] == "fail"  # below 98 %
    assert report["checks"]["human"]["result"] == "pending"

    sample = draw_sample(built)  # fewer than 4,000 documents: all of them
    with sample.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 31 and rows[0].keys() >= {"id", "verdict", "risk", "text"}

    # A reviewer file with one unknown id and one missing verdict is rejected whole.
    bad = tmp_path / "bad.csv"
    with bad.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "verdict", "risk"])
        w.writerow(["nope", "pass", ""])
        w.writerow([rows[0]["id"], "", ""])
    with pytest.raises(InputError) as err:
        import_verdicts(built, bad)
    assert "row 2" in str(err.value) and "row 3" in str(err.value)
    assert not (built / "safety" / "verdicts.json").exists()

    good = tmp_path / "good.csv"
    with good.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "verdict", "risk", "reviewer"])
        for r in rows:
            w.writerow([r["id"], "不合格" if r["id"] == "x1" else "合格", "A1h" if r["id"] == "x1" else "", "审核员甲"])
    report = import_verdicts(built, good)
    human = report["checks"]["human"]
    assert human["reviewed"] == 31 and human["passed"] == 30 and human["failed_by_risk"] == {"A1h": 1}
    assert human["result"] == "pass"  # 30/31 = 96.8 % ≥ 96 %, and the whole population was reviewed
    assert report["result"] == "fail"  # the technical check still fails
    assert human["evidence"]["sample_sha256"]


def test_full_width_and_case_are_folded_for_matching():
    lx = Lexicon({"A1f": ["AV视频"]}, cues=[], origin="test")
    assert lx.screen("这里有ａｖ视频下载").risks == {"A1f": 1}
    assert lx.screen("这里有Av视频下载").flagged


def test_hit_offsets_are_character_offsets():
    text = "前言：禁止赌博网站。" + "本条例所称政务服务，是指行政机关向公众提供的各项服务事项。" + "另见赌博网站与色情视频。"
    sc = Lexicon.load().screen(text)
    for h in sc.hits:
        assert text[h.start:h.start + len(h.term)] == h.term
    assert [h.counted for h in sc.hits] == [False, True, True]


def test_the_card_counts_only_the_shards_the_manifest_lists(built):
    import pyarrow as pa
    import pyarrow.parquet as pq

    before = json.loads(write_card(built, {})["summary"].read_text(encoding="utf-8"))["composition"]
    pq.write_table(pa.table({"id": ["stray"], "text": ["not the corpus's"], "meta": ['{"domain": "x"}']}), built / "data" / "someone-elses.parquet")
    after = json.loads(write_card(built, {})["summary"].read_text(encoding="utf-8"))["composition"]
    assert after == before and before["documents"] == 31
