"""Labelling commands: ``moli corpus classify``, ``moli corpus safety sample|import|report``, ``moli corpus card``."""

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
    _register_safety(app)

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


def _register_safety(app: typer.Typer) -> None:
    safety_app = typer.Typer(help="语料安全评估（TC260-003 / GB/T 45654-2025） / Corpus safety assessment", no_args_is_help=True)
    app.add_typer(safety_app, name="safety")

    def _print(obj) -> None:
        sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=1) + "\n")

    @safety_app.command("sample")
    def sample_cmd(corpus: Path = typer.Argument(..., exists=True, file_okay=False, help="构建输出目录 / build folder"),
                   n: int = typer.Option(None, "--n", help="样本量（默认 4000 或全部） / sample size (default 4,000 or all)"),
                   seed: int = typer.Option(20240229, "--seed")) -> None:
        """抽取人工审核样本并导出 CSV / Draw the human-review sample and export it as CSV."""
        from moli.corpus.safety import draw_sample

        path = draw_sample(corpus, n, seed)
        _print({"sample_csv": str(path), **json.loads((path.parent / "sample.json").read_text())})

    @safety_app.command("import")
    def import_cmd(corpus: Path = typer.Argument(..., exists=True, file_okay=False),
                   verdicts: Path = typer.Argument(..., exists=True, dir_okay=False,
                                                   help="审核结果 CSV（id, verdict, risk, reviewer, note） / reviewers' CSV")) -> None:
        """导入审核结论并计算合格率 / Import reviewers' verdicts and compute the pass rate."""
        from moli.corpus.safety import import_verdicts

        _print(import_verdicts(corpus, verdicts))

    @safety_app.command("report")
    def report_cmd(corpus: Path = typer.Argument(..., exists=True, file_okay=False)) -> None:
        """安全评估报告 / The safety assessment report."""
        from moli.corpus.safety import assessment_report

        _print(assessment_report(corpus))

    @app.command("card")
    def card_cmd(corpus: Path = typer.Argument(..., exists=True, file_okay=False),
                 license: str = typer.Option(None, "--license", help="许可 / licence")) -> None:
        """(重新)生成数据卡与 Croissant 元数据 / (Re)write README.md and croissant.json."""
        from moli.corpus.card import write_card

        paths = write_card(corpus, {"license": license} if license else None)
        _print({k: str(v) for k, v in paths.items()})
