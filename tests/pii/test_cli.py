"""CLI contract: moli pii scan | redact | scan-table, through the real `moli` entry point."""

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from moli.core.errors import InputError
from moli.pii.cli import app

runner = CliRunner()
MOLI = [sys.executable, "-c", "from moli.cli import main; main()"]


def run(*args, cwd=None):
    return subprocess.run([*MOLI, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=120)


def write_jsonl(path: Path, rows):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def test_scan_jsonl_contract(tmp_path):
    p = tmp_path / "in.jsonl"
    write_jsonl(p, [{"id": "a", "text": "电话13945671234"}, {"id": 7, "body": "邮箱 x@y.cn", "text": ""}])
    res = runner.invoke(app, ["scan", "--input", str(p)])
    assert res.exit_code == 0, res.output
    lines = [json.loads(x) for x in res.stdout.splitlines()]
    assert lines[0] == {"id": "a", "findings": [{"kind": "PHONE", "start": 2, "end": 13, "text": "13945671234",
                                                 "score": lines[0]["findings"][0]["score"], "valid": None,
                                                 "personal": True}]}
    assert lines[1] == {"id": 7, "findings": []}
    res = runner.invoke(app, ["scan", "--input", str(p), "--field", "body", "--id-field", "id"])
    assert [json.loads(x)["findings"][0]["kind"] for x in res.stdout.splitlines()[1:]] == ["EMAIL"]


def test_scan_txt_is_one_record_with_file_name(tmp_path):
    p = tmp_path / "seed.txt"
    p.write_text("第一行\n联系人：张伟，电话：58788388-64516\n", encoding="utf-8")
    res = runner.invoke(app, ["scan", "--input", str(p), "--kinds", "PHONE"])
    rec = json.loads(res.stdout)
    assert rec["id"] == "seed.txt"
    f = rec["findings"][0]
    assert p.read_text(encoding="utf-8")[f["start"]:f["end"]] == "58788388-64516"


def test_redact_allow_file_and_cued_names(tmp_path):
    p = tmp_path / "in.jsonl"
    write_jsonl(p, [{"id": 1, "text": "习近平总书记指出。联系人姓名：卿逸男，热线13800138000，手机13945671234。"}])
    allow = tmp_path / "allow.txt"
    allow.write_text("# 区政府公布的热线\n13800138000\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    res = runner.invoke(app, ["redact", "--input", str(p), "--output", str(out), "--allow-file", str(allow),
                              "--names", "cued"])
    assert res.exit_code == 0, res.output
    text = json.loads(out.read_text(encoding="utf-8"))["text"]
    assert text == "习近平总书记指出。联系人姓名：[PERSON]，热线13800138000，手机[PHONE]。"
    bad = runner.invoke(app, ["redact", "--input", str(p), "--output", str(tmp_path / "x.jsonl"), "--names", "few"])
    assert bad.exit_code != 0 and not (tmp_path / "x.jsonl").exists()


def test_redact_modes_and_atomic_output(tmp_path):
    p = tmp_path / "in.jsonl"
    write_jsonl(p, [{"id": 1, "text": "手机13945671234，身份证110101199003074514"}])
    out = tmp_path / "out" / "red.jsonl"
    key = tmp_path / "k.key"
    key.write_bytes(b"a-secret-key-of-32-bytes-length!")
    for mode, check in (("tag", lambda t: t == "手机[PHONE]，身份证[ID_CARD]"),
                        ("mask", lambda t: len(t) == 35 and "1394567" not in t),
                        ("drop", lambda t: t == "手机，身份证"),
                        ("pseudonymize", lambda t: "13945671234" not in t and len(t) == 35)):
        res = runner.invoke(app, ["redact", "--input", str(p), "--output", str(out), "--mode", mode,
                                  "--key-file", str(key), "--kinds", "PHONE,ID_CARD"])
        assert res.exit_code == 0, res.output
        rec = json.loads(out.read_text(encoding="utf-8"))
        assert check(rec["text"]), (mode, rec)
        assert rec["id"] == 1
    a = out.read_text(encoding="utf-8")
    runner.invoke(app, ["redact", "--input", str(p), "--output", str(out), "--mode", "pseudonymize",
                        "--key-file", str(key), "--kinds", "PHONE,ID_CARD"])
    assert out.read_text(encoding="utf-8") == a  # same key, same surrogates
    assert not list(out.parent.glob("*.part"))


def test_bad_json_line_exit_2_and_skip_bad(tmp_path):
    p = tmp_path / "bad.jsonl"
    p.write_text('{"id": 1, "text": "13945671234"}\n{"id": 2, "text": \n{"id": 3, "text": "x"}\n', encoding="utf-8")
    res = run("pii", "scan", "--input", p, "--kinds", "PHONE")
    assert res.returncode == 2
    assert "第 2 行" in res.stderr and "line 2" in res.stderr
    res = CliRunner().invoke(app, ["scan", "--input", str(p), "--kinds", "PHONE", "--skip-bad"])
    assert res.exit_code == 0
    assert [json.loads(x)["id"] for x in res.stdout.splitlines()] == [1, 3]
    assert "skipped 1" in res.stderr and "已跳过 1" in res.stderr


def test_bad_input_leaves_no_output(tmp_path):
    p = tmp_path / "bad.jsonl"
    p.write_bytes(b'{"id": 1, "text": "13945671234"}\n' * 3 + b'{"id": 9, "text": "\xff"}\n')
    out = tmp_path / "o.jsonl"
    res = run("pii", "redact", "--input", p, "--output", out, "--mode", "tag", "--kinds", "PHONE")
    assert res.returncode == 2
    assert "byte offset" in res.stderr and "字节偏移" in res.stderr and str(p) in res.stderr
    assert not out.exists() and not list(tmp_path.glob("*.part"))


def test_encoding_option(tmp_path):
    p = tmp_path / "gbk.txt"
    p.write_bytes("联系电话：13945671234".encode("gb18030"))
    res = run("pii", "scan", "--input", p, "--kinds", "PHONE")
    assert res.returncode == 2 and "--encoding" in res.stderr
    res = run("pii", "scan", "--input", p, "--kinds", "PHONE", "--encoding", "gb18030")
    assert res.returncode == 0 and json.loads(res.stdout)["findings"][0]["text"] == "13945671234"


def test_scan_table_cli(table_files):
    res = runner.invoke(app, ["scan-table", str(table_files["xlsx"])])
    assert res.exit_code == 0, res.output
    rep = json.loads(res.stdout)
    assert {c["column"]: c["kind"] for c in rep["columns"]}["身份证号"] == "ID_CARD"


def test_kinds_command_lists_both_profiles():
    res = runner.invoke(app, ["kinds"])
    rows = {r["kind"]: r for r in json.loads(res.stdout)}
    assert rows["ID_CARD"]["pipl_gbt45574_2025"] == "conditional"
    assert rows["ID_CARD"]["gbt35273_2020_strict"] == "true"
    assert rows["USCC"]["personal"] is False


def test_unknown_mode_message(tmp_path):
    res = runner.invoke(app, ["redact", "--input", __file__, "--output", str(tmp_path / "x.txt"), "--mode", "blur"])
    assert isinstance(res.exception, InputError) and "blur" in res.exception.zh
    assert not (tmp_path / "x.txt").exists()


def test_skip_bad_skips_a_text_that_is_not_a_string(tmp_path):
    p = tmp_path / "ns.jsonl"
    p.write_text('{"id":1,"text":"电话13945671234"}\n{"id":2,"text":123}\n{"id":3,"text":"x"}\n', encoding="utf-8")
    out = tmp_path / "o.jsonl"
    res = run("pii", "redact", "--input", p, "--output", out)
    assert res.returncode == 2 and "第 2 行" in res.stderr and "--skip-bad" in res.stderr and not out.exists()
    res = run("pii", "redact", "--input", p, "--output", out, "--skip-bad")
    assert res.returncode == 0, res.stderr
    assert [json.loads(x)["id"] for x in out.read_text(encoding="utf-8").splitlines()] == [1, 3]
    assert json.loads(res.stderr.splitlines()[-1])["skipped_lines"] == [2]
    res = runner.invoke(app, ["scan", "--input", str(p), "--skip-bad"])
    assert res.exit_code == 0 and [json.loads(x)["id"] for x in res.stdout.splitlines()] == [1, 3]
    assert "skipped 1" in res.stderr


def test_redact_output_folder_refused(tmp_path):
    p = tmp_path / "in.jsonl"
    write_jsonl(p, [{"id": 1, "text": "电话13945671234"}])
    folder = tmp_path / "outdir"
    folder.mkdir()
    res = run("pii", "redact", "--input", p, "--output", folder)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert "文件夹" in res.stderr and "folder" in res.stderr and list(folder.iterdir()) == []
    assert not list(tmp_path.glob(".*.part"))


def test_jsonl_with_bom(tmp_path):
    p = tmp_path / "bom.jsonl"
    p.write_bytes('\ufeff{"id":1,"text":"电话13812345678"}\n{"id":2,"text":"李娜 13987654321"}\n'.encode())
    res = run("pii", "scan", "--input", p, "--kinds", "PHONE")
    assert res.returncode == 0, res.stderr
    assert [json.loads(x)["id"] for x in res.stdout.splitlines()] == [1, 2]


def test_scan_table_repeated_columns_and_bad_sample_rows(tmp_path):
    p = tmp_path / "dup.csv"
    p.write_text("手机,手机,姓名\n13812345678,13987654321,王建国\n", encoding="utf-8")
    res = run("pii", "scan-table", p)
    assert res.returncode == 0, res.stderr
    rep = json.loads(res.stdout)
    assert [c["column"] for c in rep["columns"]] == ["手机", "手机 (2)", "姓名"]
    assert "手机 (2)" in res.stderr and "repeats" in res.stderr
    res = run("pii", "scan-table", p, "--sample-rows", "-1")
    assert res.returncode == 2 and "Traceback" not in res.stderr and "--sample-rows" in res.stderr
    big = tmp_path / "big.csv"
    big.write_text("id,备注\n1," + "长" * 200_000 + "\n", encoding="utf-8")
    res = run("pii", "scan-table", big)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["rows"] == 1
