"""The CLI contract: competition create, submit, leaderboard (in-process and one real subprocess)."""

import json
import os
import subprocess
import sys

from typer.testing import CliRunner

from moli.cli import app
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
