import json

import pytest

from moli.core.errors import InputError
from moli.market.schemas import load_offerings, load_scenario, load_test_set, parse_offering, parse_scenario


def test_offering_fields_are_normalised_and_extras_kept():
    o = parse_offering({"id": "m1", "name": "M", "tasks": "question-answering, summarization",
                        "languages": ["ZH", "en"], "data_residency": ["cn"], "endpoint": "http://127.0.0.1:9/v1/",
                        "api_model": "qwen"})
    assert o.tasks == ["question-answering", "summarization"]
    assert o.languages == ["zh", "en"] and o.data_residency == ["CN"]
    assert o.endpoint == "http://127.0.0.1:9/v1"
    assert o.model_extra == {"api_model": "qwen"}


@pytest.mark.parametrize("bad, field, zh", [
    ({"tasks": ["painting"]}, "tasks", "未知的任务"),
    ({"price_per_million_tokens_cny": -1}, "price_per_million_tokens_cny", "不能小于"),
    ({"endpoint": "ftp://example.com/v1"}, "endpoint", "不是有效的"),
    ({"endpoint": "http://exa mple.com"}, "endpoint", "不是有效的"),
    ({"deployment": ["cloud"]}, "deployment", "未知的部署方式"),
    ({"domains": ["medicine"]}, "domains", "未知的领域"),
    ({"filing": {"status": "yes"}}, "filing.status", "取值无效"),
    ({"context_length": 0}, "context_length", "必须大于"),
])
def test_bad_offering_names_the_field_in_both_languages(bad, field, zh):
    with pytest.raises(InputError) as ei:
        parse_offering({"id": "x", "name": "X", **bad}, "offers.jsonl:7")
    err = ei.value
    assert err.field == field
    assert "offers.jsonl:7" in err.zh and "offers.jsonl:7" in err.en
    assert zh in err.zh and field in err.en


def test_bad_jsonl_line_is_named(tmp_path):
    p = tmp_path / "o.jsonl"
    p.write_text('{"id": "a", "name": "A"}\n{"id": "b", "name": \n', encoding="utf-8")
    with pytest.raises(InputError) as ei:
        load_offerings(p)
    assert f"{p}:2" in ei.value.zh and "invalid JSON" in ei.value.en


def test_duplicate_offering_id_is_refused(tmp_path):
    p = tmp_path / "o.jsonl"
    p.write_text('{"id": "a", "name": "A"}\n{"id": "a", "name": "B"}\n', encoding="utf-8")
    with pytest.raises(InputError, match="duplicates"):
        load_offerings(p)


def test_scenario_file_and_constraints(fixtures):
    s = load_scenario(fixtures / "scenario_drug.yaml")
    assert s.industry == "biomedicine" and s.constraints.data_must_stay_in == "CN"
    assert s.constraints.deployment == ["private", "api"]
    with pytest.raises(InputError) as ei:
        parse_scenario({"id": "s", "title": "T", "constraints": {"max_price_per_million_tokens_cny": -2}}, "s.yaml")
    assert ei.value.field == "constraints.max_price_per_million_tokens_cny"
    with pytest.raises(InputError) as ei:
        parse_scenario({"id": "s", "title": "T", "constraints": {"budget": 3}}, "s.yaml")
    assert ei.value.field == "constraints.budget"
    with pytest.raises(InputError) as ei:
        parse_scenario({"id": "s", "title": "T", "industry": "medicine"}, "s.yaml")
    assert ei.value.field == "industry"


def test_test_set_line_without_prompt_is_named(tmp_path, fixtures):
    items = load_test_set(fixtures / "testset.jsonl")
    assert len(items) == 12 and items[-1].choices == ["黄浦区", "浦东新区", "徐汇区"]
    p = tmp_path / "t.jsonl"
    p.write_text(json.dumps({"prompt": "问", "reference": "答"}, ensure_ascii=False) + "\n"
                 + json.dumps({"reference": "答"}, ensure_ascii=False) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as ei:
        load_test_set(p)
    assert f"{p}:2" in ei.value.zh and "缺少 prompt" in ei.value.zh and "missing field prompt" in ei.value.en


def test_an_impossible_date_in_a_yaml_offering_names_the_field(tmp_path):
    # PyYAML turned 2024-02-30 into a ValueError traceback; the schema now reads the string and names the field.
    p = tmp_path / "off.yaml"
    p.write_text("- id: r-off\n  name: n\n  vendor: v\n  description: d\n"
                 "  filing: {status: filed, number: X, date: 2024-02-30}\n", encoding="utf-8")
    with pytest.raises(InputError) as ei:
        load_offerings(p)
    assert ei.value.field == "filing.date" and f"{p}#1" in ei.value.zh and "应为日期" in ei.value.zh
    p.write_text(p.read_text(encoding="utf-8").replace("02-30", "02-03"), encoding="utf-8")
    assert str(load_offerings(p)[0].filing.date) == "2024-02-03"  # a real date is still a date
