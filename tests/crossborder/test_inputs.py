"""Bad input is named, never a traceback: plan files, output paths, odd datasets (a CLI audit's findings)."""

from __future__ import annotations

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
