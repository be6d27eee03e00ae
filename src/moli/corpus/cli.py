"""`moli corpus ...` (语料): build a recipe, list and show the catalogue. Thin: logic is in service.py."""

from __future__ import annotations

import importlib
import importlib.util

import typer

app = typer.Typer(help="语料流水线与目录 / Corpus pipeline and catalogue", no_args_is_help=True)


@app.command("steps")
def steps_cmd() -> None:
    """列出可用步骤 / List the registered pipeline steps."""
    import json

    from moli.corpus.steps import STEPS, step_names

    names = step_names()
    typer.echo(json.dumps({n: STEPS[n].model_json_schema().get("properties", {}) for n in names},
                          ensure_ascii=False, indent=2))


# Other developers' sub-commands plug in here (labels: `moli corpus classify`).
for _module in ("moli.corpus.cli_labels",):
    try:
        _spec = importlib.util.find_spec(_module)
    except ModuleNotFoundError:
        _spec = None
    if _spec is not None:
        importlib.import_module(_module).register(app)
