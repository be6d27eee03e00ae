"""Files users give and get: YAML read with named errors, outputs never written over a folder, and a
command stopped by SIGTERM leaving no temporary file."""

import json
import signal
import subprocess
import sys
import time

import pytest

from moli.core.errors import InputError
from moli.core.files import atomic_write_text
from moli.core.yamlfiles import parse_user_yaml, read_user_yaml


def test_dates_stay_strings_for_the_schema_to_check():
    assert parse_user_yaml("date: 2026-02-30\nwhen: 2026-05-01T10:00:00+08:00\n") == {
        "date": "2026-02-30", "when": "2026-05-01T10:00:00+08:00"}


def test_yaml_errors_name_the_file_the_line_and_the_encoding_offset(tmp_path):
    bad = tmp_path / "plan.yaml"
    bad.write_text("a: 1\nb: [1, 2\nc: 3\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"plan.yaml 不是有效的 YAML：第 \d+ 行") as exc:
        read_user_yaml(bad)
    assert "line" in exc.value.en
    gbk = tmp_path / "gbk.yaml"
    gbk.write_bytes("name: 浦东\n".encode("gb18030"))
    with pytest.raises(InputError, match="字节偏移 6 处不是有效的 UTF-8"):
        read_user_yaml(gbk)
    bom = tmp_path / "bom.yaml"
    bom.write_bytes("\ufeffname: 浦东\n".encode())
    assert read_user_yaml(bom) == {"name": "浦东"}
    with pytest.raises(InputError, match="是文件夹"):
        read_user_yaml(tmp_path)
    with pytest.raises(InputError, match="找不到文件"):
        read_user_yaml(tmp_path / "missing.yaml")


def test_an_output_path_that_is_a_folder_is_refused_before_writing(tmp_path):
    (tmp_path / "out").mkdir()
    with pytest.raises(InputError, match="是一个文件夹"):
        atomic_write_text(tmp_path / "out", "x")
    assert list((tmp_path / "out").iterdir()) == []


def test_sigterm_stops_a_command_without_leaving_its_temporary_file(tmp_path):
    src = tmp_path / "in.jsonl"
    line = json.dumps({"id": 0, "text": "联系人：王建国，电话 13812345678，住址上海市浦东新区张江路 88 号。" * 40}, ensure_ascii=False)
    src.write_text("\n".join([line] * 4000) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    proc = subprocess.Popen([sys.executable, "-c", "from moli.cli import main; main()", "pii", "redact", "--input",
                             str(src), "--output", str(out), "--mode", "tag"])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not list(tmp_path.glob(".out.jsonl.*.part")):
        time.sleep(0.05)
    assert list(tmp_path.glob(".out.jsonl.*.part")), "the command never started writing"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 128 + signal.SIGTERM
    assert not out.exists() and not list(tmp_path.glob(".out.jsonl.*"))
