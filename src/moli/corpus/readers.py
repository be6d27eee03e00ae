"""Readers (读取器): files and URLs → ``Document`` records.

Formats: ``.txt``, ``.md``, ``.jsonl`` / ``.jsonl.gz`` / ``.json``, ``.parquet``, ``.csv``, ``.html``
(main text without navigation and scripts), ``.pdf`` (text layer; ``needs_ocr`` when there is none),
``.docx`` (paragraphs and tables in document order), ``.doc`` (LibreOffice headless). Inputs are glob
patterns on the local disk or any fsspec URL (``memory://``, ``s3://`` …).

A file that cannot be read (corrupt PDF, encrypted DOCX, HTML without text, binary named .txt) does
not stop the run: the reader yields a ``Removed`` with ``removed_by="read"`` and the reason, naming
the file (and line / field for record formats).
"""

from __future__ import annotations

import gzip
import io
import json
import logging
import os
import re
import shutil
import subprocess
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import fsspec

from moli.core.errors import InputError
from moli.corpus.document import Document, Removed

FORMATS = ("txt", "md", "jsonl", "parquet", "csv", "html", "pdf", "docx", "doc")
_EXT = {
    ".txt": "txt", ".text": "txt", ".md": "md", ".markdown": "md", ".jsonl": "jsonl", ".json": "jsonl",
    ".ndjson": "jsonl", ".parquet": "parquet", ".csv": "csv", ".html": "html", ".htm": "html",
    ".pdf": "pdf", ".docx": "docx", ".doc": "doc",
}
# File names the readers take (a compressed .gz / .zst copy of a text format too).
SUFFIXES = tuple(_EXT) + tuple(f"{ext}{z}" for ext in (".txt", ".md", ".jsonl", ".csv") for z in (".gz", ".zst"))
_GLOB_CHARS = re.compile(r"[*?\[]")


# A .json file holding one JSON array is parsed whole; beyond this size JSON Lines is required.
JSON_ARRAY_MAX_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class InputFile:
    """One input shard: its URL/path, the id prefix (path relative to the pattern's root), its size.

    ``url`` and ``rel`` are always valid Unicode (they become document ids, sources and manifest
    entries); a local file whose name is not valid UTF-8 (GBK names from Windows zips) gets a decoded
    ``url`` and keeps its real path in ``real``, which is what is opened (see ``location``)."""

    url: str
    rel: str
    size: int
    format: str
    mtime: str | None = None  # modification time as the filesystem reports it (resume checks it)
    real: str | None = None  # the local path as the OS spells it, when it differs from ``url``

    @property
    def location(self) -> str:
        """What to open: the real path when the name had to be decoded, else ``url``."""
        return self.real or self.url


def readable_name(name: str) -> str:
    """A file name as valid Unicode: names that are not valid UTF-8 (``os.fsdecode`` surrogates) are
    decoded from their bytes as UTF-8, then GB18030, else shown with ``\\xNN`` escapes."""
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        pass
    raw = os.fsencode(name)
    for enc in ("utf-8", "gb18030"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return raw.decode("utf-8", "backslashreplace")


def detect_format(path: str) -> str | None:
    p = path.lower()
    for suffix in (".gz", ".zst"):
        if p.endswith(suffix):
            p = p[: -len(suffix)]
    return _EXT.get(PurePosixPath(p).suffix)


def _root_of(pattern: str) -> str:
    parts = pattern.split("/")
    root = []
    for part in parts:
        if _GLOB_CHARS.search(part):
            break
        root.append(part)
    if len(root) == len(parts):  # no glob: the file's folder is the root
        root = root[:-1]
    return "/".join(root)


def expand_inputs(patterns: list[str], *, base_dir: Path | None = None, format: str = "auto") -> list[InputFile]:
    """Expand glob patterns / URLs into a sorted, de-duplicated list of input files.

    A pattern that matches nothing, or names a folder (not a glob), is an ``InputError`` (the message
    suggests ``folder/**``). Folders a glob matches and files of unknown formats are skipped; when
    nothing readable is left at all, the ``InputError`` names the patterns and the skipped suffixes."""
    files: dict[str, InputFile] = {}
    skipped: Counter[str] = Counter()
    for pattern in patterns:
        given = pattern
        is_url = "://" in pattern
        if not is_url and base_dir is not None and not os.path.isabs(pattern):
            pattern = str(base_dir / pattern)
        fs, _, _ = fsspec.core.get_fs_token_paths(pattern) if is_url else (fsspec.filesystem("file"), None, None)
        path = fs._strip_protocol(pattern)
        is_glob = bool(_GLOB_CHARS.search(path))
        matches = fs.glob(path) if is_glob else ([path] if fs.exists(path) else [])
        shown = readable_name(pattern)
        if not matches:
            raise InputError(f"输入路径没有匹配到任何文件：{shown}", f"input pattern matches no file: {shown}",
                             field="input.paths")
        if not is_glob and fs.isdir(path):
            folder = readable_name(given).rstrip("/")
            raise InputError(f"输入路径 {folder} 是文件夹；要读取其中的文件，请写成 {folder}/**（含子文件夹）或 {folder}/*",
                             f"input path {folder} is a folder; to read the files in it write {folder}/** "
                             f"(with subfolders) or {folder}/*", field="input.paths")
        root = _root_of(path)
        for m in sorted(matches):
            if fs.isdir(m):
                skipped["<folder>"] += 1
                continue
            fmt = format if format != "auto" else detect_format(m)
            if fmt is None:  # not a document format (e.g. a README.pdf.sha256): skipped by auto
                skipped[PurePosixPath(readable_name(m)).suffix.lower() or "<no suffix>"] += 1
                continue
            if fmt not in FORMATS:
                raise InputError(f"不支持的输入格式：{fmt}", f"unsupported input format: {fmt}", field="input.format")
            rel = m[len(root):].lstrip("/") if root and m.startswith(root) else PurePosixPath(m).name
            url = fs.unstrip_protocol(m) if is_url else m
            real = None
            if not is_url and readable_name(m) != m:  # a file name that is not valid UTF-8
                real, url, rel = m, readable_name(m), readable_name(rel)
            info = fs.info(m)
            mtime = info.get("mtime") or info.get("LastModified") or info.get("created")
            files.setdefault(real or url, InputFile(url=url, rel=rel, size=int(info.get("size") or 0), format=fmt,
                                                    mtime=None if mtime is None else str(mtime), real=real))
    if not files:
        shown = ", ".join(readable_name(p) for p in patterns)
        what = ", ".join(f"{k} ×{n}" for k, n in skipped.most_common(10))
        raise InputError(
            f"输入路径中没有可读取的文件：{shown}（跳过：{what}；支持的后缀：{', '.join(SUFFIXES)}）",
            f"no readable file in the input paths: {shown} (skipped: {what}; supported suffixes: "
            f"{', '.join(SUFFIXES)})", field="input.paths")
    return sorted(files.values(), key=lambda f: f.url)


class ReadError(Exception):
    """A file that cannot be read; ``reason`` is a short code, messages are bilingual."""

    def __init__(self, reason: str, zh: str, en: str):
        self.reason, self.zh, self.en = reason, zh, en
        super().__init__(f"{zh} / {en}")


def _failed(f: InputFile, reason: str, zh: str, en: str, *, rid: str | None = None) -> Removed:
    doc = Document(id=rid or f.rel, text="", source=f.url,
                   meta={"format": f.format, "error": f"{zh} / {en}"})
    return Removed(doc, "read", reason)


def read_file(f: InputFile, *, text_field: str = "text", id_field: str | None = "id",
              html_extractor: str = "selectolax") -> Iterator[Document | Removed]:
    """Yield the documents of one input file (or ``Removed`` records for what cannot be read)."""
    try:
        if f.format in ("jsonl", "parquet", "csv"):
            yield from _read_records(f, text_field, id_field)
            return
        if f.format in ("txt", "md"):
            doc = _read_text(f)
        elif f.format == "html":
            doc = _read_html(f, html_extractor)
        elif f.format == "pdf":
            doc = _read_pdf(f)
        elif f.format == "docx":
            with fsspec.open(f.location, "rb") as fh:
                doc = _read_docx_bytes(f, fh.read())
        elif f.format == "doc":
            doc = _read_doc(f)
        else:  # pragma: no cover - expand_inputs validates formats
            raise ReadError("unsupported_format", f"不支持的格式 {f.format}", f"unsupported format {f.format}")
        if doc is not None:
            yield doc
    except ReadError as exc:
        yield _failed(f, exc.reason, f"{f.url}: {exc.zh}", f"{f.url}: {exc.en}")
    except (OSError, ValueError, KeyError, RuntimeError, EOFError, UnicodeError, AssertionError) as exc:
        name = type(exc).__name__
        yield _failed(f, "unreadable", f"{f.url}: 无法读取（{name}: {exc}）", f"{f.url}: cannot read ({name}: {exc})")


# ---------------------------------------------------------------------------------------------
# plain text


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030; binary data is refused."""
    head = data[:8192]
    if b"\x00" in head and not (head.startswith(b"\xff\xfe") or head.startswith(b"\xfe\xff")):
        raise ReadError("binary_file", "这是二进制文件，不是文本", "this is a binary file, not text")
    for enc in ("utf-8-sig", "utf-16") if head[:2] in (b"\xff\xfe", b"\xfe\xff") else ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        bad = sum(1 for c in text[:4096] if ord(c) < 32 and c not in "\n\r\t\f")
        if bad > 0.05 * max(1, min(len(text), 4096)):
            raise ReadError("binary_file", "这是二进制文件，不是文本", "this is a binary file, not text")
        return text
    raise ReadError("undecodable", "无法按 UTF-8 或 GB18030 解码", "cannot decode as UTF-8 or GB18030")


def _open_bytes(f: InputFile) -> bytes:
    with fsspec.open(f.location, "rb", compression="infer") as fh:
        return fh.read()


def _read_text(f: InputFile) -> Document | Removed:
    text = decode_text(_open_bytes(f))
    meta: dict[str, Any] = {"format": f.format}
    title = _first_heading(text) if f.format == "md" else _first_line(text)
    if title:
        meta["title"] = title
    if not text.strip():
        raise ReadError("empty", "文件没有文字", "the file has no text")
    return Document(id=f.rel, text=text, source=f.url, meta=meta)


def _first_heading(text: str) -> str | None:
    for line in text.splitlines()[:50]:
        if line.startswith("# "):
            return line[2:].strip()
    return _first_line(text)


def _first_line(text: str) -> str | None:
    for line in text.splitlines()[:20]:
        if line.strip():
            return line.strip()[:120]
    return None


# ---------------------------------------------------------------------------------------------
# records: jsonl(.gz), parquet, csv


def _record_doc(f: InputFile, rec: dict, where: str, text_field: str, id_field: str | None,
                n: int) -> Document | Removed:
    rid = f"{f.rel}#{n}"
    if id_field and rec.get(id_field) not in (None, ""):
        rid = str(rec[id_field])
    text = rec.get(text_field)
    if not isinstance(text, str):
        what = "缺少" if text is None else "不是字符串的"
        return _failed(f, f"missing_field:{text_field}", f"{where}：{what}字段 {text_field}",
                       f"{where}: field {text_field} is {'missing' if text is None else 'not a string'}", rid=rid)
    meta = {k: v for k, v in rec.items() if k not in (text_field, id_field)}
    meta = json.loads(json.dumps(meta, ensure_ascii=False, default=str))
    meta["format"] = f.format
    return Document(id=rid, text=text, source=f.url, meta=meta)


def _is_json_array(f: InputFile) -> bool:
    """A ``.json`` file whose first non-space character is ``[`` (one JSON array, not JSON Lines)."""
    name = f.url.lower().removesuffix(".gz").removesuffix(".zst")
    if not name.endswith(".json"):
        return False
    with fsspec.open(f.location, "rb", compression="infer") as fh:
        while True:
            chunk = fh.read(4096)
            if not chunk:
                return False
            head = chunk.lstrip(b" \t\r\n\xef\xbb\xbf")  # whitespace and a UTF-8 BOM
            if head:
                return head.startswith(b"[")


def _read_json_array(f: InputFile, text_field: str, id_field: str | None) -> Iterator[Document | Removed]:
    """The records of a ``.json`` file holding one array of objects, parsed whole (bounded in size)."""
    limit = JSON_ARRAY_MAX_BYTES
    with fsspec.open(f.location, "rb", compression="infer") as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        mb = limit // (1024 * 1024)
        raise ReadError("json_too_large", f"JSON 数组文件超过 {mb} MB，无法整体读取；请改用 JSON Lines（.jsonl，每行一个对象）",
                        f"the JSON array file is larger than {mb} MB and cannot be read whole; use JSON Lines "
                        f"(.jsonl, one object per line) instead")
    try:
        records = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ReadError("bad_json", f"JSON 不是 UTF-8 编码（字节 {exc.start}）",
                        f"the JSON is not UTF-8 (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise ReadError("bad_json", f"JSON 无效（第 {exc.lineno} 行第 {exc.colno} 列：{exc.msg}）",
                        f"invalid JSON (line {exc.lineno} column {exc.colno}: {exc.msg})") from None
    del data
    for n, rec in enumerate(records, start=1):
        where = f"{f.url} 第 {n} 项 / item {n}"
        if not isinstance(rec, dict):
            yield _failed(f, "bad_json", f"{where}：不是 JSON 对象", f"{where}: not a JSON object", rid=f"{f.rel}#{n}")
            continue
        yield _record_doc(f, rec, where, text_field, id_field, n)


def _read_records(f: InputFile, text_field: str, id_field: str | None) -> Iterator[Document | Removed]:
    if f.format == "jsonl" and _is_json_array(f):
        yield from _read_json_array(f, text_field, id_field)
    elif f.format == "jsonl":
        with fsspec.open(f.location, "rb", compression="infer") as fh:
            for n, raw in enumerate(fh, start=1):
                if not raw.strip():
                    continue
                where = f"{f.url} 第 {n} 行 / line {n}"
                try:
                    rec = json.loads(raw)
                except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                    yield _failed(f, "bad_json", f"{where}：JSON 无效（{exc}）", f"{where}: invalid JSON ({exc})",
                                  rid=f"{f.rel}#{n}")
                    continue
                if not isinstance(rec, dict):
                    yield _failed(f, "bad_json", f"{where}：不是 JSON 对象", f"{where}: not a JSON object",
                                  rid=f"{f.rel}#{n}")
                    continue
                yield _record_doc(f, rec, where, text_field, id_field, n)
    elif f.format == "parquet":
        import pyarrow.parquet as pq

        with fsspec.open(f.location, "rb") as fh:
            pf = pq.ParquetFile(fh)
            n = 0
            for batch in pf.iter_batches(batch_size=1000):
                for rec in batch.to_pylist():
                    n += 1
                    yield _record_doc(f, rec, f"{f.url} 第 {n} 行 / row {n}", text_field, id_field, n)
    else:  # csv
        import csv

        with fsspec.open(f.location, "rb", compression="infer") as fh:
            data = fh.read()
        reader = csv.DictReader(io.StringIO(decode_text(data)))
        if reader.fieldnames is None or text_field not in reader.fieldnames:
            raise ReadError(f"missing_field:{text_field}", f"CSV 表头中没有字段 {text_field}",
                            f"CSV header has no field {text_field}")
        for n, rec in enumerate(reader, start=1):
            yield _record_doc(f, rec, f"{f.url} 第 {n + 1} 行 / line {n + 1}", text_field, id_field, n)


# ---------------------------------------------------------------------------------------------
# html

_DROP_TAGS = ["script", "style", "noscript", "iframe", "nav", "header", "footer", "aside", "form", "select",
              "button", "svg", "canvas", "template", "object", "embed", "input", "textarea", "link", "meta"]
_BLOCK_TAGS = {"p", "div", "td", "li", "section", "article", "h1", "h2", "h3", "h4", "h5", "h6", "pre",
               "blockquote", "tr", "dd", "dt", "br", "table", "ul", "ol", "main", "center", "font", "span"}
_BOILER_ATTR = re.compile(r"(nav|menu|footer|header|sidebar|breadcrumb|crumb|copyright|share|comment|"
                          r"related|recommend|advert|banner|login|toolbar|topbar|bottom|foot|side)", re.I)
_PUNCT = re.compile("[，。、；：！？]")


def _node_text(node) -> str:
    return node.text(separator="\n", strip=True)


def extract_html_selectolax(html: str) -> tuple[str, str | None]:
    """Main-text extraction with lexbor (selectolax): the block with the most Chinese punctuation.

    Scripts, styles and navigation-like elements (by tag and by id/class such as nav, footer,
    breadcrumb, share) are removed; every text block adds its count of ，。、；：！？ to its parent
    (and half to the grandparent); the best-scoring container's paragraphs are returned, minus lines
    that are mostly link text. Returns (text, title).
    """
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(html)
    title_node = tree.css_first("title")
    title = title_node.text(strip=True) if title_node else None
    h1 = tree.css_first("h1")
    if h1 is not None and h1.text(strip=True):
        title = h1.text(strip=True)
    tree.strip_tags(_DROP_TAGS)
    body = tree.body
    if body is None:
        return "", title
    for node in body.css("[id], [class]"):
        attrs = f"{node.attributes.get('id') or ''} {node.attributes.get('class') or ''}"
        if _BOILER_ATTR.search(attrs) and not re.search(r"(content|article|main|text|detail)", attrs, re.I):
            node.decompose()
    scores: dict[int, float] = {}
    nodes: dict[int, Any] = {}
    for p in body.css("p, td, li, div, span, font, pre, section"):
        own = p.text(deep=False, strip=True)
        if len(own) < 10:
            continue
        punct = len(_PUNCT.findall(own))
        if punct == 0:
            continue
        parent = p.parent
        weight = punct + len(own) / 100
        for k, node in enumerate((p, parent, parent.parent if parent is not None else None)):
            if node is None:
                break
            key = node.mem_id
            nodes[key] = node
            scores[key] = scores.get(key, 0.0) + weight * (1.0, 1.0, 0.5)[k]
    if not scores:
        return "", title
    best = nodes[max(scores, key=scores.get)]
    link_chars = {}
    for a in best.css("a"):
        t = a.text(strip=True)
        if t:
            link_chars[t] = len(t)
    lines = []
    for line in _node_text(best).split("\n"):
        line = line.strip()
        if not line or (line in link_chars and not _PUNCT.search(line)):
            continue
        lines.append(line)
    return "\n".join(lines), title


def html_title(html: str) -> str | None:
    """The page's <h1>, else its <title> (lexbor parser)."""
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(html)
    for sel in ("h1", "title"):
        node = tree.css_first(sel)
        if node is not None and node.text(strip=True):
            return node.text(strip=True)
    return None


def extract_html_trafilatura(html: str) -> tuple[str, str | None]:
    """trafilatura's main-text extraction. Its metadata extraction is not used: htmldate/dateparser
    took ~37 s on one Chinese page here (building locale regexes), so the title comes from lexbor."""
    import trafilatura

    text = trafilatura.extract(html, include_comments=False, include_tables=True, with_metadata=False) or ""
    return text, html_title(html)


HTML_EXTRACTORS = {"selectolax": extract_html_selectolax, "trafilatura": extract_html_trafilatura}


def _read_html(f: InputFile, extractor: str) -> Document:
    html = decode_text(_open_bytes(f))
    try:
        fn = HTML_EXTRACTORS[extractor]
    except KeyError:
        raise InputError(f"未知的 HTML 抽取器：{extractor}", f"unknown HTML extractor: {extractor}",
                         field="input.html_extractor") from None
    text, title = fn(html)
    if not text.strip():
        raise ReadError("no_text", "HTML 页面中没有正文", "the HTML page has no main text")
    meta: dict[str, Any] = {"format": "html", "extractor": extractor}
    if title:
        meta["title"] = title
    return Document(id=f.rel, text=text, source=f.url, meta=meta)


# ---------------------------------------------------------------------------------------------
# pdf


class _CountingHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0
        self.first: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        if self.first is None:
            try:
                self.first = record.getMessage()[:200]
            except Exception:  # noqa: BLE001 - a malformed log record must not break the read
                self.first = str(record.msg)[:200]


@contextmanager
def _quiet_pypdf() -> Iterator[_CountingHandler]:
    """pypdf's logging warnings (broken xref, bad fonts) are counted per file instead of flooding
    stderr without naming the file."""
    import warnings

    logger = logging.getLogger("pypdf")
    handler = _CountingHandler()
    old_propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield handler
    finally:
        logger.removeHandler(handler)
        logger.propagate = old_propagate


def _warned(handler: _CountingHandler) -> tuple[str, str]:
    if not handler.count:
        return "", ""
    return (f"；pypdf 警告 {handler.count} 条，第一条：{handler.first}",
            f"; {handler.count} pypdf warnings, the first: {handler.first}")


def _read_pdf(f: InputFile) -> Document | Removed:
    from pypdf import PdfReader

    data = _open_bytes(f)
    with _quiet_pypdf() as warned:
        try:
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted and not reader.decrypt(""):
                raise ReadError("encrypted", "PDF 已加密", "the PDF is encrypted")
            pages = [page.extract_text() or "" for page in reader.pages]
            info = reader.metadata
            title = str(info.title) if info is not None and info.title else None
        except ReadError:
            raise
        except Exception as exc:  # noqa: BLE001 - any failure of the PDF library is this file's read error
            zh, en = _warned(warned)
            name = type(exc).__name__
            raise ReadError("corrupt_pdf", f"PDF 已损坏（{name}: {exc}{zh}）",
                            f"the PDF is corrupt ({name}: {exc}{en})") from None
    text = "\n".join(p.strip() for p in pages if p.strip())
    meta: dict[str, Any] = {"format": "pdf", "pages": len(pages)}
    if warned.count:
        meta["pdf_warnings"] = warned.count
    if title:
        meta["title"] = title
    if len("".join(text.split())) < 20 * max(1, len(pages)) * 0.1 or not text.strip():
        meta["needs_ocr"] = True
        doc = Document(id=f.rel, text=text, source=f.url, meta=meta)
        return Removed(doc, "read", "needs_ocr")
    return Document(id=f.rel, text=text, source=f.url, meta=meta)


# ---------------------------------------------------------------------------------------------
# docx / doc

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def docx_text(document) -> str:
    """Paragraphs and tables of a python-docx ``Document`` in document order."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    out: list[str] = []
    for child in document.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            t = Paragraph(child, document).text.strip()
            if t:
                out.append(t)
        elif tag == "tbl":
            for row in Table(child, document).rows:
                cells, seen = [], set()
                for cell in row.cells:
                    if id(cell._tc) in seen:  # merged cells repeat
                        continue
                    seen.add(id(cell._tc))
                    ct = " ".join(cell.text.split())
                    if ct:
                        cells.append(ct)
                if cells:
                    out.append(" | ".join(cells))
    return "\n".join(out)


def _read_docx_bytes(f: InputFile, data: bytes) -> Document:
    import zipfile

    import docx

    kind = f.format.upper()  # DOC when the bytes are LibreOffice's conversion of a .doc
    if not data:
        raise ReadError("empty", f"{kind} 文件是空的（0 字节）", f"the {kind} file is empty (0 bytes)")
    if data.startswith(_OLE_MAGIC):
        raise ReadError("encrypted_or_ole", "DOCX 已加密（或是旧版 .doc 文件）",
                        "the DOCX is encrypted (or an old .doc file)")
    try:
        d = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ReadError(f"corrupt_{f.format}", f"{kind} 已损坏（{exc}）", f"the {kind} is corrupt ({exc})") from None
    except Exception as exc:  # python-docx raises PackageNotFoundError and lxml errors
        raise ReadError(f"corrupt_{f.format}", f"{kind} 无法打开（{type(exc).__name__}）",
                        f"the {kind} cannot be opened ({type(exc).__name__})") from None
    text = docx_text(d)
    if not text.strip():
        raise ReadError("empty", f"{kind} 中没有文字", f"the {kind} has no text")
    meta: dict[str, Any] = {"format": f.format}
    cp = d.core_properties
    if cp.title and cp.title.strip() not in ("Word Document", "Document", "文档"):
        meta["title"] = cp.title
    else:
        meta["title"] = _first_line(text)
    return Document(id=f.rel, text=text, source=f.url, meta=meta)


def soffice_path() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def _read_doc(f: InputFile) -> Document:
    exe = soffice_path()
    if exe is None:
        raise ReadError("missing_tool:soffice",
                        "读取 .doc 需要 LibreOffice（soffice 命令），但未安装；请安装 libreoffice-writer",
                        "reading .doc needs LibreOffice (the soffice command), which is not installed; "
                        "install libreoffice-writer")
    data = _open_bytes(f)
    if not data:
        raise ReadError("empty", "DOC 文件是空的（0 字节）", "the DOC file is empty (0 bytes)")
    with tempfile.TemporaryDirectory(prefix="moli-doc-") as tmp:
        src = Path(tmp) / "in.doc"
        src.write_bytes(data)
        proc = subprocess.run(
            [exe, "--headless", f"-env:UserInstallation=file://{tmp}/profile", "--convert-to", "docx",
             "--outdir", tmp, str(src)],
            capture_output=True, timeout=180,
        )
        out = Path(tmp) / "in.docx"
        if proc.returncode != 0 or not out.exists():
            raise ReadError("conversion_failed", "LibreOffice 无法转换该 .doc 文件",
                            "LibreOffice could not convert this .doc file")
        doc = _read_docx_bytes(f, out.read_bytes())
    doc.meta["format"] = "doc"
    return doc


def gz_lines(path: str | Path) -> Iterator[dict]:
    """Helper for gzip'd JSONL files (used by demo and benchmarks)."""
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)
