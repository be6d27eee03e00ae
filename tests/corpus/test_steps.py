import gzip
import json
import pickle

import pytest

from moli.core.errors import ConfigError
from moli.corpus.document import Document
from moli.corpus.steps import STEPS, get_step_class, load_quality_rules, quality_metrics

from .conftest import FIXTURES, PATTERN_KINDS


def _records():
    with gzip.open(FIXTURES / "docs" / "laws.jsonl.gz", "rt", encoding="utf-8") as fh:
        out = {}
        for line in fh:
            try:
                r = json.loads(line)
            except json.JSONDecodeError:
                continue
            if "text" in r:
                out[r["id"]] = Document(r["id"], r["text"], "laws.jsonl.gz", {})
        return out


def test_registry_has_the_contract_steps_and_rejects_unknown_names():
    for name in ("normalize", "language", "quality", "pii", "dedup_exact", "dedup_near"):
        assert STEPS[name].name == name
    with pytest.raises(ConfigError) as exc:
        get_step_class("dedupe")
    assert "dedupe" in exc.value.zh and "dedupe" in exc.value.en


def test_steps_are_picklable_with_their_parameters():
    step = get_step_class("dedup_near")(threshold=0.7, num_perm=64)
    again = pickle.loads(pickle.dumps(step))
    assert again.threshold == 0.7 and again.num_perm == 64 and again.name == "dedup_near"


def test_quality_keeps_laws_and_drops_navigation_and_english():
    docs = _records()
    kept, removed = get_step_class("quality")().process(list(docs.values()))
    kept_ids = {d.id for d in kept}
    assert {"law-93a3acc412b9", "law-b4f94f25bbe4", "law-3c6bed4e0060", "pii-1"} <= kept_ids
    reasons = {r.document.id: r.reason for r in removed}
    assert "nav-1" in reasons and reasons["nav-1"] in load_quality_rules()["rules"]
    assert "en-1" in reasons  # no Chinese characters at all


def test_quality_rules_carry_source_and_confidence():
    rules = load_quality_rules()["rules"]
    assert rules and all(r["source"] and r["confidence"] for r in rules.values())


def test_quality_override_changes_a_threshold():
    doc = _records()["pii-1"]
    assert quality_metrics(doc.text)["n_chars"] < 1000
    kept, removed = get_step_class("quality")(overrides={"min_chars": {"min": 1000}}).process([doc])
    assert not kept and removed[0].reason == "min_chars"


def test_language_step_labels_and_filters():
    docs = [Document("zh", "中华人民共和国数据安全法，自二〇二一年九月一日起施行。"),
            Document("en", "The law takes effect on 1 September 2021."),
            Document("ja", "この法律は、二〇二一年九月一日から施行する。")]
    kept, removed = get_step_class("language")().process(docs)
    assert [d.id for d in kept] == ["zh"] and kept[0].meta["language"] == "zh"
    assert {r.document.id: r.reason for r in removed} == {"en": "language_en", "ja": "language_ja"}


def test_pii_step_tags_and_records_output_spans():
    doc = _records()["pii-1"]
    kept, _ = get_step_class("pii")(mode="tag", kinds=PATTERN_KINDS).process([doc])
    out = kept[0]
    assert "13812345678" not in out.text and "[PHONE]" in out.text
    spans = out.meta["pii"]
    assert {s["kind"] for s in spans} == {"PHONE", "EMAIL"}
    for s in spans:
        assert out.text[s["start"]:s["end"]] == f"[{s['kind']}]"
    assert out.meta["pii_counts"] == {"PHONE": 1, "EMAIL": 1}


def test_pii_step_allow_list_keeps_named_values():
    doc = Document("d", "联系人：王建国，电话13945671234。热线电话13800138000由区政府公布。")
    kept, _ = get_step_class("pii")(mode="tag", allow=["13800138000"]).process([doc])
    out = kept[0].text
    assert "王建国" not in out and "13945671234" not in out and "13800138000" in out
    assert kept[0].meta["pii_counts"].get("PHONE") == 1


def test_pii_mode_is_validated():
    with pytest.raises(Exception) as exc:
        get_step_class("pii")(mode="shred")
    assert "shred" in str(exc.value)


def test_dedup_steps_keep_the_earliest_and_name_it():
    docs = _records()
    order = ["law-b4f94f25bbe4", "dup-exact", "law-3c6bed4e0060", "dup-near", "law-93a3acc412b9"]
    batch = [docs[i] for i in order]
    kept, removed = get_step_class("dedup_exact")().process(batch)
    assert [(r.document.id, r.reason, r.duplicate_of) for r in removed] == [
        ("dup-exact", "exact_duplicate", "law-b4f94f25bbe4")]
    kept2, removed2 = get_step_class("dedup_near")(threshold=0.7).process(kept)
    assert [(r.document.id, r.duplicate_of) for r in removed2] == [("dup-near", "law-3c6bed4e0060")]
    assert [d.id for d in kept2] == ["law-b4f94f25bbe4", "law-3c6bed4e0060", "law-93a3acc412b9"]


def test_normalize_drops_markup_comments_unless_told_not_to():
    text = "# 数据安全法\n\n2021年6月10日通过\n\n<!-- INFO END -->\n\n## 第一章　总则<!-- 编者注：\n多行 -->\n\n第一条　为了规范数据处理活动。"
    step = get_step_class("normalize")()
    kept, _ = step.process([Document(id="a", text=text)])
    assert "<!--" not in kept[0].text and "INFO END" not in kept[0].text and "编者注" not in kept[0].text
    assert "2021年6月10日通过\n\n## 第一章" in kept[0].text and "第一条" in kept[0].text
    kept, _ = get_step_class("normalize")(strip_comments=False).process([Document(id="b", text=text)])
    assert "<!-- INFO END -->" in kept[0].text
    kept, removed = step.process([Document(id="c", text="<!-- only a comment -->")])
    assert not kept and removed[0].reason == "empty_after_normalize"
