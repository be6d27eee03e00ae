"""``moli corpus classify``: domain labels for a JSONL file, one JSON line per record."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from moli.core.errors import InputError

BATCH = 512


def _records(path: Path, field: str, id_field: str, skip_bad: bool):
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, 1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InputError(f"{path} 第 {lineno} 行不是 UTF-8 编码（行内字节 {exc.start}）",
                                 f"{path} line {lineno} is not UTF-8 (byte {exc.start} of the line)") from None
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
                if not isinstance(rec, dict):
                    raise ValueError("not an object")
                text = rec[field]
                if not isinstance(text, str):
                    raise ValueError(f"field {field!r} is not a string")
            except (ValueError, KeyError) as exc:
                if skip_bad:
                    typer.echo(f"跳过 / skipped {path}:{lineno}: {exc}", err=True)
                    continue
                raise InputError(f"{path} 第 {lineno} 行无效：{exc}", f"{path} line {lineno} is invalid: {exc}") from None
            yield rec.get(id_field, lineno), text


def register(app: typer.Typer) -> None:
    @app.command("classify")
    def classify_cmd(
        input: Path = typer.Option(..., "--input", exists=True, dir_okay=False, help="JSONL 文件 / JSONL file"),
        field: str = typer.Option("text", "--field", help="文本字段 / text field"),
        id_field: str = typer.Option("id", "--id-field", help="编号字段 / id field"),
        skip_bad: bool = typer.Option(False, "--skip-bad", help="跳过无效行 / skip invalid lines"),
    ) -> None:
        """领域分类 / Classify each record into the seven corpus domains."""
        from moli.corpus.domain import get_classifier

        model = get_classifier()
        batch: list[tuple] = []

        def flush() -> None:
            for (rid, _), pred in zip(batch, model.predict([t for _, t in batch]), strict=True):
                sys.stdout.write(json.dumps({"id": rid, "domain": pred.domain, "scores": pred.scores},
                                            ensure_ascii=False) + "\n")
            batch.clear()

        for rec in _records(input, field, id_field, skip_bad):
            batch.append(rec)
            if len(batch) >= BATCH:
                flush()
        flush()
