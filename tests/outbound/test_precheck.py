"""The pre-check against the case table (tests/outbound/cases.yaml), bad input, and the CLI contract."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from moli.core.errors import ConfigError, InputError
from moli.outbound.precheck import load_plan, parse_plan, precheck
from moli.outbound.rules import AUTHORITIES, load_rules

HERE = Path(__file__).resolve().parent
MOLI = str(Path(sys.executable).parent / "moli")
TABLE = yaml.safe_load((HERE / "cases.yaml").read_text(encoding="utf-8"))


def _merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def test_case_table_is_large_enough_and_cites_clauses():
    assert len(TABLE["cases"]) >= 30
    assert all(c.get("clause") for c in TABLE["cases"])
    names = [c["name"] for c in TABLE["cases"]]
    assert len(set(names)) == len(names)
    # Every rule in the YAML is exercised by at least one case.
    used = {v.split("/")[2] for c in TABLE["cases"] for v in c["expect"].values()}
    assert {r.id for r in load_rules().rules} <= used


@pytest.mark.parametrize("case", TABLE["cases"], ids=[c["name"] for c in TABLE["cases"]])
def test_case(case):
    result = precheck(parse_plan(_merge(TABLE["base"], case["plan"])))
    procs = {p["authority"]: p for p in result["procedures"]}
    assert [p["authority"] for p in result["procedures"]] == list(AUTHORITIES)
    for auth, want in case["expect"].items():
        action, level, rule_id = want.split("/")
        got = procs[auth]
        assert (got["action"], got["level"] or "-", got["rule_id"]) == (action, level, rule_id), case["clause"]
        assert got["clause"] and got["source"] and got["confidence"] in ("high", "medium", "low")
    if "order" in case:
        assert result["order"] == case["order"]
    for auth, text in case.get("where_include", {}).items():
        assert text in procs[auth]["where"]
    if case["plan"].get("investor", {}).get("province", "shanghai") == "shanghai":
        assert all("{" not in p["where"] for p in procs.values())
        assert procs["NDRC"]["level"] != "provincial" or "上海市发展和改革委员会" in procs["NDRC"]["where"]
    for auth, words in case.get("documents_include", {}).items():
        docs = " ".join(procs[auth]["documents"])
        assert all(w in docs for w in words)
    for auth, words in case.get("documents_exclude", {}).items():
        docs = " ".join(procs[auth]["documents"])
        assert not any(w in docs for w in words)
    qids = {q["id"] for q in result["open_questions"]}
    assert set(case.get("questions", [])) <= qids
    assert not set(case.get("no_questions", [])) & qids
    assert result["blocked"] is case.get("blocked", False)
    oids = {o["id"] for o in result["obligations"]}
    assert set(case.get("obligations", [])) <= oids
    assert not set(case.get("no_obligations", [])) & oids


def test_json_shape_fields():
    result = precheck(parse_plan(TABLE["base"]))
    assert set(result) >= {"procedures", "order", "open_questions"}
    for p in result["procedures"]:
        assert set(p) >= {"authority", "action", "level", "clause", "source", "confidence", "documents",
                          "time_limit_working_days"}
    ndrc = result["procedures"][0]
    assert ndrc["time_limit_working_days"] == 7 and ndrc["documents"]
    mofcom = result["procedures"][1]
    assert mofcom["time_limit_working_days"] == 3
    assert any("证书" in d or "备案表" in d for d in mofcom["documents"])


def _bad(tmp_path, text: str) -> InputError:
    f = tmp_path / "plan.yaml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        precheck(load_plan(f))
    return info.value


PLAN = """investor: {name: 甲公司, type: local}
investment:
  date: 2026-05-01
  amount_usd: AMOUNT
  destination_country: CC
  route: ROUTE
  funded_entirely_offshore: FUNDED
"""


def test_unknown_country_names_field_file_and_line(tmp_path):
    err = _bad(tmp_path, PLAN.replace("AMOUNT", "1").replace("CC", "XX").replace("ROUTE", "direct")
               .replace("FUNDED", "false"))
    assert err.field == "investment.destination_country"
    assert "XX" in err.zh and "未知" in err.zh and "unknown country" in err.en
    assert "plan.yaml" in err.zh and "第 5 行" in err.zh and "line 5" in err.en


def test_negative_amount(tmp_path):
    err = _bad(tmp_path, PLAN.replace("AMOUNT", "-100").replace("CC", "SG").replace("ROUTE", "direct")
               .replace("FUNDED", "false"))
    assert err.field == "investment.amount_usd" and "负数" in err.zh and "negative" in err.en
    assert "第 4 行" in err.zh


@pytest.mark.parametrize("route,funded", [("direct", "true"), ("offshore_controlled", "false")])
def test_route_contradicts_funding(tmp_path, route, funded):
    err = _bad(tmp_path, PLAN.replace("AMOUNT", "1").replace("CC", "SG").replace("ROUTE", route)
               .replace("FUNDED", funded))
    assert err.field == "investment.funded_entirely_offshore"
    assert "矛盾" in err.zh and "contradicts" in err.en


def test_bad_enum_and_missing_field(tmp_path):
    err = _bad(tmp_path, PLAN.replace("AMOUNT", "1").replace("CC", "SG").replace("ROUTE", "sideways")
               .replace("FUNDED", "false"))
    assert err.field == "investment.route" and "取值不在允许范围内" in err.zh
    err = _bad(tmp_path, "investor: {name: 甲, type: local}\n")
    assert err.field == "investment" and "缺少" in err.zh


def test_out_of_scope_destination(tmp_path):
    err = _bad(tmp_path, PLAN.replace("AMOUNT", "1").replace("CC", "CN").replace("ROUTE", "direct")
               .replace("FUNDED", "false"))
    assert "中国内地" in err.zh


def test_invalid_yaml_names_line(tmp_path):
    err = _bad(tmp_path, "investor: {name: 甲\ninvestment: [\n")
    assert "YAML" in err.zh and "line" in err.en


def test_rules_loader_names_file_and_key(tmp_path):
    data = yaml.safe_load((Path(load_rules.__code__.co_filename).parent / "data" / "rules.yaml").read_text())
    data["rules"][2]["action"] = "maybe"
    bad = tmp_path / "rules.yaml"
    bad.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_rules(bad)
    assert "rules.yaml" in info.value.zh and "rules[2]" in info.value.en and "action" in info.value.en
    data["rules"][2]["action"] = "filing"
    data["rules"][2]["source"] = ["S999"]
    bad.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_rules(bad)
    assert "S999" in info.value.en


def test_cli_json_and_html(tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text(yaml.safe_dump(_merge(TABLE["base"], {"technology_export": {
        "involved": True, "class": "restricted", "items": ["语音合成"]}}), allow_unicode=True), encoding="utf-8")
    out = tmp_path / "out" / "check.html"
    proc = subprocess.run([MOLI, "outbound", "precheck", "--plan", str(plan), "--json",
                           "--html", str(out)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert [p["authority"] for p in result["procedures"]] == list(AUTHORITIES)
    assert result["order"][0] == "TECH_EXPORT"
    html = out.read_text(encoding="utf-8")
    assert "预检结果清单" in html and "技术出口许可意向书" in html
    assert not list(out.parent.glob("*.tmp"))


def test_cli_bad_input_exit_code(tmp_path):
    plan = tmp_path / "plan.yaml"
    plan.write_text(PLAN.replace("AMOUNT", "-1").replace("CC", "SG").replace("ROUTE", "direct")
                    .replace("FUNDED", "false"), encoding="utf-8")
    out = tmp_path / "check.html"
    proc = subprocess.run([MOLI, "outbound", "precheck", "--plan", str(plan), "--html",
                           str(out)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "负数" in proc.stderr and "negative" in proc.stderr
    assert not out.exists()


def test_impossible_date_is_a_field_error(tmp_path):
    err = _bad(tmp_path, PLAN.replace("2026-05-01", "2026-13-40").replace("AMOUNT", "1").replace("CC", "SG")
               .replace("ROUTE", "direct").replace("FUNDED", "false"))
    assert err.field == "investment.date" and "第 3 行" in err.zh and "日期" in err.zh


def test_html_checklist_for_blocked_and_offshore_plans():
    from moli.outbound.report import render_page

    blocked = precheck(parse_plan(_merge(TABLE["base"], {"technology_export": {"involved": True,
                                                                                 "class": "prohibited"}})))
    html = render_page(blocked)
    assert 'class="blocked"' in html and "禁止出口" in html
    assert 'data-authority="TECH_EXPORT" data-action' not in html.split('class="procedures"')[0]
    offshore = precheck(parse_plan(_merge(TABLE["base"], {"investment": {"route": "offshore_controlled",
                                                                         "amount_usd": 400000000}})))
    html = render_page(offshore)
    steps = html.split('class="steps"')[1].split("</ol>")[0]
    assert 'data-authority="NDRC" data-action="report"' in steps and "SAFE" not in steps
    assert "大额非敏感类项目情况报告表" in steps and 'class="blocked"' not in html


def test_rules_are_versioned_by_effective_date():
    """A rule with effective_from after the plan's date is ignored; on or after it, it wins."""
    from moli.outbound.rules import default_data

    rules, countries, industries, catalogue = default_data()
    n4 = next(r for r in rules.rules if r.id == "N4")
    future = n4.model_copy(update={"id": "N4_2027", "effective_from": n4.effective_from.replace(year=2027),
                                   "action": "report", "clause": "假设的新规则 / a hypothetical future rule"})
    retired = n4.model_copy(update={"effective_to": n4.effective_from.replace(year=2027)})
    custom = rules.model_copy(update={"rules": [future if r.id == "N4" else r for r in rules.rules] + [retired]})
    data = (custom, countries, industries, catalogue)
    before = precheck(parse_plan(_merge(TABLE["base"], {"investment": {"date": "2026-12-31"}})), data)
    after = precheck(parse_plan(_merge(TABLE["base"], {"investment": {"date": "2027-03-01"}})), data)
    assert (before["procedures"][0]["rule_id"], before["procedures"][0]["action"]) == ("N4", "filing")
    assert (after["procedures"][0]["rule_id"], after["procedures"][0]["action"]) == ("N4_2027", "report")


def test_plan_before_the_rule_set_is_rejected():
    with pytest.raises(InputError) as info:
        precheck(parse_plan(_merge(TABLE["base"], {"investment": {"date": "2017-06-01"}})))
    assert info.value.field == "investment.date" and "2018-03-01" in info.value.zh


def test_cli_rules_lists_and_validates(tmp_path):
    from typer.testing import CliRunner

    from moli.outbound.cli import app

    runner = CliRunner()
    res = runner.invoke(app, ["rules", "--json"])
    assert res.exit_code == 0, res.output
    ids = [r["id"] for r in json.loads(res.output)["rules"]]
    assert {"N1", "N5", "M2", "F1", "T2"} <= set(ids)
    bad = tmp_path / "rules.yaml"
    bad.write_text("regime: x\n", encoding="utf-8")
    res = runner.invoke(app, ["rules", "--file", str(bad)])
    assert isinstance(res.exception, ConfigError) and "rules.yaml" in res.exception.zh


GOOD_PLAN = ("investor: {name: 浦东某大模型公司, type: local, province: shanghai}\ninvestment:\n  date: 2026-05-01\n"
             "  amount_usd: 20000000\n  destination_country: SG\n  industry: 人工智能\n  route: direct\n")


def test_a_gb18030_plan_is_an_error_naming_the_file_and_offset(tmp_path):
    plan = tmp_path / "op_gb.yaml"
    plan.write_bytes(GOOD_PLAN.encode("gb18030"))  # was a UnicodeDecodeError traceback
    with pytest.raises(InputError) as info:
        load_plan(plan)
    assert "op_gb.yaml" in info.value.zh and "UTF-8" in info.value.zh and "byte offset" in info.value.en
    with pytest.raises(InputError, match="找不到文件"):
        load_plan(tmp_path / "missing.yaml")
    plan.write_text(GOOD_PLAN, encoding="utf-8-sig")  # a BOM is fine
    assert load_plan(plan).investment.amount_usd == 20000000


@pytest.mark.parametrize("amount, zh", [(".nan", "有限的数字"), (".inf", "有限的数字"), ("-.inf", "有限的数字"),
                                        ("1e400", "有限的数字"), ("true", "应为数字")])
def test_a_non_finite_or_non_numeric_amount_is_refused_by_field(tmp_path, amount, zh):
    # .nan printed the engine's internal facts ("规则集没有覆盖此情形 … nan"); .inf was read as "3亿美元及以上".
    err = _bad(tmp_path, GOOD_PLAN.replace("20000000", amount))
    assert err.field == "investment.amount_usd" and zh in err.zh and "第 4 行" in err.zh
    assert "规则集" not in err.zh


def test_a_non_finite_amount_from_the_json_api_is_refused():
    plan = yaml.safe_load(GOOD_PLAN)
    plan["investment"]["amount_usd"] = float("nan")
    with pytest.raises(InputError) as info:
        parse_plan(plan)
    assert info.value.field == "investment.amount_usd"


def test_cli_html_output_that_is_a_folder_or_under_a_file_is_refused_before_anything(tmp_path):
    plan = tmp_path / "op.yaml"
    plan.write_text(GOOD_PLAN, encoding="utf-8")
    folder = tmp_path / "outdir"
    folder.mkdir()
    proc = subprocess.run([MOLI, "outbound", "precheck", "--plan", str(plan), "--html", str(folder), "--json"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert "文件夹" in proc.stderr and "is a folder" in proc.stderr and proc.stdout == ""
    assert list(folder.iterdir()) == []
    proc = subprocess.run([MOLI, "outbound", "precheck", "--plan", str(plan), "--html", str(plan / "x.html")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert "不是文件夹" in proc.stderr and "not a folder" in proc.stderr
