"""`moli corpus ...` (语料): build a recipe, list and show the catalogue. Thin: logic is in service.py."""

from __future__ import annotations

import importlib
import importlib.util
import json
from pathlib import Path

import typer

app = typer.Typer(help="语料流水线与目录 / Corpus pipeline and catalogue", no_args_is_help=True)


def _echo_json(obj) -> None:
    typer.echo(json.dumps(obj, ensure_ascii=False, indent=2, default=str))


@app.command("build")
def build_cmd(
    recipe: Path = typer.Argument(..., help="配方 YAML / recipe YAML"),
    executor: str = typer.Option("local", "--executor", help="local | ray"),
    address: str = typer.Option(None, "--address", help="Ray 集群地址 / Ray cluster address (ray executor)"),
    workers: int = typer.Option(None, "--workers", help="工作进程数（默认每核一个）/ worker processes (default: one per core)"),
    register: bool = typer.Option(True, "--register/--no-register", help="登记到语料目录 / register in the catalogue"),
    owner_org: int = typer.Option(None, "--owner-org", help="所属组织 id / owner organisation id"),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="显示进度条 / show a progress bar"),
) -> None:
    """构建配方 / Build a recipe into shards (OUT/data, OUT/removed, manifest.json, stats.json)."""
    from moli.corpus import service
    from moli.corpus.recipe import load_recipe

    rec = load_recipe(recipe)  # validated before any input is read
    try:
        _, result = service.build_recipe(rec, executor=executor, address=address, workers=workers, progress=progress)
    except KeyboardInterrupt:  # Ctrl-C: the workers are stopped, finished shards stay staged for the rerun
        typer.secho("已中断，重新运行同一命令即可从断点继续 / interrupted; run the same command again to resume",
                    err=True, fg="yellow")
        raise typer.Exit(130) from None
    summary = dict(result.summary)
    if register:
        from moli.core.db import ensure_database, session_scope

        ensure_database()
        with session_scope() as session:
            corpus = service.register(session, rec, result, owner_org_id=owner_org)
            summary["catalogue"] = {"id": corpus.id, "name": corpus.name, "version": corpus.version}
    _echo_json(summary)


@app.command("publish")
def publish_cmd(
    folder: Path = typer.Argument(..., help="已构建的输出文件夹 / a finished output folder"),
    url: str = typer.Argument(..., help="fsspec 地址 / fsspec URL (s3://…, file://…)"),
) -> None:
    """发布已构建的语料 / Publish a finished output folder to a URL (manifest.json last)."""
    from moli.corpus import service

    _echo_json(service.publish_output(folder, url))


@app.command("list")
def list_cmd(as_json: bool = typer.Option(False, "--json", help="JSON 输出 / JSON output")) -> None:
    """列出语料目录 / List the corpus catalogue."""
    from moli.core.db import ensure_database, session_scope
    from moli.corpus import service

    ensure_database()
    with session_scope() as session:
        rows = [service.corpus_summary(c) for c in service.list_corpora(session, as_admin=True)]
    if as_json:
        _echo_json(rows)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="语料目录 / Corpus catalogue")
    for col in ("名称 name", "版本 version", "领域 domain", "访问 access", "文档 docs", "字符 chars", "位置 location"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["name"], r["version"], r["domain"], r["access"], str(r["documents"]),
                      str(r["characters"]), r["location"])
    Console().print(table)


@app.command("show")
def show_cmd(
    name: str = typer.Argument(..., help="语料名称 / corpus name"),
    version: str = typer.Option(None, "--version", help="版本 / version"),
    samples: int = typer.Option(0, "--samples", help="显示前 N 篇文档 / show the first N documents"),
) -> None:
    """显示一个语料的统计 / Show one corpus with its stats (JSON)."""
    from moli.core.db import ensure_database, session_scope
    from moli.corpus import service

    ensure_database()
    with session_scope() as session:
        corpus = service.get_corpus(session, name, version, as_admin=True)
        out = service.corpus_summary(corpus)
        out["stats"] = corpus.stats
        out["manifest"] = corpus.manifest
        if samples:
            out["samples"] = [{k: v for k, v in d.items() if k != "segments"}
                              for d in service.sample_documents(corpus, n=samples, as_admin=True)]
    _echo_json(out)


@app.command("steps")
def steps_cmd() -> None:
    """列出可用步骤及参数 / List the registered pipeline steps and their parameters."""
    from moli.corpus.steps import STEPS, step_names

    _echo_json({n: STEPS[n].model_json_schema().get("properties", {}) for n in step_names()})


# Other developers' sub-commands plug in here (labels: `moli corpus classify`).
for _module in ("moli.corpus.cli_labels",):
    try:
        _spec = importlib.util.find_spec(_module)
    except ModuleNotFoundError:
        _spec = None
    if _spec is not None:
        importlib.import_module(_module).register(app)
