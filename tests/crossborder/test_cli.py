"""The command line: the JSON contract, reports written whole, bad input named, partial data marked."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import yaml
from typer.testing import CliRunner

from moli.cli import app

from .conftest import write_csv, write_jsonl

runner = CliRunner()
PLAN = {
    "exporter": {"name": "示例科技", "is_ciio": False, "registration": "lingang", "sector": "ai"},
    "transfer": {"date": "2026-05-01", "recipient": {"name": "US Cloud", "country": "US"}, "activity": "other",
                 "scenario": "none", "necessity_justified": False, "remote_access": False},
    "data": {"individuals": 120000, "sensitive_individuals": 0, "important_data": False},
    "history": [{"date": "2026-02-01", "individuals": 5000, "sensitive_individuals": 0}],
}


def _plan(tmp_path, **data):
    p = tmp_path / "plan.yaml"
    plan = {**PLAN, "data": {**PLAN["data"], **data}}
    p.write_text(yaml.safe_dump(plan, allow_unicode=True), encoding="utf-8")
    return p


def test_assess_json_contract(tmp_path, moli_home):
    res = runner.invoke(app, ["crossborder", "assess", "--plan", str(_plan(tmp_path)), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["path"] == "standard_contract_or_certification"
    assert out["counts"]["individuals_window"] == 125000 and "sensitive_individuals_window" in out["counts"]
    assert {"id", "clause", "source", "confidence", "effect"} <= set(out["rules"][0])
    assert isinstance(out["obligations"], list) and isinstance(out["open_questions"], list)


def test_assess_with_scanned_data_and_reports(tmp_path, moli_home, people):
    data = write_csv(tmp_path / "orders.csv", people.rows)
    html, md = tmp_path / "r.html", tmp_path / "r.md"
    res = runner.invoke(app, ["crossborder", "assess", "--plan", str(_plan(tmp_path)), str(data), "--json",
                              "--html", str(html), "--md", str(md)])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["counts"]["this_transfer"] == {"individuals": people.individuals,
                                              "sensitive_individuals": people.sensitive_pipl, "origin": "scan"}
    assert out["path"] == "standard_contract_or_certification"  # sensitive PI of a few people
    assert out["paths_by_profile"]["gbt35273_2020_strict"] == "standard_contract_or_certification"
    assert "replaced by the scanned counts" in out["notes"][0]["en"]
    text = html.read_text(encoding="utf-8")
    assert "订立个人信息出境标准合同" in text and "S01 第八条" in text and "@media print" in text
    assert md.read_text(encoding="utf-8").startswith("# 数据出境评估报告")
    # Deadlines read as sentences with their dates, in the JSON and in both reports.
    dl = {d["id"]: d for d in out["deadlines"]}
    assert dl["records"]["zh"] == f"至少保存 3 年，至 {dl['records']['until']}"
    assert dl["scc_filing"]["en"] == "within 10 working days after the contract takes effect"
    for report in (text, md.read_text(encoding="utf-8")):
        assert dl["records"]["zh"] in report and "合同生效后 10 个工作日内" in report and "retain_years" not in report
    assert not list(tmp_path.glob(".*.tmp"))


def test_partial_data_only_with_flag(tmp_path, moli_home, people):
    data = write_csv(tmp_path / "orders.csv", people.rows)
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 not really")
    md = tmp_path / "r.md"
    res = runner.invoke(app, ["crossborder", "assess", "--plan", str(_plan(tmp_path)), str(data), str(broken),
                              "--md", str(md)])
    assert res.exit_code != 0 and not md.exists()
    res = runner.invoke(app, ["crossborder", "assess", "--plan", str(_plan(tmp_path)), str(data), str(broken),
                              "--allow-partial", "--md", str(md), "--json"])
    assert res.exit_code == 0, res.output
    assert md.read_text(encoding="utf-8").splitlines()[0].startswith("> **注意：本报告基于部分数据")
    out = json.loads(res.stdout)
    assert list(out)[0] == "partial_notice_zh" and out["partial"] is True


def test_bad_plan_exits_2_naming_the_field(tmp_path, moli_home):
    plan = _plan(tmp_path)
    plan.write_text(plan.read_text(encoding="utf-8").replace("activity: other", "activity: mining"), encoding="utf-8")
    proc = subprocess.run([sys.executable, "-c", "from moli.cli import main; main()", "crossborder", "assess",
                           "--plan", str(plan), "--json"], capture_output=True, text=True,
                          env={**os.environ, "MOLI_HOME": str(moli_home)})
    assert proc.returncode == 2
    assert "transfer.activity" in proc.stderr and "计划字段" in proc.stderr and "plan field" in proc.stderr


def test_scan_record_and_ledger_commands(tmp_path, moli_home, people):
    data = write_csv(tmp_path / "orders.csv", people.rows)
    res = runner.invoke(app, ["crossborder", "scan", str(data), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["individuals"] == people.individuals
    plan = _plan(tmp_path, individuals=70000)
    for _ in range(2):
        assert runner.invoke(app, ["crossborder", "assess", "--plan", str(plan), "--record"]).exit_code == 0
    res = runner.invoke(app, ["crossborder", "ledger", "--json"])
    rows = json.loads(res.stdout)
    assert len(rows) == 1 and rows[0]["individuals"] == 70000
    res = runner.invoke(app, ["crossborder", "rules", "--json"])
    assert res.exit_code == 0 and "shanghai_ftz_lingang_2024" in res.stdout


def test_scan_reads_sensitive_columns_by_name_unless_excluded(tmp_path):
    rows = [{"手机号": f"139{i:08d}", "用药记录": "阿司匹林", "检验批次": "B7"} for i in range(5)]
    data = write_jsonl(tmp_path / "patients.jsonl", rows)
    res = runner.invoke(app, ["crossborder", "scan", str(data), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["sensitive_individuals"] == 5
    res = runner.invoke(app, ["crossborder", "scan", str(data), "--not-sensitive-column", "用药记录", "--json"])
    assert res.exit_code == 0 and json.loads(res.stdout)["sensitive_individuals"] == 0


def test_a_report_stored_before_deadline_sentences_still_reads(tmp_path, moli_home):
    """Ledger reports written before deadlines carried zh/en get the sentences when rendered."""
    from moli.crossborder import report as rep
    from moli.crossborder.engine import deadline_text

    res = runner.invoke(app, ["crossborder", "assess", "--plan", str(_plan(tmp_path)), "--json"])
    report = json.loads(res.stdout)
    assert report["deadlines"]
    old = {**report, "deadlines": [{k: v for k, v in d.items() if k not in ("zh", "en")} for d in report["deadlines"]]}
    html, md = str(rep.render_body(old)), rep.to_markdown(old)
    for d in report["deadlines"]:
        assert deadline_text(d)[0] == d["zh"] and d["zh"] in html and d["zh"] in md


def test_the_report_shows_what_text_columns_say_about_people(tmp_path, moli_home):
    rows = [{"手机号": f"138{i:08d}", "备注": "客户称上月确诊高血压，要求退换。" if i < 3 else "按时送达。"} for i in range(20)]
    data = write_jsonl(tmp_path / "calls.jsonl", rows)
    html = tmp_path / "r.html"
    res = runner.invoke(app, ["crossborder", "assess", "--plan", str(_plan(tmp_path)), str(data), "--json",
                              "--html", str(html)])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["counts"]["this_transfer"]["sensitive_individuals"] == 3
    text = html.read_text(encoding="utf-8")
    assert "提及 mentions：医疗健康信息 <code>medical_health</code> 3" in text and "备注 列 3 条医疗健康信息" in text
