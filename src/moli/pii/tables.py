"""Column-level PII scan of CSV / TSV / JSONL / Parquet / XLSX tables, streaming in bounded memory."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import islice
from pathlib import Path

from moli.core.errors import InputError
from moli.pii.categories import category_of, is_sensitive, profiles
from moli.pii.detect import detect_many
from moli.pii.io import decoded_lines, distinct_names, iter_jsonl, skip_hint
from moli.pii.lexicons import lexicons, surnames
from moli.pii.model import batches_by_size

FORMATS = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet",
           ".xlsx": "xlsx"}
_SPLIT_TOKENS = re.compile(r"[_\-\s./]+|(?<=[a-z])(?=[A-Z])")
_HAN_NAME = re.compile(r"^[\u4e00-\u9fa5·]{2,5}$")


def table_format(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(f"{path}：不支持的表格格式 {path.suffix}（支持 {', '.join(FORMATS)}）",
                         f"{path}: unsupported table format {path.suffix} (supported: {', '.join(FORMATS)})",
                         field="path")
    if not path.is_file():
        raise InputError(f"找不到文件 {path}", f"file not found: {path}", field="path")
    return fmt


# the largest CSV/TSV cell read (the csv module's default, 128 KiB, stops at a long text cell); a larger
# one is an InputError naming the file and the record
MAX_CSV_FIELD = 16 << 20


def _csv_rows(path: Path, fmt: str, encoding: str) -> Iterator[tuple[int, list[str]]]:
    """(record number from 1, fields) of a CSV/TSV; a cell over MAX_CSV_FIELD or another csv error is an
    InputError naming the file and the record."""
    if csv.field_size_limit() < MAX_CSV_FIELD:
        csv.field_size_limit(MAX_CSV_FIELD)  # process-wide, only ever raised
    lines = (ln for _, ln in decoded_lines(path, encoding))
    reader = csv.reader(lines, delimiter="\t" if fmt == "tsv" else ",")
    record = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            n = record + 1
            if "field larger than field limit" in str(exc):
                raise InputError(f"{path}：第 {n} 条记录有一个单元格超过 {MAX_CSV_FIELD >> 20} MB 上限",
                                 f"{path}: record {n} has a cell over the {MAX_CSV_FIELD >> 20} MB limit",
                                 field=f"record {n}") from None
            raise InputError(f"{path}：第 {n} 条记录无法按 {fmt.upper()} 读取（{exc}）",
                             f"{path}: record {n} cannot be read as {fmt.upper()} ({exc})", field=f"record {n}") from None
        record += 1
        yield record, row


def iter_table_rows(path, *, encoding: str = "utf-8", skip_bad: bool = False, skipped: list | None = None,
                    skip_flag: str | None = "--skip-bad", renamed: list | None = None) -> Iterator[dict]:
    """Rows of a table as dicts (column -> value), one at a time. CSV/TSV via the csv module, JSONL line by
    line, Parquet by record batches (pyarrow), XLSX with openpyxl read_only (first sheet, first row = header).

    A column name that repeats (in the header, or as a key repeated in a JSONL object) is kept under a
    distinct name, ``手机``, ``手机 (2)``, ``手机 (3)`` (``moli.pii.io.distinct_names``): no value is lost. Each
    rename is appended to ``renamed`` as (line, original, new); line 1 is the header. A bad row raises an
    InputError whose hint names ``skip_flag`` (the caller's option that skips it; None for no hint), or with
    ``skip_bad`` is appended to ``skipped`` as (line, reason)."""
    path = Path(path)
    fmt = table_format(path)
    renames: list = [] if renamed is None else renamed
    zh_hint, en_hint = skip_hint(skip_flag)
    if fmt in ("csv", "tsv"):
        records = _csv_rows(path, fmt, encoding)
        first = next(records, None)
        if first is None:
            return
        header, header_renames = distinct_names(first[1])
        renames.extend((1, old, new) for old, new in header_renames)
        for i, row in records:
            if not row:
                continue
            if len(row) != len(header):
                if skip_bad:
                    if skipped is not None:
                        skipped.append((i, f"{len(row)} fields, header has {len(header)}"))
                    continue
                raise InputError(f"{path}：第 {i} 条记录有 {len(row)} 个字段，表头有 {len(header)} 个{zh_hint}",
                                 f"{path}: record {i} has {len(row)} fields, the header has {len(header)}{en_hint}",
                                 field=f"record {i}")
            yield dict(zip(header, row, strict=True))
    elif fmt == "jsonl":
        line_renames: list = []
        seen: set = set()  # a key repeated on many lines is reported once, at its first line
        for _, obj in iter_jsonl(path, encoding=encoding, skip_bad=skip_bad, skipped=skipped, skip_flag=skip_flag,
                                 renamed=line_renames):
            for r in line_renames:
                if r[1:] not in seen:
                    seen.add(r[1:])
                    renames.append(r)
            line_renames.clear()
            yield obj
    elif fmt == "parquet":
        import pyarrow.parquet as pq

        try:
            pf = pq.ParquetFile(path)
        except Exception as exc:  # pyarrow raises ArrowInvalid and OSError variants
            raise InputError(f"{path}：不是有效的 Parquet 文件（文件损坏或不是 Parquet 格式）", f"{path}: not a valid Parquet file ({exc})",
                             field="path") from exc
        names, header_renames = distinct_names([str(n) for n in pf.schema_arrow.names])
        renames.extend((1, old, new) for old, new in header_renames)
        for batch in pf.iter_batches(batch_size=4096):
            if not header_renames:
                yield from batch.to_pylist()
                continue
            columns = [c.to_pylist() for c in batch.columns]
            for values in zip(*columns, strict=True):
                yield dict(zip(names, values, strict=True))
    else:
        import openpyxl

        try:
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException
            raise InputError(f"{path}：不是有效的 XLSX 文件（文件损坏或不是 Excel 2007+ 格式）", f"{path}: not a valid XLSX file ({exc})",
                             field="path") from exc
        try:
            rows = wb.worksheets[0].iter_rows(values_only=True)
            header = next(rows, None)
            if header is None:
                return
            header, header_renames = distinct_names(
                [str(h) if h is not None else f"column_{i + 1}" for i, h in enumerate(header)])
            renames.extend((1, old, new) for old, new in header_renames)
            for row in rows:
                if row is None or all(c is None for c in row):
                    continue
                yield {h: row[i] if i < len(row) else None for i, h in enumerate(header)}
        finally:
            wb.close()


class HeaderWords:
    """Words that give a column its meaning. Chinese words match as substrings of the header (the one
    ending last, then the longest, wins: 客户手机号 -> the phone); English words match whole tokens
    (split on ``_ - space . /`` and camelCase): the whole header first, then its tokens from the last
    (the head noun: customer_phone -> phone). A ``veto`` token stops an English match (company_name)."""

    def __init__(self, zh: dict[str, list[str]], en: dict[str, list[str]], veto: Iterable[str] = ()):
        self.zh = [(w, label) for label, words in zh.items() for w in words]
        self.en = {w.lower(): label for label, words in en.items() for w in words}
        self.veto = frozenset(veto)

    def match(self, header: str) -> str | None:
        best = None
        for w, label in self.zh:
            i = header.rfind(w)
            if i >= 0:
                key = (i + len(w), len(w))
                if best is None or key > best[0]:
                    best = (key, label)
        if best:
            return best[1]
        tokens = [t.lower() for t in _SPLIT_TOKENS.split(header.strip()) if t]
        if not tokens or any(t in self.veto for t in tokens):
            return None
        joined = "_".join(tokens)
        if joined in self.en:
            return self.en[joined]
        for t in reversed(tokens):
            if t in self.en:
                return self.en[t]
        return None


@lru_cache(maxsize=1)
def _kind_headers() -> HeaderWords:
    h = lexicons()["headers"]
    return HeaderWords({k: d.get("zh", []) for k, d in h["kinds"].items()},
                       {k: d.get("en", []) for k, d in h["kinds"].items()}, h["not_with"])


def header_kind(header: str) -> str | None:
    """The kind a column name announces (``客户姓名`` -> PERSON, ``mobile_phone`` -> PHONE), or None."""
    return _kind_headers().match(header)


def _looks_like_name(value: str) -> bool:
    single, compound = surnames()
    return bool(_HAN_NAME.match(value)) and (value[0] in single or value[:2] in compound) and len(value) <= 4


def values_kinds(values: list[str], expects: list[str | None]) -> list[list[str]]:
    """Kinds found in each cell (``expects``: its column's header kind); a value that is a bare name
    counts as PERSON when the header says so. The cells are detected together (``detect_many``: one
    model pass for a batch of rows instead of one per cell, which made a table scan 5× slower)."""
    kinds = [[f.kind for f in found] for found in detect_many(values)]
    retry = []
    for i, (value, expect, ks) in enumerate(zip(values, expects, kinds, strict=True)):
        if not value:
            continue
        if expect == "PERSON" and "PERSON" not in ks and _looks_like_name(value.strip()):
            ks.append("PERSON")
        if expect == "ADDRESS" and not ks and len(value) >= 4:
            retry.append(i)
    # an address column's value with nothing found: the model alone, without names competing for it
    for i, found in zip(retry, detect_many([values[i] for i in retry], kinds={"ADDRESS"}), strict=True):
        kinds[i] = ["ADDRESS"] if found or re.search(r"[省市区县路街号镇村]", values[i]) else []
    return kinds


# rows whose cells go to the detector together
ROW_BATCH = 1000


def classify_columns(header: Iterable[str], sample_rows: Iterable[dict]) -> dict[str, str | None]:
    """column -> the PII kind it holds (None if none): header meaning first, confirmed or overridden by
    the values of ``sample_rows`` (a kind covering >= 50 % of the non-empty sampled values wins)."""
    header = list(header)
    counts = {h: Counter() for h in header}
    nonempty = Counter()
    hk = {h: header_kind(h) for h in header}
    cells = []
    for row in sample_rows:
        for h in header:
            val = row.get(h)
            if val is None or str(val).strip() == "":
                continue
            nonempty[h] += 1
            cells.append((h, str(val)))
    for (h, _), ks in zip(cells, values_kinds([v for _, v in cells], [hk[h] for h, _ in cells]), strict=True):
        for k in set(ks):
            counts[h][k] += 1
    out: dict[str, str | None] = {}
    for h in header:
        top = counts[h].most_common(1)
        if top and top[0][1] * 2 >= max(1, nonempty[h]):
            out[h] = top[0][0]
        elif hk[h] and not nonempty[h]:
            out[h] = hk[h]
        else:
            out[h] = hk[h] if hk[h] and counts[h][hk[h]] else None
    return out


@dataclass
class ColumnReport:
    name: str
    header_kind: str | None
    kind: str | None
    non_empty: int = 0
    kinds: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict:
        d = {"column": self.name, "header_kind": self.header_kind, "kind": self.kind, "non_empty": self.non_empty,
             "kinds": self.kinds}
        if self.kind:
            d["category"] = category_of(self.kind)
            d["sensitive"] = {p: is_sensitive(self.kind, p) for p in profiles()}
        return d


@dataclass
class TableReport:
    path: str
    format: str
    rows: int
    columns: list[ColumnReport]
    skipped: list = field(default_factory=list)
    renamed: list = field(default_factory=list)  # (line, original, new) of repeated column names

    def to_dict(self) -> dict:
        return {"path": self.path, "format": self.format, "rows": self.rows,
                "columns": [c.to_dict() for c in self.columns],
                "pii_columns": [c.name for c in self.columns if c.kind],
                "skipped": [{"line": ln, "reason": r} for ln, r in self.skipped],
                "renamed_columns": [{"line": ln, "column": old, "renamed_to": new} for ln, old, new in self.renamed]}


def scan_table(path, *, sample_rows: int | None = None, encoding: str = "utf-8",
               skip_bad: bool = False) -> TableReport:
    """Per column: the kinds found in its values with counts, the header's meaning and the resulting kind.
    Reads the table once, streaming; ``sample_rows`` (a positive number) stops after that many rows. A
    repeated column name is reported under a distinct name (``手机 (2)``) and listed in ``renamed``."""
    if sample_rows is not None and sample_rows < 1:
        raise InputError(f"--sample-rows 应为正整数，而不是 {sample_rows}",
                         f"--sample-rows must be a positive number, not {sample_rows}", field="--sample-rows")
    path = Path(path)
    fmt = table_format(path)
    skipped: list = []
    renamed: list = []
    cols: dict[str, ColumnReport] = {}
    counts: dict[str, Counter] = {}
    rows = 0
    table = islice(iter_table_rows(path, encoding=encoding, skip_bad=skip_bad, skipped=skipped, renamed=renamed),
                   sample_rows)
    for batch in batches_by_size(table, lambda _: 1, ROW_BATCH):
        rows += len(batch)
        cells = []
        for row in batch:
            for h, val in row.items():
                h = str(h)
                if h not in cols:
                    cols[h] = ColumnReport(h, header_kind(h), None)
                    counts[h] = Counter()
                if val is None or str(val).strip() == "":
                    continue
                cols[h].non_empty += 1
                cells.append((h, json.dumps(val, ensure_ascii=False) if isinstance(val, (dict, list)) else str(val)))
        found = values_kinds([v for _, v in cells], [cols[h].header_kind for h, _ in cells])
        for (h, _), ks in zip(cells, found, strict=True):
            counts[h].update(ks)
    for h, c in cols.items():
        c.kinds = dict(counts[h].most_common())
        values_with = Counter()
        values_with.update({k: min(n, c.non_empty) for k, n in counts[h].items()})
        top = values_with.most_common(1)
        if top and top[0][1] * 2 >= max(1, c.non_empty):
            c.kind = top[0][0]
        elif c.header_kind and counts[h][c.header_kind]:
            c.kind = c.header_kind
    return TableReport(str(path), fmt, rows, list(cols.values()), skipped, renamed)
