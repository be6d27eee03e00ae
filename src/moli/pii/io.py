"""Streaming readers with bilingual errors that name the file, line and byte offset."""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from pathlib import Path

from moli.core.errors import InputError

CHUNK = 1 << 16


def decoded_lines(path: Path, encoding: str = "utf-8", max_chars: int | None = None) -> Iterator[tuple[int, str]]:
    """(line number from 1, line text with its newline), decoded incrementally in bounded memory.

    A byte sequence that is not valid in ``encoding`` raises InputError naming the byte offset. With
    ``max_chars`` (plain text only), a line longer than that is yielded in pieces, cut after a sentence
    end or a space where possible, so a file without newlines still streams.
    """
    try:
        dec = codecs.getincrementaldecoder(encoding)("strict")
    except LookupError as exc:
        raise InputError(f"未知的编码 {encoding}", f"unknown encoding {encoding}", field="encoding") from exc
    lineno, offset, pending = 0, 0, ""
    with open(path, "rb") as fh:
        while True:
            raw = fh.read(CHUNK)
            held = dec.getstate()[0]
            buffered = len(held)
            try:
                text = dec.decode(raw, final=not raw)
            except UnicodeDecodeError as exc:
                bad = offset - buffered + exc.start
                line = lineno + pending.count("\n") + (held + raw)[:exc.start].count(b"\n") + 1
                raise InputError(
                    f"{path}：第 {line} 行附近，字节偏移 {bad} 处不是有效的 {encoding} 编码"
                    f"（可用 --encoding 指定编码，如 gb18030）",
                    f"{path}: byte offset {bad} (near line {line}) is not valid "
                    f"{encoding}; pass --encoding (e.g. gb18030)", field="encoding") from exc
            offset += len(raw)
            pending += text
            if "\n" in pending:
                *lines, pending = pending.split("\n")
                for ln in lines:
                    lineno += 1
                    yield lineno, ln + "\n"
            while max_chars and len(pending) > max_chars:
                cut = max(pending.rfind(c, max_chars // 2, max_chars) for c in "。！？；. ")
                cut = cut + 1 if cut > 0 else max_chars
                yield lineno + 1, pending[:cut]
                pending = pending[cut:]
            if not raw:
                break
    if pending:
        yield lineno + 1, pending


def iter_jsonl(path: Path, *, encoding: str = "utf-8", skip_bad: bool = False,
               skipped: list | None = None) -> Iterator[tuple[int, dict]]:
    """(line number, object) for each non-empty line; a malformed line raises with its number, or with
    ``skip_bad`` is appended to ``skipped`` as (line, reason) and skipped."""
    for lineno, line in decoded_lines(path, encoding):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            if not isinstance(obj, dict):
                raise ValueError("not a JSON object / 不是 JSON 对象")
        except ValueError as exc:
            if skip_bad:
                if skipped is not None:
                    skipped.append((lineno, str(exc)))
                continue
            raise InputError(f"{path}：第 {lineno} 行不是有效的 JSON 对象（{exc}）；可加 --skip-bad 跳过",
                             f"{path}: line {lineno} is not a valid JSON object ({exc}); use --skip-bad to skip it",
                             field=f"line {lineno}") from exc
        yield lineno, obj
