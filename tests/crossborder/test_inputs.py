"""Bad input is named, never a traceback: plan files, output paths, odd datasets (a CLI audit's findings)."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from moli.cli import app
from moli.core.errors import InputError
from moli.crossborder.service import plan_from_file, plan_from_text

runner = CliRunner()
FIXTURE = "tests/fixtures/crossborder/plan_lingang.yaml"


def _plan_text(**subs: str) -> str:
    from pathlib import Path

    text = Path(__file__).resolve().parents[2].joinpath(FIXTURE).read_text(encoding="utf-8")
    for old, new in subs.items():
        assert old in text, old
        text = text.replace(old, new)
    return text


def _refused(args: list[str]) -> InputError:
    """The InputError the command stops with (``moli.cli.main`` prints it in both languages, exit 2)."""
    res = runner.invoke(app, args)
    assert isinstance(res.exception, InputError), (res.exception, res.output)
    return res.exception


def test_impossible_date_in_a_plan_file_is_a_field_error(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text(_plan_text(**{"date: 2026-05-01": "date: 2026-02-30"}), encoding="utf-8")
    with pytest.raises(InputError) as info:
        plan_from_file(p)
    assert info.value.field == "transfer.date"
    assert "2026-02-30" in info.value.zh and "p.yaml" in info.value.zh
    # an earlier entry's impossible date too, and the CLI prints it, exit 2, no traceback
    p.write_text(_plan_text(**{"2026-02-01": "2026-02-29"}), encoding="utf-8")
    assert _refused(["crossborder", "assess", "--plan", str(p)]).field == "history.1.date"


def test_plan_yaml_errors_and_unreadable_plans_speak_chinese(tmp_path):
    with pytest.raises(InputError) as info:
        plan_from_text("exporter: {name: x\n  bad: [\n", name="y.yaml")
    assert "y.yaml" in info.value.zh and "第 2 行" in info.value.zh
    assert not any(w in info.value.zh for w in ("expected", "mapping")), info.value.zh  # no English reason
    with pytest.raises(InputError) as info:
        plan_from_file(tmp_path)  # a folder
    assert "文件夹" in info.value.zh and "folder" in info.value.en
    with pytest.raises(InputError) as info:
        plan_from_file(tmp_path / "missing.yaml")
    assert "找不到" in info.value.zh and "No such file" not in info.value.zh


def test_contradictory_counts_and_unknown_country_are_refused(tmp_path):
    text = _plan_text(**{"  sensitive_individuals: 0": "  sensitive_individuals: 500000"})
    with pytest.raises(InputError) as info:
        plan_from_text(text, name="c.yaml")
    assert info.value.field == "data.sensitive_individuals" and "500,000" in info.value.zh
    with pytest.raises(InputError) as info:
        plan_from_text(_plan_text(**{"country: SG": "country: ZZ"}), name="c.yaml")
    assert info.value.field == "transfer.recipient.country" and "'ZZ'" in info.value.zh
    for code in ("HK", "MO", "TW", "hk"):  # 境外 as before
        plan = plan_from_text(_plan_text(**{"country: SG": f"country: {code}"}))
        assert plan.transfer.recipient.country == code


def test_output_paths_are_checked_before_recording_or_writing(tmp_path, moli_home):
    plan = tmp_path / "plan.yaml"
    plan.write_text(_plan_text(), encoding="utf-8")
    folder = tmp_path / "outdir"
    folder.mkdir()
    assert _refused(["crossborder", "assess", "--plan", str(plan), "--html", str(folder)]).field == "--html"
    html = tmp_path / "a.html"
    exc = _refused(["crossborder", "assess", "--plan", str(plan), "--record", "--html", str(html), "--md", str(folder)])
    assert exc.field == "--md" and "文件夹" in exc.zh and "folder" in exc.en
    assert not html.exists() and list(folder.iterdir()) == []
    under_a_file = tmp_path / "plan.yaml" / "r.md"
    assert _refused(["crossborder", "assess", "--plan", str(plan), "--record", "--md", str(under_a_file)]).field == "--md"
    assert _refused(["crossborder", "assess", "--plan", str(plan), "--html", str(html), "--md", str(html)]).field == "--md"
    res = runner.invoke(app, ["crossborder", "ledger", "--json"])
    assert res.exit_code == 0 and res.stdout.strip() == "[]"  # nothing was recorded


def _dup_rows() -> tuple[list[str], list[list[str]]]:
    return ["手机", "手机", "姓名"], [["13812345678", "13987654321", "王建国"], ["13700000001", "", "李娜"]]


def _write_dup(path, fmt: str):
    import json

    header, rows = _dup_rows()
    if fmt == "csv":
        path.write_text("\n".join(",".join(r) for r in [header, *rows]) + "\n", encoding="utf-8")
    elif fmt == "jsonl":  # a key repeated in one object
        path.write_text("\n".join("{" + ", ".join(f"{json.dumps(h, ensure_ascii=False)}: {json.dumps(v, ensure_ascii=False)}"
                                                  for h, v in zip(header, r, strict=True)) + "}" for r in rows) + "\n",
                        encoding="utf-8")
    elif fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        cols = [pa.array([r[i] for r in rows]) for i in range(len(header))]
        pq.write_table(pa.Table.from_arrays(cols, names=header), path)
    else:
        import openpyxl

        wb = openpyxl.Workbook(write_only=True)
        ws = wb.create_sheet()
        for r in [header, *rows]:
            ws.append(r)
        wb.save(path)
    return path


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet", "xlsx"])
def test_repeated_column_names_are_kept_apart_and_reported(tmp_path, fmt):
    from moli.crossborder.scanner import scan

    r = scan([_write_dup(tmp_path / f"dup.{fmt}", fmt)])
    cols = {c["column"]: c for c in r["sources"][0]["columns"]}
    assert list(cols) == ["手机", "手机 (2)", "姓名"]
    assert cols["手机"]["non_empty"] == 2 and cols["手机 (2)"]["non_empty"] == 1  # nothing lost
    assert cols["手机 (2)"]["kind"] == "PHONE"
    assert r["sources"][0]["renamed_columns"] == [{"line": 1, "column": "手机", "as": "手机 (2)"}]
    assert any("手机 → 手机 (2)" in n["zh"] and "手机 -> 手机 (2)" in n["en"] for n in r["notes"])
    assert r["rows"] == 2 and r["individuals"] == 2


def test_a_row_over_the_block_size_is_read(tmp_path):
    from moli.crossborder.scanner import ScanOptions, scan

    path = tmp_path / "h.csv"
    long_note = "很长的备注" * 150_000  # 2.25 MB in one cell
    rows = [f"王{i},138{i:08d},短" for i in range(80_000)]  # 1.9 MB before the long row: given once, not twice
    path.write_text("姓名,手机,备注\n" + "\n".join(rows) + f"\n王建国,13912345678,{long_note}\n李娜,13987654321,短\n",
                    encoding="utf-8")
    r = scan([path])
    assert r["rows"] == 80_002 and r["individuals"] == 80_002 and not r["partial"]
    assert {c["column"]: c["non_empty"] for c in r["sources"][0]["columns"]}["备注"] == 80_002
    # a bad row before the long one is recorded once
    path.write_text("姓名,手机,备注\n" + "\n".join(rows) + "\n坏,行\n" + f"王建国,13912345678,{long_note}\n",
                    encoding="utf-8")
    r = scan([path], options=ScanOptions(allow_partial=True))
    assert r["rows"] == 80_001 and [b["line"] for b in r["sources"][0]["skipped_rows"]] == [80_002]


def test_a_record_over_the_largest_block_is_named(tmp_path, monkeypatch):
    from moli.crossborder import scanner

    monkeypatch.setattr(scanner, "CSV_MAX_BLOCK", 4 << 20)  # the 64 MB bound, scaled down for the test
    path = tmp_path / "h.csv"
    path.write_text("姓名,备注\n王建国," + "长" * (6 << 20) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        scanner.scan([path])
    assert "h.csv" in info.value.zh and "超过 4 MB" in info.value.zh and "straddl" not in info.value.zh


def test_scan_flags_and_hints_are_its_own(tmp_path):
    bad = tmp_path / "b.jsonl"
    bad.write_text('{"手机": "13812345678"}\n{bad\n', encoding="utf-8")
    exc = _refused(["crossborder", "scan", str(bad)])
    assert "--allow-partial" in exc.zh and "--allow-partial" in exc.en and "--skip-bad" not in exc.zh + exc.en
    assert "Expecting" not in exc.zh  # the reason in Chinese on the Chinese line
    good = tmp_path / "n.csv"
    good.write_text("姓名,手机\n王建国,13812345678\n", encoding="utf-8")
    for limit in ("0", "-1"):
        assert _refused(["crossborder", "scan", str(good), "--exact-limit", limit]).field == "--exact-limit"
    missing = tmp_path / "nonexist.db"
    exc = _refused(["crossborder", "scan", "--sql", f"sqlite:///{missing}", "--table", "t"])
    assert exc.field == "--sql" and "nonexist.db" in exc.zh and not missing.exists()


def test_sqlite_is_read_only_and_non_pi_columns_count_their_values(tmp_path):
    import sqlite3

    from moli.crossborder.scanner import scan

    db = tmp_path / "crm.db"
    with sqlite3.connect(db) as conn:
        conn.execute("create table t (姓名 text, 手机 text, 备注 text, 内容 text)")
        conn.executemany("insert into t values (?, ?, ?, ?)",
                         [("王建国", "13812345678", "喜欢喝茶", "请联系 13912345678 或 a@example.com"),
                          ("李娜", "13987654321", "", "今天天气很好，我们一起去公园散步吧，好不好呀朋友们，大家一起去吧"),
                          ("张伟", "13700000000", None, None)])
    before = db.stat().st_mtime_ns
    r = scan([], sql=f"sqlite:///{db}", table="t")
    cols = {c["column"]: c for c in r["sources"][0]["columns"]}
    assert cols["备注"]["non_empty"] == 1  # was 0: values in a column that is not PI were not counted
    assert cols["内容"]["role"] == "text" and cols["内容"]["non_empty"] == 2 and cols["内容"]["cells_with_pi"] == 1
    assert db.stat().st_mtime_ns == before and not list(tmp_path.glob("crm.db-*"))


def test_damaged_files_are_named_with_a_chinese_reason(tmp_path):
    from moli.crossborder.scanner import ScanOptions, scan

    pq, xl = tmp_path / "bad.parquet", tmp_path / "bad.xlsx"
    pq.write_bytes(b"PAR1 not really")
    xl.write_bytes(b"not a zip")
    r = scan([pq, xl], options=ScanOptions(allow_partial=True))
    zh = {e["source"].rsplit("/", 1)[-1]: e["error_zh"] for e in r["errors"]}
    assert "文件损坏" in zh["bad.parquet"] and "文件损坏" in zh["bad.xlsx"], zh
    reasons = [re.sub("Parquet|XLSX|Excel", "", z.split("：", 1)[1]) for z in zh.values()]
    assert all(not re.search("[A-Za-z]{4,}", r) for r in reasons), zh  # no English reason


def test_report_scan_table_names_roles_kinds_and_profiles_in_chinese(tmp_path):
    from moli.crossborder import report as rep
    from moli.crossborder.service import run_assessment

    data = tmp_path / "s.csv"
    data.write_text("姓名,身份证号,手机,病历\n王建国,110101199003071234,13812345678,诊断为高血压\n", encoding="utf-8")
    plan = tmp_path / "plan.yaml"
    plan.write_text(_plan_text(), encoding="utf-8")
    html = rep.to_html(run_assessment(plan_from_file(plan), [data]))
    table = html[html.index("数据扫描"):html.index("</table>", html.index("数据扫描"))]
    for zh, code in (("个人标识", "identifier"), ("居民身份证号码", "ID_CARD"), ("个人电话号码", "PHONE"),
                     ("医疗健康信息", "medical_health"), ("GB/T 35273-2020 附录B 表B.1（从严）", "gbt35273_2020_strict")):
        assert f"{zh} <small><code>{code}</code></small>" in table, (zh, code)
    assert "精确去重" in html and "<td>identifier</td>" not in table
