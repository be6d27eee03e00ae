"""数据集扫描 / Dataset scanner: which personal information a dataset holds, and about how many people.

Reads CSV/TSV, JSONL, Parquet, XLSX, a SQL table or a built corpus folder (``OUT/data/*.parquet``)
in record batches (bounded memory). Column meaning comes from ``moli.pii.classify_columns`` on a
sample; sensitivity from ``moli.pii.is_sensitive`` under each profile. Distinct individuals are
deduplicated on identifier columns (a declared key, ID number, passport, permit, phone, email) with
:class:`~moli.crossborder.distinct.DistinctCounter` (exact, then HyperLogLog). Free-text columns
(documents, chat logs) are searched cell by cell with ``moli.pii.detect`` (pattern kinds).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from moli.core.errors import InputError
from moli.crossborder.distinct import DistinctCounter, digests

# Identifier kinds in priority order: the first non-empty one in a row names the person.
IDENTIFIER_KINDS = ("ID_CARD", "PASSPORT", "HK_MACAO_PERMIT", "PHONE", "EMAIL")
TEXT_HEADERS = ("text", "content", "body", "message", "prompt", "response", "正文", "内容", "文本", "对话", "消息")
TEXT_MIN_AVG_CHARS = 40
# Short free-note columns: not searched cell by cell for identifiers (a text column is), but read for
# mentions of sensitive information about the row's person (data/sensitive_mentions.yaml).
# Chinese words inside the header (客户备注), English ones as the whole header.
NOTE_WORDS_ZH = ("备注", "附言", "留言", "情况说明")
NOTE_HEADERS = ("说明", "描述", "remark", "remarks", "note", "notes", "comment", "comments", "description")
TABLE_SUFFIXES = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet",
                  ".xlsx": "xlsx"}


def is_note_header(header: str) -> bool:
    h = header.strip().lower()
    return h in NOTE_HEADERS or any(w in h for w in NOTE_WORDS_ZH)


def _pii():
    import moli.pii as pii

    return pii


def profiles() -> list[str]:
    return list(_pii().profiles())


@dataclass
class ScanOptions:
    profile: str | None = None                # profile the report leads with (default: pii's default)
    key_columns: tuple[str, ...] = ()          # declared person keys (checked first)
    sensitive_columns: tuple[str, ...] = ()    # columns the user declares sensitive (e.g. 诊断)
    plain_columns: tuple[str, ...] = ()        # columns whose name misleads: never read as a sensitive category
    exact_limit: int = 5_000_000               # distinct people counted exactly up to this, HLL beyond
    sample_rows: int = 64
    batch_rows: int = 65_536
    allow_partial: bool = False
    text_max_cells: int | None = None          # cap the per-cell search of free-text columns
    progress: object = None                    # optional callable(fraction, message) for background jobs
    encoding: str | None = None                # CSV/TSV encoding; None: UTF-8 (BOM or not), else GB18030
    # names to show for files (file name -> name): an upload is stored as 00_x.csv in a server folder,
    # and its user must read "x.csv", never the server path
    source_names: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, o: dict, progress: object = None) -> ScanOptions:
        """From the JSON options a form or a background job carries (lists of column names)."""
        return cls(profile=o.get("profile") or None, key_columns=tuple(o.get("key_columns") or ()),
                   sensitive_columns=tuple(o.get("sensitive_columns") or ()),
                   plain_columns=tuple(o.get("plain_columns") or ()),
                   allow_partial=bool(o.get("allow_partial")), encoding=o.get("encoding") or None,
                   source_names=dict(o.get("source_names") or {}), progress=progress)

    def name_of(self, path: Path) -> str:
        """What the user calls ``path``: the uploaded file's own name, else the path as given."""
        return self.source_names.get(path.name) or str(path)


@lru_cache(maxsize=1)
def _sensitive_headers():
    import yaml

    from moli.crossborder.rules import DATA_DIR
    from moli.pii.tables import HeaderWords

    cats = yaml.safe_load((DATA_DIR / "sensitive_headers.yaml").read_text(encoding="utf-8"))["categories"]
    return HeaderWords({c: d["zh"] for c, d in cats.items()}, {c: d["en"] for c, d in cats.items()}), cats


@lru_cache(maxsize=1)
def mention_patterns() -> dict[str, tuple[str, re.Pattern]]:
    """category -> (RE2 pattern for pyarrow, compiled Python pattern) of ``data/sensitive_mentions.yaml``:
    statements in free text that carry sensitive personal information (诊断为, 犯罪记录, 年收入). The
    categories must be those of ``sensitive_headers.yaml``, whose entries say where each is sensitive."""
    import yaml

    from moli.core.errors import ConfigError
    from moli.crossborder.rules import DATA_DIR

    path = DATA_DIR / "sensitive_mentions.yaml"
    _, known = _sensitive_headers()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))["categories"]
        out = {}
        for cat, parts in raw.items():
            pattern = "|".join(f"(?:{str(x)})" for x in parts)
            out[cat] = (pattern, re.compile(pattern))
    except (OSError, yaml.YAMLError, KeyError, TypeError, AttributeError, re.error) as exc:
        raise ConfigError(f"{path}：敏感信息提及规则无效（{exc}）", f"{path}: invalid sensitive-mention patterns ({exc})") from None
    unknown = sorted(set(out) - set(known))
    if unknown:
        raise ConfigError(f"{path}：未知类别 {unknown}（须为 sensitive_headers.yaml 中的类别）",
                          f"{path}: unknown categories {unknown} (must be categories of sensitive_headers.yaml)")
    return out


def sensitive_mentions(text: str) -> list[str]:
    """The categories of sensitive personal information ``text`` mentions (``mention_patterns``)."""
    return [cat for cat, (_, rx) in mention_patterns().items() if rx.search(text or "")]


def profile_label(profile: str) -> tuple[str, str]:
    """(Chinese, English) name of a sensitivity profile (``sensitive_headers.yaml`` ``profiles``); the id
    itself for a profile the file does not name."""
    from moli.crossborder.rules import DATA_DIR

    names = _profile_names(DATA_DIR / "sensitive_headers.yaml")
    e = names.get(profile) or {}
    return e.get("zh") or profile, e.get("en") or profile


@lru_cache(maxsize=4)
def _profile_names(path: Path) -> dict:
    import yaml

    return yaml.safe_load(path.read_text(encoding="utf-8")).get("profiles") or {}


def sensitive_header(header: str) -> tuple[str, dict] | None:
    """The category of sensitive personal information a column name announces (``诊断`` ->
    medical_health), with its YAML entry, or None."""
    words, cats = _sensitive_headers()
    cat = words.match(header)
    return (cat, cats[cat]) if cat else None


@dataclass
class _Column:
    name: str
    kind: str | None
    role: str                 # identifier | pi | text | none | key
    sensitive: dict[str, object] = field(default_factory=dict)   # profile -> True/False/"conditional"
    non_empty: int = 0        # cells that hold a value (not blank)
    cells_with_pi: int = 0    # text columns: cells in which personal information was found
    kinds_found: Counter = field(default_factory=Counter)       # text columns: findings per kind
    declared_sensitive: bool = False
    sensitive_category: str | None = None  # read from the header (data/sensitive_headers.yaml)
    mentions: Counter = field(default_factory=Counter)  # text columns: records about a person per mentioned category
    reads_mentions: bool = False  # text and note columns, unless declared not sensitive


def _norm_py(kind: str, value: str) -> str:
    v = value.strip()
    if kind == "PHONE":
        d = re.sub(r"\D", "", v)
        return d[-11:] if len(d) >= 11 and d[-11] == "1" else d
    if kind == "EMAIL":
        return v.lower()
    return v.upper().replace(" ", "")


def _norm_arrow(kind: str, arr: pa.Array) -> pa.Array:
    arr = pc.utf8_trim_whitespace(arr)
    if kind == "PHONE":
        d = pc.replace_substring_regex(arr, r"\D", "")
        long = pc.greater_equal(pc.utf8_length(d), 11)
        return pc.if_else(long, pc.utf8_slice_codeunits(d, -11), d)
    if kind == "EMAIL":
        return pc.utf8_lower(arr)
    return pc.replace_substring(pc.utf8_upper(arr), " ", "")


def _nonempty(arr: pa.Array) -> pa.Array:
    return pc.fill_null(pc.greater(pc.utf8_length(pc.utf8_trim_whitespace(arr)), 0), False)


# ---------------------------------------------------------------------------------------------
# readers: each yields pyarrow RecordBatches whose columns are all strings (null = missing)

def _as_strings(batch: pa.RecordBatch) -> pa.RecordBatch:
    cols = []
    for col in batch.columns:
        t = col.type
        if pa.types.is_string(t) or pa.types.is_large_string(t):
            cols.append(col.cast(pa.string()))
        elif pa.types.is_nested(t) or pa.types.is_binary(t):
            cols.append(pa.array([None if v is None else json.dumps(v, ensure_ascii=False, default=str)
                                  for v in col.to_pylist()], type=pa.string()))
        else:
            cols.append(pc.cast(col, pa.string()))
    return pa.RecordBatch.from_arrays(cols, names=[str(n) for n in batch.schema.names])


def _rows_to_batches(rows: Iterator[dict], size: int) -> Iterator[pa.RecordBatch]:
    header: list[str] | None = None
    buf: list[dict] = []

    def flush():
        data = {h: [None if r.get(h) is None else (json.dumps(r[h], ensure_ascii=False, default=str)
                                                  if isinstance(r[h], (dict, list)) else str(r[h])) for r in buf]
                for h in header}
        return pa.RecordBatch.from_pydict(data, schema=pa.schema([(h, pa.string()) for h in header]))

    for row in rows:
        if header is None:
            header = [str(h) for h in row]
        else:
            for h in row:
                if str(h) not in header:
                    header.append(str(h))
        buf.append({str(k): v for k, v in row.items()})
        if len(buf) >= size:
            yield flush()
            buf = []
    if buf:
        yield flush()


SNIFF_BYTES = 1 << 20


def _check_codec(encoding: str) -> str:
    import codecs

    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise InputError(f"未知的字符编码 {encoding}（如 utf-8、gb18030）",
                         f"unknown character encoding {encoding!r} (e.g. utf-8, gb18030)", field="--encoding") from None


def sniff_encoding(path: Path) -> str:
    """``utf-8`` or ``gb18030`` (what Excel writes on Chinese Windows; a superset of GBK and GB2312):
    the first megabyte that holds a non-ASCII byte decides. Reads no further than that block."""
    import codecs

    dec = codecs.getincrementaldecoder("utf-8")()
    with open(path, "rb") as fh:
        while chunk := fh.read(SNIFF_BYTES):
            try:
                dec.decode(chunk)
            except UnicodeDecodeError:
                return "gb18030"
            if not chunk.isascii():
                return "utf-8"
    return "utf-8"


def first_bad_byte(path: Path, encoding: str) -> int | None:
    """The byte offset of the first byte ``path`` cannot be decoded at in ``encoding`` (None: all decode).
    Streams the file in 1 MB blocks."""
    import codecs

    dec = codecs.getincrementaldecoder(encoding)()
    done = 0
    with open(path, "rb") as fh:
        while True:
            chunk = fh.read(SNIFF_BYTES)
            pending = len(dec.getstate()[0])
            try:
                dec.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                return done - pending + exc.start
            if not chunk:
                return None
            done += len(chunk)


def _undecodable(path: Path, name: str, encoding: str, explicit: bool) -> InputError:
    """The error for a file whose bytes are not text in ``encoding`` (nor, unless the user chose the
    encoding, in the other one of UTF-8 and GB18030): names the file and the first bad byte."""
    tried = [encoding] if explicit else ["utf-8", "gb18030"]
    # the furthest either encoding reads: a UTF-8 file with one stray GBK line fails where that line starts
    at = max((b for b in (first_bad_byte(path, e) for e in tried) if b is not None), default=None)
    where_zh = f"字节偏移 {at:,} 处" if at is not None else ""
    where_en = f" at byte offset {at:,}" if at is not None else ""
    zh_enc = "、".join(e.upper() for e in tried) if explicit else "UTF-8，也不是 GB18030"
    en_enc = " or ".join(e.upper() for e in tried)
    return InputError(f"{name}：{where_zh}不是有效的 {zh_enc} 编码，无法读取（请另存为 UTF-8 CSV）",
                      f"{name}: not valid {en_enc} text{where_en}; save it as UTF-8 CSV", field=name)


def _csv_batches(path: Path, opts: ScanOptions, bad_rows: list, info: dict | None = None) -> Iterator[pa.RecordBatch]:
    """CSV/TSV in 1 MB blocks: UTF-8 (with or without BOM) or, when its bytes are not UTF-8, GB18030
    (``sniff_encoding``); ``opts.encoding`` fixes the encoding. ``info["encoding"]`` says which was used."""
    import csv

    import pyarrow.csv as pcsv

    name = opts.name_of(path)
    explicit = bool(opts.encoding)
    encoding = _check_codec(opts.encoding) if explicit else sniff_encoding(path)
    if encoding in ("utf-8", "utf-8-sig"):
        encoding = "utf-8"
    if info is not None:
        info["encoding"] = encoding
    delim = "\t" if path.suffix.lower() == ".tsv" else ","
    with open(path, "rb") as fh:
        line = fh.readline()
    if encoding == "utf-8" and line.startswith(b"\xef\xbb\xbf"):
        line = line[3:]
    try:
        header = next(csv.reader([line.decode(encoding)], delimiter=delim), None)
    except UnicodeDecodeError:
        raise _undecodable(path, name, encoding, explicit) from None
    if not header:
        return

    def on_bad(row) -> str:
        if opts.allow_partial:
            bad_rows.append({"line": row.number, "reason": f"{row.actual_columns} fields, header has {row.expected_columns}"})
            return "skip"
        return "error"

    names = [h.lstrip("\ufeff") for h in header]
    # the block must hold a whole record: a row over 1 MB (a long note) is read again with a larger block,
    # up to CSV_MAX_BLOCK; the rows already given are passed over, the bad rows recorded again from the start
    block, given, bad_start = CSV_BLOCK, 0, len(bad_rows)
    while True:
        skip = given
        del bad_rows[bad_start:]
        try:
            reader = pcsv.open_csv(
                path,
                read_options=pcsv.ReadOptions(block_size=block, use_threads=False, skip_rows=1,
                                              column_names=[f"c{i}" for i in range(len(names))],
                                              encoding="utf8" if encoding == "utf-8" else encoding),
                parse_options=pcsv.ParseOptions(delimiter=delim, invalid_row_handler=on_bad, newlines_in_values=True),
                convert_options=pcsv.ConvertOptions(column_types={f"c{i}": pa.string() for i in range(len(names))},
                                                    strings_can_be_null=True, quoted_strings_can_be_null=False),
            )
            for batch in reader:
                if skip:
                    if batch.num_rows <= skip:
                        skip -= batch.num_rows
                        continue
                    batch, skip = batch.slice(skip), 0
                given += batch.num_rows
                # the header's own names, repeats included (``_scan`` makes them distinct and says so)
                yield pa.RecordBatch.from_arrays(batch.columns, names=names)
            return
        except UnicodeDecodeError:  # GB18030 (or a chosen encoding) read through pyarrow's transcoder
            raise _undecodable(path, name, encoding, explicit) from None
        except pa.ArrowInvalid as exc:
            msg = str(exc)
            if "straddl" in msg and block < CSV_MAX_BLOCK:
                block *= 4
                continue
            raise _csv_error(name, msg, block) from None


CSV_BLOCK = 1 << 20
CSV_MAX_BLOCK = 64 << 20  # the longest record read: a block holds whole records, and a few blocks are in memory


def _csv_error(name: str, msg: str, block: int) -> InputError:
    """pyarrow's CSV error as a bilingual InputError, its reason in Chinese too."""
    first = msg.splitlines()[0]
    if "straddl" in msg:
        mb = block >> 20
        return InputError(f"{name}：有一条记录（一行）超过 {mb} MB，无法读取；请拆分过长的单元格",
                          f"{name}: a record (row) is over {mb} MB and cannot be read; split the overlong cell",
                          field=name)
    m = re.search(r"[Rr]ow #?(\d+)", msg)
    cols = re.search(r"Expected (\d+) columns, got (\d+)", msg)
    where_zh = f"第 {m.group(1)} 行附近" if m else ""
    where_en = f" near row {m.group(1)}" if m else ""
    if cols:
        reason_zh = f"有 {cols.group(2)} 个字段，表头有 {cols.group(1)} 个；可加 --allow-partial 跳过"
        reason_en = f"{cols.group(2)} fields, the header has {cols.group(1)}; use --allow-partial to skip it"
    elif "invalid UTF8" in msg:  # UTF-8 at the start (so read as UTF-8), another encoding further on
        reason_zh = "此处不是有效的 UTF-8 编码（文件前面是 UTF-8），请把整个文件另存为同一种编码，或用 --encoding 指定"
        reason_en = "not valid UTF-8 here (the file starts as UTF-8); save the whole file in one encoding, or pass --encoding"
    else:
        reason_zh, reason_en = "CSV 格式有误（如引号未闭合）", first
    return InputError(f"{name}：{where_zh}无法读取，{reason_zh}", f"{name}: cannot be read{where_en}: {reason_en}",
                      field=name)


def _parquet_batches(path: Path, opts: ScanOptions) -> Iterator[pa.RecordBatch]:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except Exception as exc:  # ArrowInvalid / OSError for a damaged or non-Parquet file
        name = opts.name_of(path)
        reason = str(exc).replace(str(path), name)
        raise InputError(f"{name}：不是有效的 Parquet 文件（文件损坏或不是 Parquet 格式）", f"{name}: not a valid Parquet file ({reason})",
                         field=name) from None
    for batch in pf.iter_batches(batch_size=opts.batch_rows):
        yield _as_strings(batch)


def _pii_rows_batches(path: Path, opts: ScanOptions, bad_rows: list, info: dict | None = None) -> Iterator[pa.RecordBatch]:
    """XLSX and JSONL rows through ``moli.pii``: a bad line's hint names this command's --allow-partial, and a
    repeated column or key is kept under a distinct name (``手机 (2)``), listed in ``info["renamed"]``."""
    skipped: list = []
    renamed = info.setdefault("renamed", []) if info is not None else []
    rows = _pii().iter_table_rows(path, skip_bad=opts.allow_partial, skipped=skipped, skip_flag="--allow-partial",
                                  renamed=renamed, **({"encoding": opts.encoding} if opts.encoding else {}))
    yield from _rows_to_batches(rows, min(opts.batch_rows, 8192))
    bad_rows.extend({"line": ln, "reason": r} for ln, r in skipped)


def sql_batches(url: str, table: str, opts: ScanOptions) -> Iterator[pa.RecordBatch]:
    """Stream a SQL table (SQLAlchemy, ``yield_per``) as string batches."""
    import sqlalchemy as sa

    try:
        engine = _sqlite_read_only(url) or sa.create_engine(url)
        tbl = sa.Table(table, sa.MetaData(), autoload_with=engine)
    except sa.exc.NoSuchTableError:
        raise InputError(f"数据库中没有表 {table}", f"no table {table!r} in the database", field="--table") from None
    except (sa.exc.SQLAlchemyError, ValueError) as exc:
        raise InputError(f"无法连接数据库 {url.split('@')[-1]}（{exc.__class__.__name__}）",
                         f"cannot open the database {url.split('@')[-1]} ({exc.__class__.__name__}: {exc})",
                         field="--sql") from None
    names = [c.name for c in tbl.columns]
    try:
        with engine.connect() as conn:
            result = conn.execution_options(yield_per=opts.batch_rows).execute(sa.select(tbl))
            for part in result.partitions():
                cols = list(zip(*part, strict=True)) if part else [[] for _ in names]
                yield pa.RecordBatch.from_pydict(
                    {n: [None if v is None else str(v) for v in col] for n, col in zip(names, cols, strict=True)},
                    schema=pa.schema([(n, pa.string()) for n in names]))
    finally:
        engine.dispose()


def _sqlite_read_only(url: str):
    """An engine that opens a SQLite file read-only (a scan never changes it, nor creates a missing one);
    None for other databases. A missing file is an InputError naming it."""
    import sqlite3
    from urllib.parse import quote

    import sqlalchemy as sa

    try:
        u = sa.engine.make_url(url)
    except sa.exc.ArgumentError:
        return None
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:" or u.database.startswith("file:"):
        return None
    db = Path(u.database)
    if not db.is_file():
        raise InputError(f"找不到 SQLite 数据库文件 {db}", f"SQLite database file {db} not found", field="--sql")
    target = f"file:{quote(str(db.resolve()))}?mode=ro"
    return sa.create_engine("sqlite://", creator=lambda: sqlite3.connect(target, uri=True))


def _with_columns(batch: pa.RecordBatch, names: list[str]) -> pa.RecordBatch:
    """``batch`` with every column in ``names`` (missing ones all-null), for batches of a varying schema."""
    cols = [batch.column(n) if n in batch.schema.names else pa.nulls(batch.num_rows, pa.string()) for n in names]
    return pa.RecordBatch.from_arrays(cols, names=names)


def expand_sources(paths: list[str | Path]) -> list[Path]:
    """Files to read: a corpus folder expands to its ``data/*.parquet`` (or ``*.parquet``) shards."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            shards = sorted((p / "data").glob("*.parquet")) or sorted(p.glob("*.parquet"))
            if not shards:
                raise InputError(f"{p} 是目录，但其中没有 data/*.parquet 语料分片",
                                 f"{p} is a folder without data/*.parquet corpus shards", field=str(p))
            out.extend(shards)
        else:
            out.append(p)
    return out


def file_batches(path: Path, opts: ScanOptions, bad_rows: list, info: dict | None = None) -> Iterator[pa.RecordBatch]:
    """Batches of one file; errors name it as ``opts.name_of`` does; ``info`` gets the CSV encoding."""
    fmt = TABLE_SUFFIXES.get(path.suffix.lower())
    name = opts.name_of(path)
    if fmt is None:
        raise InputError(f"{name}：不支持的格式 {path.suffix or '（无扩展名）'}（支持 {'、'.join(TABLE_SUFFIXES)}）",
                         f"{name}: unsupported format {path.suffix or '(none)'} (supported: {', '.join(TABLE_SUFFIXES)})",
                         field=name)
    if not path.is_file():
        raise InputError(f"找不到数据文件 {name}", f"data file not found: {name}", field=name)
    if fmt in ("csv", "tsv"):
        return _csv_batches(path, opts, bad_rows, info)
    if fmt == "parquet":
        return _parquet_batches(path, opts)
    return _pii_rows_batches(path, opts, bad_rows, info)


def classify(header: list[str], sample: list[dict]) -> dict[str, str | None]:
    """``moli.pii.classify_columns``; if the name/address model is not installed, the same vote with
    pii's header meaning and pattern kinds only (names/addresses then come from headers alone)."""
    from moli.core.errors import ConfigError

    pii = _pii()
    try:
        return pii.classify_columns(header, sample)
    except ConfigError:
        pattern_kinds = set(pii.KINDS) - {"PERSON", "ADDRESS"}
        out: dict[str, str | None] = {}
        for h in header:
            hk = pii.header_kind(h)
            votes: Counter = Counter()
            nonempty = 0
            for row in sample:
                v = row.get(h)
                if v is None or str(v).strip() == "":
                    continue
                nonempty += 1
                votes.update({f.kind for f in pii.detect(str(v), kinds=pattern_kinds)})
            top = votes.most_common(1)
            if top and top[0][1] * 2 >= max(1, nonempty):
                out[h] = top[0][0]
            else:
                out[h] = hk if hk in ("PERSON", "ADDRESS") or (hk and votes[hk]) or (hk and not nonempty) else None
        return out


# ---------------------------------------------------------------------------------------------

class Scanner:
    """Accumulates one scan over several sources; distinct people are counted across all of them."""

    def __init__(self, opts: ScanOptions | None = None):
        self.opts = opts or ScanOptions()
        self.profiles = profiles()
        if self.opts.profile and self.opts.profile not in self.profiles:
            raise InputError(f"未知的敏感度口径 {self.opts.profile}（可用：{'、'.join(self.profiles)}）",
                             f"unknown sensitivity profile {self.opts.profile} (one of {', '.join(self.profiles)})",
                             field="--profile")
        self.profile = self.opts.profile or self.profiles[0]
        if self.opts.exact_limit < 1:
            raise InputError(f"精确去重上限须为正整数（收到 {self.opts.exact_limit}）",
                             f"the exact distinct-count limit must be a positive integer (got {self.opts.exact_limit})",
                             field="--exact-limit")
        self.people = DistinctCounter(self.opts.exact_limit)
        self.sensitive = {p: DistinctCounter(self.opts.exact_limit) for p in self.profiles}
        self.unidentified = 0                                   # PI rows/cells without an identifier
        self.unidentified_sensitive = dict.fromkeys(self.profiles, 0)
        self.sources: list[dict] = []
        self.errors: list[dict] = []
        self.rows = 0

    # -- sources -----------------------------------------------------------------------------
    def scan_paths(self, paths: list[str | Path]) -> None:
        files = expand_sources(paths)
        sizes = [p.stat().st_size if p.is_file() else 0 for p in files]
        total, done = max(1, sum(sizes)), 0
        for path, size in zip(files, sizes, strict=True):
            bad: list = []
            info: dict = {"renamed": []}
            name = self.opts.name_of(path)
            self._report_progress(done / total, f"扫描 / scanning {Path(name).name}")
            try:
                self._scan(name, file_batches(path, self.opts, bad, info), bad, info["renamed"])
                done += size
            except InputError as exc:
                if name != str(path):  # messages from other modules name the stored file: name it as its user does
                    exc = InputError(exc.zh.replace(str(path), name), exc.en.replace(str(path), name),
                                     field=name if exc.field in (str(path), "path") else exc.field)
                if not self.opts.allow_partial:
                    raise exc from None
                self.errors.append({"source": name, "error_zh": exc.zh, "error_en": exc.en})
                continue
            if info.get("encoding"):
                self.sources[-1]["encoding"] = info["encoding"]

    def _report_progress(self, fraction: float, message: str) -> None:
        if callable(self.opts.progress):
            self.opts.progress(min(fraction, 0.99), f"{message} · {self.rows:,} 行 rows")

    def scan_sql(self, url: str, table: str) -> None:
        try:
            self._scan(f"{url.split('@')[-1]}#{table}", sql_batches(url, table, self.opts), [])
        except InputError as exc:
            if not self.opts.allow_partial:
                raise
            self.errors.append({"source": table, "error_zh": exc.zh, "error_en": exc.en})

    def scan_batches(self, name: str, batches) -> None:
        self._scan(name, iter(batches), [])

    # -- the work ----------------------------------------------------------------------------
    def _classify(self, batch: pa.RecordBatch) -> list[_Column]:
        pii = _pii()
        n = min(self.opts.sample_rows, batch.num_rows)
        sample = batch.slice(0, n).to_pylist()
        header = list(batch.schema.names)
        kinds = classify(header, sample)
        cols = []
        for h in header:
            kind = kinds.get(h)
            values = [str(r[h]) for r in sample if r.get(h) not in (None, "")]
            avg = sum(map(len, values)) / len(values) if values else 0
            is_text = h.strip().lower() in TEXT_HEADERS or avg >= TEXT_MIN_AVG_CHARS
            if h in self.opts.key_columns:
                role = "key"
            elif is_text:
                role = "text"
            elif kind in IDENTIFIER_KINDS:
                role = "identifier"
            elif kind is not None and pii.categories.is_personal(kind):
                role = "pi"
            else:
                role = "none"
            c = _Column(h, kind if role != "text" else None, role)
            if kind is not None:
                c.sensitive = {p: ("conditional" if pii.categories.sensitivity(kind, p) == "conditional"
                                   else pii.categories.sensitivity(kind, p) == "true") for p in self.profiles}
            if h in self.opts.sensitive_columns:
                c.declared_sensitive = True
                c.sensitive = dict.fromkeys(self.profiles, True)
                if c.role == "none":
                    c.role = "pi"
            elif c.role in ("none", "text") and h not in self.opts.plain_columns and (found := sensitive_header(h)):
                # a long-text column named 病历 stays a text column (searched for identifiers) and its
                # non-empty cells are sensitive information about the row's person
                c.sensitive_category, c.role = found[0], ("pi" if c.role == "none" else "text")
                c.sensitive = {p: bool(found[1]["sensitive"][p]) for p in self.profiles}
            c.reads_mentions = (c.role == "text" or (c.role == "none" and is_note_header(h))) \
                and h not in self.opts.plain_columns
            cols.append(c)
        return cols

    def _scan(self, name: str, batches: Iterator[pa.RecordBatch], bad: list, renamed: list | None = None) -> None:
        """``renamed``: (line, original, new) for columns a reader made distinct (filled as it reads); a
        column name that repeats in a batch (a CSV or Parquet header) is made distinct here the same way."""
        from moli.pii.io import distinct_names

        renamed = [] if renamed is None else renamed
        cols: list[_Column] | None = None
        rows = 0
        text_cells = 0
        for batch in batches:
            if batch.num_rows == 0:
                continue
            if len(set(batch.schema.names)) != len(batch.schema.names):
                distinct, pairs = distinct_names([str(n) for n in batch.schema.names])
                batch = pa.RecordBatch.from_arrays(batch.columns, names=distinct)
                if cols is None:
                    renamed.extend((1, old, new) for old, new in pairs)
            if cols is None:
                cols = self._classify(batch)
            elif len(batch.schema.names) != len(cols):  # JSONL: keys first seen in a later batch
                known = {c.name for c in cols}
                new = [h for h in batch.schema.names if h not in known]
                if new:
                    cols = cols + self._classify(batch.select(new))
            present = set(batch.schema.names)
            if any(c.name not in present for c in cols):
                batch = _with_columns(batch, [c.name for c in cols])
            rows += batch.num_rows
            for c in cols:
                if c.role in ("text", "none"):  # the PI roles are counted in _table_batch
                    c.non_empty += pc.sum(_nonempty(batch.column(c.name))).as_py() or 0
            row_has_pi = self._table_batch(batch, cols)
            for c in cols:
                if c.role == "text" and (self.opts.text_max_cells is None or text_cells < self.opts.text_max_cells):
                    text_cells += self._text_column(batch.column(c.name), c, row_has_pi)
        self.rows += rows
        self.sources.append({
            "source": name, "rows": rows,
            "columns": [self._column_dict(c) for c in (cols or [])],
            "skipped_rows": bad,
        })
        if renamed:
            seen_pairs: set = set()
            self.sources[-1]["renamed_columns"] = [
                {"line": ln, "column": old, "as": new} for ln, old, new in renamed
                if (old, new) not in seen_pairs and not seen_pairs.add((old, new))]
        if bad:
            self.errors.append({"source": name, "error_zh": f"跳过 {len(bad)} 行格式错误的记录",
                                "error_en": f"skipped {len(bad)} malformed rows", "rows": bad[:20]})

    def _column_dict(self, c: _Column) -> dict:
        pii = _pii()
        d = {"column": c.name, "role": c.role, "kind": c.kind, "non_empty": c.non_empty}
        if c.kind:
            d["category"] = pii.categories.category_of(c.kind)
        if c.sensitive:
            d["sensitive"] = c.sensitive
        if c.declared_sensitive:
            d["declared_sensitive"] = True
        if c.sensitive_category:
            d["sensitive_category"] = c.sensitive_category
        if c.role == "text":
            d["cells_with_pi"] = c.cells_with_pi
        if c.kinds_found:
            d["kinds_found"] = dict(c.kinds_found.most_common())
        if c.mentions:
            d["sensitive_mentions"] = dict(c.mentions.most_common())
        return d

    def _table_batch(self, batch: pa.RecordBatch, cols: list[_Column]) -> np.ndarray:
        """Count the people of one batch from its columns; returns which rows hold personal information."""
        n = batch.num_rows
        any_pi = np.zeros(n, dtype=bool)
        sens = {p: np.zeros(n, dtype=bool) for p in self.profiles}
        ident = None
        order = ([c for c in cols if c.role == "key"]
                 + sorted((c for c in cols if c.role == "identifier"), key=lambda c: IDENTIFIER_KINDS.index(c.kind)))
        for c in cols:
            if c.role not in ("key", "identifier", "pi"):
                continue
            arr = batch.column(c.name)
            ne_arrow = _nonempty(arr)
            ne = ne_arrow.to_numpy(zero_copy_only=False)
            c.non_empty += int(ne.sum())
            any_pi |= ne
            for p in self.profiles:
                s = c.sensitive.get(p, False)
                if s is True:
                    sens[p] |= ne
                elif s == "conditional":
                    sens[p] |= self._conditional(c.kind, p, arr, ne)
        if any_pi.any():
            self._row_text(batch, cols, any_pi, sens)
        for c in order:
            arr = batch.column(c.name)
            tag = "KEY" if c.role == "key" else c.kind
            norm = _norm_arrow(c.kind or "KEY", arr)
            tagged = pc.binary_join_element_wise(pa.scalar(tag), norm, ":")
            tagged = pc.if_else(_nonempty(arr), tagged, pa.scalar(None, pa.string()))
            ident = tagged if ident is None else pc.coalesce(ident, tagged)
        if ident is None:
            self.unidentified += int(any_pi.sum())
            for p in self.profiles:
                self.unidentified_sensitive[p] += int(sens[p].sum())
            return any_pi
        has_id = pc.is_valid(ident).to_numpy(zero_copy_only=False)
        ids = ident.to_numpy(zero_copy_only=False)
        h = digests(ids[has_id & any_pi])
        self.people.add_hashes(h)
        self.unidentified += int((any_pi & ~has_id).sum())
        for p in self.profiles:
            m = sens[p]
            if m.any():
                self.sensitive[p].add_hashes(digests(ids[has_id & m]))
                self.unidentified_sensitive[p] += int((m & ~has_id).sum())
        return any_pi

    def _row_text(self, batch: pa.RecordBatch, cols: list[_Column], any_pi: np.ndarray,
                  sens: dict[str, np.ndarray]) -> None:
        """Rows with personal information whose text or note columns hold sensitive information about
        their person: a non-empty cell of a text column whose name or declaration makes it sensitive
        (病历), or a cell that mentions a sensitive category (``mention_patterns``; one vectorised regex per
        category and column). Anonymous rows are left alone: a text column's cells count a person only where an
        identifier is found in them (``_text_column``)."""
        _, cats = _sensitive_headers()
        for c in cols:
            whole_cell = c.role == "text" and any(v is True for v in c.sensitive.values())
            if not (whole_cell or c.reads_mentions):
                continue
            arr = batch.column(c.name)
            if whole_cell:
                hit = _nonempty(arr).to_numpy(zero_copy_only=False) & any_pi
                for p in self.profiles:
                    if c.sensitive.get(p) is True:
                        sens[p] |= hit
                continue
            for cat, (pattern, _) in mention_patterns().items():
                hit = pc.fill_null(pc.match_substring_regex(arr, pattern), False).to_numpy(zero_copy_only=False) & any_pi
                if not hit.any():
                    continue
                c.mentions[cat] += int(hit.sum())
                for p in self.profiles:
                    if cats[cat]["sensitive"][p]:
                        sens[p] |= hit

    def _conditional(self, kind: str, profile: str, arr: pa.Array, ne: np.ndarray) -> np.ndarray:
        """Rows where a conditionally sensitive value is sensitive (ID_CARD: the holder is under 14).

        A vectorised pre-filter (birth year within 15 years) keeps the per-value call to
        ``moli.pii.is_sensitive`` to the few candidates."""
        out = np.zeros(len(ne), dtype=bool)
        if kind != "ID_CARD":
            return out
        digits = pc.utf8_slice_codeunits(pc.utf8_trim_whitespace(arr), 6, 10)
        isnum = pc.fill_null(pc.match_substring_regex(digits, r"^\d{4}$"), False)
        years = pc.if_else(isnum, digits, pa.scalar("0")).cast(pa.int32())
        cand = np.asarray(pc.fill_null(pc.greater_equal(years, dt.date.today().year - 15), False)
                          .to_numpy(zero_copy_only=False)) & ne
        if cand.any():
            is_sens = _pii().is_sensitive
            vals = arr.to_numpy(zero_copy_only=False)
            for i in np.flatnonzero(cand):
                out[i] = is_sens(kind, profile, value=str(vals[i]).strip())
        return out

    def _text_column(self, arr: pa.Array, c: _Column, row_has_pi: np.ndarray | None = None) -> int:
        """The people a text column names itself (identifiers found in each cell), with the sensitive
        information the same cell mentions. ``row_has_pi``: rows whose other columns hold PI — their
        mentions were counted by ``_row_text`` already."""
        pii = _pii()
        kinds = set(pii.KINDS) - {"PERSON", "ADDRESS"}
        _, cats = _sensitive_headers()
        read_mentions = c.reads_mentions
        cells = 0
        for i, text in enumerate(arr.to_pylist()):
            if not text:
                continue
            cells += 1
            found = [f for f in pii.detect(text, kinds=kinds) if f.personal]
            if not found:
                continue
            c.cells_with_pi += 1
            ids = []
            sens = dict.fromkeys(self.profiles, False)
            for f in found:
                c.kinds_found[f.kind] += 1
                if f.kind in IDENTIFIER_KINDS:
                    ids.append(f"{f.kind}:{_norm_py(f.kind, f.text)}")
                for p in self.profiles:
                    sens[p] |= pii.is_sensitive(f.kind, p, value=f.text)
            for cat in sensitive_mentions(text) if read_mentions else ():
                if row_has_pi is None or not row_has_pi[i]:
                    c.mentions[cat] += 1
                for p in self.profiles:
                    sens[p] |= bool(cats[cat]["sensitive"][p])
            if c.sensitive_category or c.declared_sensitive:
                for p in self.profiles:
                    sens[p] |= bool(c.sensitive.get(p))
            if ids:
                h = digests(ids)
                self.people.add_hashes(h)
                for p in self.profiles:
                    if sens[p]:
                        self.sensitive[p].add_hashes(h)
            else:
                self.unidentified += 1
                for p in self.profiles:
                    self.unidentified_sensitive[p] += int(sens[p])
        return cells

    # -- result ------------------------------------------------------------------------------
    def result(self) -> dict:
        individuals = self.people.count() + self.unidentified
        sens = {p: self.sensitive[p].count() + self.unidentified_sensitive[p] for p in self.profiles}
        id_cols = sorted({f"{s['source']}:{c['column']}" for s in self.sources for c in s["columns"]
                          if c["role"] in ("key", "identifier")})
        seen = {c["column"] for s in self.sources for c in s["columns"]}
        notes = []
        for option, names in (("--key", self.opts.key_columns), ("--sensitive-column", self.opts.sensitive_columns),
                              ("--not-sensitive-column", self.opts.plain_columns)):
            for k in names:
                if k not in seen:
                    raise InputError(f"声明的列 {k} 不在任何数据源中", f"declared column {k!r} is in none of the sources",
                                     field=option)
        read = sorted({(c["column"], c["sensitive_category"]) for s in self.sources for c in s["columns"]
                       if c.get("sensitive_category")})
        if read:
            _, cats = _sensitive_headers()
            notes.append({"zh": "按列名计为敏感个人信息的列：" + "、".join(f"{h}（{cats[k]['zh_name']}）" for h, k in read)
                          + "；列名有误导时用 --not-sensitive-column 排除",
                          "en": "columns counted as sensitive personal information by their name: "
                          + ", ".join(f"{h} ({k})" for h, k in read) + "; exclude a misleading one with --not-sensitive-column"})
        mentioned = sorted({(c["column"], cat, n) for s in self.sources for c in s["columns"]
                            for cat, n in (c.get("sensitive_mentions") or {}).items()})
        if mentioned:
            _, cats = _sensitive_headers()
            notes.append({"zh": "文本中提及敏感个人信息的记录（其人按敏感个人信息计）：" + "、".join(
                              f"{h} 列 {n:,} 条{cats[k]['zh_name']}" for h, k, n in mentioned)
                          + "；误判的列用 --not-sensitive-column 排除",
                          "en": "records whose text mentions sensitive personal information (their people count as sensitive): "
                          + ", ".join(f"{h}: {n:,} {k}" for h, k, n in mentioned)
                          + "; exclude a misread column with --not-sensitive-column"})
        renames = [(s["source"], r) for s in self.sources for r in s.get("renamed_columns", [])]
        if renames:
            notes.append({"zh": "列名重复，后出现的列改用不同的名称（数据不丢失）：" + "、".join(
                              f"{n} 的 {r['column']} → {r['as']}" for n, r in renames),
                          "en": "repeated column names: later columns were given distinct names (no data lost): "
                          + ", ".join(f"{n}: {r['column']} -> {r['as']}" for n, r in renames)})
        decoded = [(s["source"], s["encoding"]) for s in self.sources if s.get("encoding", "utf-8") != "utf-8"]
        if decoded:
            notes.append({"zh": "以下文件不是 UTF-8 编码，按所列编码读取：" + "、".join(f"{n}（{e.upper()}）" for n, e in decoded),
                          "en": "files that are not UTF-8, read in the encoding shown: "
                          + ", ".join(f"{n} ({e.upper()})" for n, e in decoded)})
        if self.unidentified:
            notes.append({"zh": f"{self.unidentified:,} 行/单元格含个人信息但没有可去重的标识（身份证号、手机号、邮箱等），每行按一人计（偏保守）",
                          "en": f"{self.unidentified:,} rows/cells hold PI but no identifier to deduplicate on; each counted as one person (conservative)"})
        if self.people.method == "hyperloglog" or any(c.method == "hyperloglog" for c in self.sensitive.values()):
            err = self.people.hll.relative_error if self.people.hll else 0.0081
            notes.append({"zh": f"去重人数超过精确上限 {self.opts.exact_limit:,}，改用 HyperLogLog 估计（相对误差约 {err:.1%}）",
                          "en": f"more than {self.opts.exact_limit:,} distinct people: HyperLogLog estimate (about {err:.1%} relative error)"})
        return {
            "partial": bool(self.errors),
            "errors": self.errors,
            "rows": self.rows,
            "profile": self.profile,
            "individuals": individuals,
            "sensitive_individuals": sens[self.profile],
            "sensitive_individuals_by_profile": sens,
            "method": "hyperloglog" if self.people.method == "hyperloglog" else "exact",
            "identifier_columns": id_cols,
            "unidentified_rows": self.unidentified,
            "sources": self.sources,
            "notes": notes,
        }


def scan(paths: list[str | Path] = (), *, sql: str | None = None, table: str | None = None,
         options: ScanOptions | None = None) -> dict:
    """Scan files/folders and optionally one SQL table; return the summary dict."""
    s = Scanner(options)
    if paths:
        s.scan_paths(list(paths))
    if sql:
        if not table:
            raise InputError("使用 --sql 时须同时给出 --table", "--sql needs --table", field="--table")
        s.scan_sql(sql, table)
    if not paths and not sql:
        raise InputError("请给出要扫描的数据文件或 --sql", "give data files to scan or --sql", field="DATA")
    return s.result()
