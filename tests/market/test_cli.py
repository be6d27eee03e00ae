"""The `moli market` commands, as a user runs them."""

import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from moli.cli import app, main

MOLI = [sys.executable, "-c", "from moli.cli import main; main()"]


def run(args, home):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOLI_")}
    env["MOLI_HOME"] = str(home)
    return subprocess.run(MOLI + args, env=env, capture_output=True, text=True, timeout=120)


def test_match_contract_from_files(fixtures, tmp_path):
    r = run(["market", "match", "--scenario", str(fixtures / "scenario_weather.yaml"),
             "--offerings", str(fixtures / "offerings.jsonl"), "--top", "2", "--json"], tmp_path)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert set(out) >= {"matches", "excluded"}
    assert len(out["matches"]) == 2 and out["matches"][0]["offering_id"] == "weather-edge"
    for m in out["matches"]:
        assert set(m) >= {"offering_id", "score", "reasons"} and m["reasons"]
    assert out["excluded"] == [{"offering_id": "research-only", "violations": out["excluded"][0]["violations"]}]
    assert out["excluded"][0]["violations"][0]["kind"] == "commercial_use"


def test_bad_offering_file_exits_2_naming_line_and_field(fixtures, tmp_path, monkeypatch, capsys):
    bad = tmp_path / "bad.jsonl"
    lines = (fixtures / "offerings.jsonl").read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2].replace('"price_per_million_tokens_cny": 1', '"price_per_million_tokens_cny": -1')
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    # moli.cli.main in-process (the subprocess path is covered above): bilingual message, exit 2.
    monkeypatch.setattr(sys, "argv", ["moli", "market", "match", "--scenario", str(fixtures / "scenario_weather.yaml"),
                                      "--offerings", str(bad), "--json"])
    with pytest.raises(SystemExit) as ei:
        main()
    out = capsys.readouterr()
    assert ei.value.code == 2 and out.out == ""
    assert f"{bad}:3" in out.err and "price_per_million_tokens_cny" in out.err and "不能小于" in out.err
    assert "must be greater than or equal" in out.err or "greater than or equal" in out.err


def test_import_match_from_database_and_evaluate(moli_home, fixtures, tmp_path, answerer):
    runner = CliRunner()
    # offerings with endpoints on the loopback answerer
    offs = []
    for line in (fixtures / "offerings.jsonl").read_text(encoding="utf-8").splitlines():
        o = json.loads(line)
        o["endpoint"] = f"{answerer}/ok/v1"
        o["api_model"] = "oracle" if o["id"] == "med-private" else "half"
        offs.append(o)
    offs[1]["endpoint"] = f"{answerer}/garbage/v1"
    path = tmp_path / "offs.jsonl"
    path.write_text("\n".join(json.dumps(o, ensure_ascii=False) for o in offs) + "\n", encoding="utf-8")
    r = runner.invoke(app, ["market", "import-offerings", str(path)])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["imported"] == 5
    r = runner.invoke(app, ["market", "import-scenarios", str(fixtures / "scenario_drug.yaml")])
    assert r.exit_code == 0, r.output

    file_mode = runner.invoke(app, ["market", "match", "--scenario", str(fixtures / "scenario_drug.yaml"),
                                    "--offerings", str(path), "--json"])
    db_mode = runner.invoke(app, ["market", "match", "--scenario", str(fixtures / "scenario_drug.yaml"), "--json"])
    a, b = json.loads(file_mode.stdout), json.loads(db_mode.stdout)
    assert [m["offering_id"] for m in a["matches"]] == [m["offering_id"] for m in b["matches"]] == ["med-private"]
    assert {e["offering_id"] for e in a["excluded"]} == {e["offering_id"] for e in b["excluded"]}

    r = runner.invoke(app, ["market", "match-offering", "--offering", "med-private", "--json"])
    assert json.loads(r.stdout)["matches"][0]["scenario_id"] == "drug-rd"

    r = runner.invoke(app, ["market", "evaluate", "--scenario", "drug-rd", "--offering", "med-private",
                            "--offering", "general-cheap", "--offering", "med-api-us", "--timeout", "2",
                            "--retries", "0", "--json"])
    assert r.exit_code == 0, r.output
    board = json.loads(r.stdout)["leaderboard"]
    assert [x["offering_id"] for x in board] == ["med-private", "general-cheap", "med-api-us"]
    assert board[0]["score"] == 1.0 and board[2]["counts"]["failed"] == 12
    r = runner.invoke(app, ["market", "leaderboard", "drug-rd", "--json"])
    assert [x["offering_id"] for x in json.loads(r.stdout)["leaderboard"]] == ["med-private", "general-cheap", "med-api-us"]
    # a re-run is served from the cache
    r = runner.invoke(app, ["market", "evaluate", "--scenario", "drug-rd", "--offering", "med-private", "--json"])
    assert json.loads(r.stdout)["leaderboard"][0]["counts"]["cached"] == 12


def test_import_is_all_or_nothing(moli_home, fixtures, tmp_path):
    from moli.core.db import session_scope
    from moli.core.errors import InputError
    from moli.market.models import MarketOffering

    lines = (fixtures / "offerings.jsonl").read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace('"question-answering"', '"mind-reading"')
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = CliRunner().invoke(app, ["market", "import-offerings", str(bad)])
    assert isinstance(r.exception, InputError) and f"{bad}:4" in r.exception.zh and "mind-reading" in r.exception.en
    with session_scope() as s:
        assert s.query(MarketOffering).count() == 0  # the three good lines before it were not written


def test_match_can_skip_invalid_offerings_and_report_them(fixtures, tmp_path):
    lines = (fixtures / "offerings.jsonl").read_text(encoding="utf-8").splitlines()
    lines[0] = lines[0].replace('"endpoint"', '"x"').replace('"deployment": ["private"]', '"deployment": ["cloud"]')
    lines.insert(2, "{not json")
    bad = tmp_path / "mixed.jsonl"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = CliRunner().invoke(app, ["market", "match", "--scenario", str(fixtures / "scenario_weather.yaml"),
                                 "--offerings", str(bad), "--skip-invalid", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout.strip().splitlines()[-1])
    assert [(e["where"], e["field"]) for e in out["invalid"]] == [(f"{bad}:1", "deployment"), (f"{bad}:3", "line 3")]
    ids = {m["offering_id"] for m in out["matches"]} | {e["offering_id"] for e in out["excluded"]}
    assert ids == {"med-api-us", "general-cheap", "research-only", "weather-edge"}


def _closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens once the socket is closed


def _publish_for_evaluate(runner, fixtures, tmp_path, offs):
    path = tmp_path / "offs.jsonl"
    path.write_text("\n".join(json.dumps(o, ensure_ascii=False) for o in offs) + "\n", encoding="utf-8")
    assert runner.invoke(app, ["market", "import-offerings", str(path)]).exit_code == 0
    assert runner.invoke(app, ["market", "import-scenarios", str(fixtures / "scenario_weather.yaml")]).exit_code == 0
    r = runner.invoke(app, ["market", "set-test-set", "weather-brief", str(fixtures / "testset.jsonl")])
    assert r.exit_code == 0, r.output


def _offering(oid, endpoint):
    return {"id": oid, "name": "n", "vendor": "v", "description": "通用问答", "tasks": ["question-answering"],
            "languages": ["zh"], "endpoint": endpoint, "api_model": "x"}


def test_evaluate_where_every_item_failed_says_why_and_exits_1(moli_home, fixtures, tmp_path):
    runner = CliRunner()
    _publish_for_evaluate(runner, fixtures, tmp_path, [_offering("down", f"http://127.0.0.1:{_closed_port()}/v1")])
    args = ["market", "evaluate", "--scenario", "weather-brief", "--offering", "down", "--retries", "0", "--timeout", "3"]
    r = runner.invoke(app, args)
    assert r.exit_code == 1, r.output
    assert "ok=0 failed=12" in r.stdout
    assert "失败原因 / failure reasons" in r.stdout and "12 × transport: 连接失败 / connection failed" in r.stdout
    assert "所有模型供给的所有测试项都失败了" in r.stdout
    r = runner.invoke(app, args + ["--json"])
    assert r.exit_code == 1
    out = json.loads(r.stdout)
    assert out["all_failed"] is True and out["refused"] == []
    [failure] = out["leaderboard"][0]["failures"]
    assert failure["count"] == 12 and failure["error"].startswith("transport: 连接失败")


def test_evaluate_shows_an_offering_refused_for_its_address(moli_home, fixtures, tmp_path, answerer):
    runner = CliRunner()
    _publish_for_evaluate(runner, fixtures, tmp_path, [{**_offering("works", f"{answerer}/ok/v1"), "api_model": "oracle"},
                                                       _offering("intranet", "http://10.255.255.1/v1")])
    args = ["market", "evaluate", "--scenario", "weather-brief", "--offering", "works", "--offering", "intranet",
            "--retries", "0", "--timeout", "3"]
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output  # one offering answered: not a failure of the whole run
    assert "1. works" in r.stdout and "失败原因" not in r.stdout
    assert "拒绝 / refused: intranet：接口地址 10.255.255.1 指向本机或内网地址" in r.stdout
    assert "MOLI_MODEL_ENDPOINT_NETWORKS" in r.stdout
    out = json.loads(runner.invoke(app, args + ["--json"]).stdout)
    assert [x["offering_id"] for x in out["refused"]] == ["intranet"] and "internal address" in out["refused"][0]["en"]
    assert out["all_failed"] is False and out["leaderboard"][0]["failures"] == []


def test_evaluate_where_every_offering_is_refused_names_each_reason(moli_home, fixtures, tmp_path):
    runner = CliRunner()
    _publish_for_evaluate(runner, fixtures, tmp_path, [_offering("intra-a", "http://10.255.255.1/v1"),
                                                       _offering("intra-b", "http://192.168.255.7/v1")])
    r = runner.invoke(app, ["market", "evaluate", "--scenario", "weather-brief", "--offering", "intra-a",
                            "--offering", "intra-b", "--retries", "0"])
    err = r.exception
    assert err is not None and err.field == "endpoint"
    assert "intra-a：接口地址 10.255.255.1" in err.zh and "intra-b：接口地址 192.168.255.7" in err.zh
    assert "intra-a: the endpoint" in err.en and "intra-b: the endpoint" in err.en
