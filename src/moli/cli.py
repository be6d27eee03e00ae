"""The ``moli`` command: one Typer sub-app per feature, discovered from ``moli.<feature>.cli:app``."""

from __future__ import annotations

import importlib
import importlib.util
import sys

import typer

from moli import __version__
from moli.core.db import FEATURES
from moli.core.errors import MoliError

app = typer.Typer(name="moli", help="模力 moli — 大模型产业开放平台 / open platform for the AI large-model industry",
                  no_args_is_help=True, pretty_exceptions_show_locals=False)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"moli {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="打印版本 / print the version")) -> None:
    """模力 moli."""


# Sub-apps that are not features (db, users, serve, worker, demo) live in moli.core.cli / moli.web.cli.
_EXTRA = ("moli.core.cli", "moli.web.cli")


def _register() -> None:
    for modname in _EXTRA + tuple(f"moli.{f}.cli" for f in FEATURES if f != "core"):
        pkg = modname.rsplit(".", 1)[0]
        if importlib.util.find_spec(pkg) is None or importlib.util.find_spec(modname) is None:
            continue
        mod = importlib.import_module(modname)
        # A module may add commands to the root (``register(app)``) or expose a sub-app (``app``).
        if hasattr(mod, "register"):
            mod.register(app)
        elif hasattr(mod, "app"):
            app.add_typer(mod.app, name=modname.split(".")[1])


_register()


def _exit_on_sigterm(signum, frame) -> None:
    # SIGTERM (kill, a supervisor stopping the job) ends the process the way Ctrl-C does: through the
    # ``finally`` and ``except BaseException`` blocks that remove temporary and half-written files.
    raise SystemExit(128 + signum)


def main() -> None:
    import signal

    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        app()
    except MoliError as exc:
        typer.secho(f"错误 / error: {exc.zh}\n  {exc.en}", err=True, fg="red")
        sys.exit(2)
