"""``moli market``: match scenarios and model offerings, import them, evaluate on a test set."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from moli.core.errors import InputError

app = typer.Typer(help="供需平台：场景与模型匹配、评测 / supply and demand: scenario–model matching and evaluation",
                  no_args_is_help=True)


def _print(obj: object) -> None:
    typer.echo(json.dumps(obj, ensure_ascii=False, indent=None))


def _human_matches(out: dict) -> None:
    id_key = "offering_id" if out["matches"] and "offering_id" in out["matches"][0] else "scenario_id"
    typer.echo(f"匹配 matches ({len(out['matches'])}):")
    for m in out["matches"]:
        typer.echo(f"  {m.get(id_key)}  {m['score']:.3f}")
        for r in m["reasons"]:
            typer.echo(f"      - {r['zh']} / {r['en']}")
    typer.echo(f"排除 excluded ({out['counts']['excluded']}):")
    for e in out["excluded"]:
        eid = e.get("offering_id") or e.get("scenario_id")
        typer.echo(f"  {eid}: " + "; ".join(v["zh"] for v in e["violations"]))


@app.command("match")
def match_cmd(
    scenario: Path = typer.Option(..., "--scenario", help="场景 YAML / scenario YAML"),
    offerings: Path | None = typer.Option(None, "--offerings", help="模型供给 JSONL（缺省用数据库） / offerings JSONL (default: the database)"),
    top: int = typer.Option(10, "--top", min=1, help="返回前 K 个 / how many matches"),
    max_excluded: int | None = typer.Option(None, "--max-excluded", help="最多列出多少个被排除项 / cap on excluded listed"),
    skip_invalid: bool = typer.Option(False, "--skip-invalid",
                                      help="跳过无效的模型供给并在 invalid 中列出 / skip invalid offerings, listed under invalid"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON / print JSON"),
) -> None:
    """为场景匹配模型供给 / rank offerings for a scenario, with reasons and exclusions."""
    from moli.market.matching import match_offerings
    from moli.market.schemas import load_offerings, load_scenario

    scn = load_scenario(scenario)
    if offerings is not None:
        invalid: list[dict] | None = [] if skip_invalid else None
        out = match_offerings(scn, load_offerings(offerings, invalid), k=top, max_excluded=max_excluded)
        if invalid is not None:
            out["invalid"] = invalid
            for e in invalid:
                typer.echo(f"跳过 / skipped: {e['zh']} / {e['en']}", err=True)
    else:
        from moli.core.db import ensure_database, session_scope
        from moli.market import service

        ensure_database()
        with session_scope() as s:
            out = service.match_scenario(s, scn, service.OPERATOR, k=top, max_excluded=max_excluded)
    _print(out) if as_json else _human_matches(out)


@app.command("match-offering")
def match_offering_cmd(
    offering: str = typer.Option(..., "--offering", help="模型供给编号或文件 / offering id or file"),
    scenarios: Path | None = typer.Option(None, "--scenarios", help="场景 YAML/JSONL（缺省用数据库） / scenarios file (default: the database)"),
    top: int = typer.Option(10, "--top", min=1),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """反向匹配：该模型适合哪些场景 / the other direction: scenarios an offering could serve."""
    from moli.market.matching import scenarios_for_offering
    from moli.market.schemas import load_offerings, load_scenarios

    if scenarios is not None:
        if not Path(offering).exists():
            raise InputError(f"使用 --scenarios 时 --offering 应为文件：{offering}",
                             f"with --scenarios, --offering must be a file: {offering}", field="offering")
        offs = load_offerings(offering)
        if len(offs) != 1:
            raise InputError(f"{offering} 应只含一个模型供给", f"{offering} must hold exactly one offering", field="offering")
        out = scenarios_for_offering(offs[0], load_scenarios(scenarios), k=top, max_excluded=None)
    else:
        from moli.core.db import ensure_database, session_scope
        from moli.market import service

        ensure_database()
        with session_scope() as s:
            out = service.match_offering(s, offering, service.OPERATOR, k=top)
    _print(out) if as_json else _human_matches(out)


def _import(path: Path, kind: str, private: bool) -> None:
    from moli.core.db import ensure_database, session_scope
    from moli.market import service

    ensure_database()
    with session_scope() as s:
        out = service.import_file(s, path, kind, service.OPERATOR, is_public=not private)
    _print(out)


@app.command("import-offerings")
def import_offerings_cmd(path: Path = typer.Argument(..., help="JSONL/YAML"),
                         private: bool = typer.Option(False, "--private", help="不公开 / not public")) -> None:
    """发布（导入）模型供给到数据库 / publish offerings into the database (all or nothing)."""
    _import(path, "offerings", private)


@app.command("import-scenarios")
def import_scenarios_cmd(path: Path = typer.Argument(..., help="YAML/JSONL; test_set 路径相对于该文件"),
                         private: bool = typer.Option(False, "--private", help="不公开 / not public")) -> None:
    """发布（导入）应用场景及其测试集 / publish scenarios (and their test sets) into the database."""
    _import(path, "scenarios", private)


@app.command("set-test-set")
def set_test_set_cmd(scenario: str = typer.Argument(..., help="场景编号 / scenario id"),
                     path: Path = typer.Argument(..., help="JSONL: prompt, reference, choices")) -> None:
    """为场景上传私有测试集 / attach a private test set to a scenario."""
    from moli.core.db import ensure_database, session_scope
    from moli.market import service
    from moli.market.schemas import load_test_set

    items = load_test_set(path)
    ensure_database()
    with session_scope() as s:
        row = service.set_test_set(s, scenario, items, service.OPERATOR)
        _print({"scenario_id": row.slug, "items": len(items)})


def _delete(kind: str, key: str) -> None:
    from moli.core.db import ensure_database, session_scope
    from moli.market import service

    ensure_database()
    with session_scope() as s:  # one transaction: deleted entirely or not at all
        fn = service.delete_offering if kind == "offering" else service.delete_scenario
        _print(fn(s, key, service.OPERATOR))


@app.command("delete-offering")
def delete_offering_cmd(offering: str = typer.Argument(..., help="模型供给编号 / offering id")) -> None:
    """删除（下架）模型供给；有评测记录时拒绝 / delete (withdraw) an offering; refused while evaluation runs refer to it."""
    _delete("offering", offering)


@app.command("delete-scenario")
def delete_scenario_cmd(scenario: str = typer.Argument(..., help="场景编号 / scenario id")) -> None:
    """删除应用场景及其测试集；有评测记录时拒绝 / delete a scenario and its test set; refused while it has evaluation runs."""
    _delete("scenario", scenario)


@app.command("evaluate")
def evaluate_cmd(
    scenario: str = typer.Option(..., "--scenario", help="场景编号，或含 test_set 的场景文件 / scenario id, or a scenario file with test_set"),
    offering: list[str] = typer.Option(..., "--offering", help="模型供给编号（可多次） / offering id (repeatable)"),
    offerings: Path | None = typer.Option(None, "--offerings", help="模型供给文件（文件模式） / offerings file (file mode)"),
    concurrency: int = typer.Option(16, "--concurrency", min=1),
    timeout: float = typer.Option(30.0, "--timeout", help="单次请求超时（秒） / per-request timeout (s)"),
    retries: int = typer.Option(3, "--retries", min=0),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """在场景自己的测试集上评测模型 / evaluate offerings on the scenario's own test set."""
    from moli.market import service

    if Path(scenario).exists():
        # File mode: nothing is stored, the leaderboard is printed.
        from moli.market.evaluation import evaluate
        from moli.market.schemas import load_offerings, load_scenario, load_test_set

        scn = load_scenario(scenario)
        if not scn.test_set:
            raise InputError(f"{scenario}: 缺少 test_set 字段", f"{scenario}: missing field test_set", field="test_set")
        items = load_test_set(Path(scenario).parent / scn.test_set)
        if offerings is None:
            raise InputError("文件模式需要 --offerings 文件", "file mode needs an --offerings file", field="offerings")
        by_id = {o.id: o for o in load_offerings(offerings)}
        missing = [o for o in offering if o not in by_id]
        if missing:
            raise InputError(f"{offerings} 中没有模型供给 {missing[0]}", f"no offering {missing[0]} in {offerings}", field="offering")
        targets = [service.target_of(by_id[o]) for o in dict.fromkeys(offering)]
        out = evaluate(items, targets, scoring=scn.scoring, concurrency=concurrency, timeout=timeout,
                       retries=retries, cache=service.response_cache())
        out = service.evaluation_outcome({"scenario_id": scn.id, "leaderboard": out["leaderboard"],
                                          "results": out["results"]})
    else:
        from moli.core.db import ensure_database, session_scope

        ensure_database()
        with session_scope() as s:
            out = service.run_evaluation(s, scenario, offering, service.OPERATOR, allow_custom_scorers=True,
                                         concurrency=concurrency, timeout=timeout, retries=retries)
    if as_json:
        _print(out)
    else:
        for line in service.evaluation_lines(out):
            typer.echo(line)
    if out["all_failed"]:
        raise typer.Exit(1)


@app.command("leaderboard")
def leaderboard_cmd(scenario: str = typer.Argument(...), as_json: bool = typer.Option(False, "--json")) -> None:
    """场景排行榜 / a scenario's leaderboard (latest evaluation per offering)."""
    from moli.core.db import ensure_database, session_scope
    from moli.market import service

    ensure_database()
    with session_scope() as s:
        board = service.leaderboard(s, scenario, service.OPERATOR)
    if as_json:
        _print({"scenario_id": scenario, "leaderboard": board})
        return
    for r in board:
        typer.echo(f"{r['rank']}. {r['offering_id']}  {r['primary_metric']}={r['score']:.3f}")
