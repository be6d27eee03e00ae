"""The CLI contract: competition create, submit, leaderboard (in-process and one real subprocess)."""

import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from moli.cli import app
from moli.core.errors import InputError
from tests.events.helpers import FIXTURES, write_competition

runner = CliRunner()


def _run(*args):
    r = runner.invoke(app, ["events", *args])
    return r, (json.loads(r.stdout.strip().splitlines()[0]) if r.stdout.strip().startswith("{") else None)


def test_create_submit_leaderboard_end_to_end(moli_home, tmp_path):
    r, out = _run("competition", "create", str(FIXTURES / "comp.yaml"))
    assert r.exit_code == 0, r.output
    assert out["id"] == "fixture-cls" and out["n_test"] == 40 and "answers" not in json.dumps(out)
    r, sub1 = _run("submit", "--competition", "fixture-cls", "--team", "队伍A", str(FIXTURES / "pred_half.jsonl"))
    assert r.exit_code == 0, r.output
    assert set(sub1) == {"submission_id", "status", "public_score"} and sub1["status"] == "scored"
    r, sub2 = _run("submit", "--competition", "fixture-cls", "--team", "队伍B", str(FIXTURES / "pred_perfect.jsonl"))
    assert sub2["public_score"] == 1.0 and sub1["public_score"] < 1.0
    r, board = _run("leaderboard", "fixture-cls", "--json")
    assert [row["team"] for row in board["rows"]] == ["队伍B", "队伍A"]
    assert all(set(row) >= {"team", "public_score", "submissions"} and "private_score" not in row
               for row in board["rows"])
    r, board = _run("leaderboard", "fixture-cls", "--private", "--json")
    assert board["rows"][0]["private_score"] == 1.0 and board["rows"][1]["private_score"] < 1.0
    r, _ = _run("leaderboard", "fixture-cls")
    assert "队伍B" in r.stdout and r.exit_code == 0


def test_rejected_submission_prints_reason_and_exits_2(moli_home, tmp_path):
    _run("competition", "create", str(FIXTURES / "comp.yaml"))
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "t000", "label": "x"}\n{"id": "t000", "label": "y"}\n', encoding="utf-8")
    r, out = _run("submit", "--competition", "fixture-cls", "--team", "T", str(bad))
    assert r.exit_code == 2
    assert out["status"] == "rejected" and "duplicate id 't000'" in out["reason"] and "重复" in out["reason_zh"]


def test_bad_yaml_error_in_both_languages_from_the_real_command(moli_home, tmp_path):
    path, _ = write_competition(tmp_path, metric="bleu")
    env = dict(os.environ)
    r = subprocess.run([sys.executable, "-c", "from moli.cli import main; main()", "events", "competition",
                        "create", str(path)], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 2
    assert "metric" in r.stderr and "bleu" in r.stderr and "取值无效" in r.stderr


def test_create_events_from_yaml_then_calendar(moli_home, tmp_path):
    from moli.events.demo import DATA

    r, out = _run("create-events", str(DATA / "demo_events.yaml"))
    assert r.exit_code == 0, r.output
    assert "waic-2025" in out["created"] and out["skipped"] == []
    r, out = _run("create-events", str(DATA / "demo_events.yaml"))
    assert out["created"] == [] and "waic-2025" in out["skipped"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("events:\n  - {slug: ok-1, title: 好, online: true}\n  - {slug: bad-2, title: 无地点}\n", encoding="utf-8")
    r = runner.invoke(app, ["events", "create-events", str(bad)])
    assert r.exit_code != 0 and "event 2" in str(r.exception.en) and r.exception.field.startswith("events[1]")
    r, out = _run("list")
    assert "ok-1" not in [e["slug"] for e in out["events"]]  # nothing half-written from the bad file
    r = runner.invoke(app, ["events", "calendar"])
    assert "BEGIN:VCALENDAR" in r.stdout and "2025世界人工智能大会" in r.stdout


def test_no_wait_queues_a_background_job_and_judged_board_prints(moli_home, tmp_path):
    from moli.core.db import session_scope
    from moli.core.models import Job
    from moli.events import demo

    _run("competition", "create", str(FIXTURES / "comp.yaml"))
    r, out = _run("submit", "--competition", "fixture-cls", "--team", "后台队", "--no-wait",
                  str(FIXTURES / "pred_perfect.jsonl"))
    assert r.exit_code == 0 and out["status"] == "scored" and out["public_score"] == 1.0  # MOLI_JOBS_IMMEDIATE=1
    with session_scope() as s:
        jobs = s.query(Job).filter(Job.kind == "events.score").all()
        assert len(jobs) == 1 and jobs[0].status == "succeeded" and jobs[0].result["public_score"] == 1.0
        demo.load(s)
    r, board = _run("leaderboard", "demo-data-x-city", "--json")
    assert board["metric"] == "rubric" and board["rows"] == []
    r = runner.invoke(app, ["events", "leaderboard", "demo-data-x-city"])
    assert r.exit_code == 0 and "rubric_score" in r.stdout


EVENT_OK = "  - slug: ev-1\n    title: 路演日\n    online: true\n    starts_at: 2026-03-01T14:00:00+08:00\n"


@pytest.mark.parametrize("text,zh,en,field", [
    ("events: [\n", "不是有效的 YAML", "not valid YAML", None),
    ("events: [1]\n", "第 1 个活动", "event 1 must be a mapping", "events[0]"),
    ("events:\n" + EVENT_OK.replace("03-01", "02-30"), "第 1 个活动（ev-1）", "event 1 (ev-1)", "events[0].starts_at"),
    ("events:\n" + EVENT_OK + "    roadshow: {start: 2026-03-01T14:00:00+08:00, count: 3}\n",
     "缺少必填项", "event 1 (ev-1)", "events[0].roadshow.minutes"),
    ("events:\n" + EVENT_OK + "    roadshow: {start: 2026-03-01T14:00:00+08:00, minutes: -20, count: 3}\n",
     "第 1 个活动（ev-1）", "event 1 (ev-1)", "events[0].roadshow.minutes"),
    ("events:\n" + EVENT_OK + "    roadshow: 3\n", "roadshow", "event 1 (ev-1)", "events[0].roadshow"),
    ("events:\n" + EVENT_OK + EVENT_OK, "ev-1", "more than once", "events"),
])
def test_create_events_bad_files_name_file_event_and_key(moli_home, tmp_path, text, zh, en, field):
    p = tmp_path / "ev.yaml"
    p.write_text(text, encoding="utf-8")
    r = runner.invoke(app, ["events", "create-events", str(p)])
    assert isinstance(r.exception, InputError), r.exception
    assert str(p) in r.exception.zh and str(p) in r.exception.en
    assert zh in r.exception.zh and en in r.exception.en
    if field:
        assert r.exception.field == field


def test_create_events_roadshow_and_non_utf8(moli_home, tmp_path):
    p = tmp_path / "ev.yaml"
    p.write_bytes(("events:\n" + EVENT_OK).encode("gb18030"))
    r = runner.invoke(app, ["events", "create-events", str(p)])
    assert isinstance(r.exception, InputError) and "UTF-8" in r.exception.en and "byte offset" in r.exception.en
    p.write_text("events:\n" + EVENT_OK + "    roadshow: {start: 2026-03-01T14:00:00+08:00, minutes: 20, count: 3}\n",
                 encoding="utf-8")
    r, out = _run("create-events", str(p))
    assert r.exit_code == 0, r.output
    assert out == {"created": ["ev-1"], "skipped": []}
    from moli.core.db import session_scope
    from moli.events import service

    with session_scope() as s:
        slots = service.slots(s, service.get_event(s, "ev-1"))
        assert [(b.ends_at - b.starts_at).total_seconds() for b in slots] == [1200.0] * 3


def test_impossible_phase_date_via_cli(moli_home, tmp_path):
    path, _ = write_competition(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace("'2026-01-01T00:00:00+08:00'", "2026-02-30T00:00:00+08:00"),
                    encoding="utf-8")
    r = runner.invoke(app, ["events", "competition", "create", str(path)])
    assert isinstance(r.exception, InputError) and r.exception.field == "phases[0].start"


def test_calendar_out_folder_and_missing_parent(moli_home, tmp_path):
    tmp_path = tmp_path / "cal"
    folder = tmp_path / "outdir"
    folder.mkdir(parents=True)
    r = runner.invoke(app, ["events", "calendar", "--out", str(folder)])
    assert isinstance(r.exception, InputError) and "folder" in r.exception.en
    assert list(folder.iterdir()) == [] and sorted(p.name for p in tmp_path.iterdir()) == ["outdir"]
    target = tmp_path / "nodir" / "x.ics"
    r = runner.invoke(app, ["events", "calendar", "--out", str(target)])
    assert r.exit_code == 0, r.output
    assert target.read_bytes().startswith(b"BEGIN:VCALENDAR") and sorted(p.name for p in target.parent.iterdir()) == ["x.ics"]
