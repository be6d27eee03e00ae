"""``moli pii scan|redact|scan-table|kinds`` — a thin face over moli.pii.files / tables / categories."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from moli.pii import files

app = typer.Typer(help="个人信息识别与脱敏 / detect and redact Chinese personal information", no_args_is_help=True)


def _kinds(value: str | None) -> set[str] | None:
    return {k.strip().upper() for k in value.split(",") if k.strip()} if value else None


def _report(stats: files.RunStats) -> None:
    if stats.skipped:
        typer.echo(f"已跳过 {len(stats.skipped)} 条有误的记录 / skipped {len(stats.skipped)} bad record(s): "
                   f"lines {', '.join(str(ln) for ln, _ in stats.skipped[:20])}", err=True)


@app.command()
def scan(input: Path = typer.Option(..., "--input", help="JSONL（每行一条记录）或 .txt / JSONL or .txt file"),
         field: str = typer.Option("text", "--field", help="文本字段 / text field"),
         id_field: str = typer.Option("id", "--id-field", help="编号字段 / id field"),
         encoding: str = typer.Option("utf-8", "--encoding", help="输入编码 / input encoding (e.g. gb18030)"),
         skip_bad: bool = typer.Option(False, "--skip-bad", help="跳过有误的行并计数 / skip and count bad lines"),
         kinds: str = typer.Option(None, "--kinds", help="只找这些类型，逗号分隔 / only these kinds")) -> None:
    """逐条输出识别结果（JSON 行）/ print one JSON line of findings per record."""
    stats = files.RunStats()
    for rec in files.scan_file(input, fld=field, id_field=id_field, encoding=encoding, skip_bad=skip_bad,
                               kinds=_kinds(kinds), stats=stats):
        sys.stdout.write(json.dumps(rec, ensure_ascii=False) + "\n")
    _report(stats)


@app.command()
def redact(input: Path = typer.Option(..., "--input", help="JSONL 或 .txt / JSONL or .txt"),
           output: Path = typer.Option(..., "--output", help="输出文件 / output file"),
           mode: str = typer.Option("tag", "--mode", help="tag|mask|pseudonymize|drop"),
           key_file: Path = typer.Option(None, "--key-file", help="假名化密钥文件 / pseudonymization key file"),
           field: str = typer.Option("text", "--field", help="文本字段 / text field"),
           encoding: str = typer.Option("utf-8", "--encoding", help="输入编码 / input encoding"),
           skip_bad: bool = typer.Option(False, "--skip-bad", help="跳过有误的行并计数 / skip and count bad lines"),
           kinds: str = typer.Option(None, "--kinds", help="只处理这些类型 / only these kinds"),
           allow_file: Path = typer.Option(None, "--allow-file", help="不脱敏的值，每行一个 / values never redacted"),
           names: str = typer.Option("all", "--names",
                                     help="all：所有姓名；cued：仅“联系人：”等提示后的姓名 / all names, or only cued ones")) -> None:
    """脱敏并写出新文件 / redact into a new file."""
    stats = files.redact_file(input, output, mode=mode, key=files.read_key(key_file), fld=field,
                              encoding=encoding, skip_bad=skip_bad, kinds=_kinds(kinds),
                              allow=files.read_allow(allow_file), names=names)
    _report(stats)
    typer.echo(json.dumps({"output": str(output), "mode": mode, **stats.summary()}, ensure_ascii=False), err=True)


@app.command("scan-table")
def scan_table(path: Path = typer.Argument(..., help="CSV / TSV / JSONL / Parquet / XLSX"),
               sample_rows: int = typer.Option(None, "--sample-rows", help="只读前 N 行 / read only N rows"),
               encoding: str = typer.Option("utf-8", "--encoding", help="CSV/JSONL 编码 / encoding"),
               skip_bad: bool = typer.Option(False, "--skip-bad", help="跳过有误的行 / skip bad rows")) -> None:
    """输出每列的个人信息类型报告（JSON）/ print the per-column report as JSON."""
    from moli.pii.tables import scan_table as _scan

    rep = _scan(path, sample_rows=sample_rows, encoding=encoding, skip_bad=skip_bad)
    for _, old, new in rep.renamed:
        typer.echo(f"列名 {old} 重复，这一列记为 {new} / column name {old!r} repeats; this column is reported as {new!r}",
                   err=True)
    typer.echo(json.dumps(rep.to_dict(), ensure_ascii=False, indent=1))


@app.command()
def kinds() -> None:
    """各类型的法律类别与敏感度 / each kind's legal category and sensitivity per profile."""
    from moli.pii.categories import table

    typer.echo(json.dumps(table(), ensure_ascii=False, indent=1))
