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
    end or a space where possible, so a file without newlines still streams. A byte-order mark at the start
    of the file (as Windows tools write) is dropped, whatever the encoding.
    """
    try:
        dec = codecs.getincrementaldecoder(encoding)("strict")
    except LookupError as exc:
        raise InputError(f"未知的编码 {encoding}", f"unknown encoding {encoding}", field="encoding") from exc
    lineno, offset, pending, first = 0, 0, "", True
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
            if first and text:
                text, first = text.removeprefix("\ufeff"), False
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


def skip_hint(flag: str | None) -> tuple[str, str]:
    """The (Chinese, English) tail of an error that a ``flag`` (the caller's own option) would skip past;
    empty for a caller without one."""
    if not flag:
        return "", ""
    return f"；可加 {flag} 跳过", f"; use {flag} to skip it"


def distinct_names(names: list[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """``names`` with repeats made distinct (``手机``, ``手机 (2)``, ``手机 (3)``; a number already taken by
    another name is passed over) and the renames as (original, new)."""
    taken = set(names)
    seen: set[str] = set()
    out, renamed = [], []
    for name in names:
        if name not in seen:
            seen.add(name)
            out.append(name)
            continue
        n = 2
        while f"{name} ({n})" in taken:
            n += 1
        new = f"{name} ({n})"
        taken.add(new)
        out.append(new)
        renamed.append((name, new))
    return out, renamed


class _Renamed(dict):
    """A JSON object whose repeated keys were made distinct; ``renamed`` lists them as (original, new)."""

    renamed: list[tuple[str, str]]


def _distinct_pairs(pairs: list[tuple[str, object]]) -> dict:
    keys = [k for k, _ in pairs]
    if len(set(keys)) == len(keys):
        return dict(pairs)
    names, renamed = distinct_names(keys)
    obj = _Renamed(zip(names, (v for _, v in pairs), strict=True))
    obj.renamed = renamed
    return obj


def iter_jsonl(path: Path, *, encoding: str = "utf-8", skip_bad: bool = False, skipped: list | None = None,
               skip_flag: str | None = "--skip-bad", renamed: list | None = None) -> Iterator[tuple[int, dict]]:
    """(line number, object) for each non-empty line; a malformed line raises with its number (and the hint
    that ``skip_flag``, the caller's option, skips it; None for no hint), or with ``skip_bad`` is appended to
    ``skipped`` as (line, reason) and skipped. With a ``renamed`` list, a key repeated in an object is kept
    under a distinct name (see ``distinct_names``) and each (line, original, new) is appended to ``renamed``;
    without it the last value of a repeated key wins, as in ``json.loads``."""
    hook = _distinct_pairs if renamed is not None else None
    zh_hint, en_hint = skip_hint(skip_flag)
    for lineno, line in decoded_lines(path, encoding):
        if not line.strip():
            continue
        try:
            obj = json.loads(line, object_pairs_hook=hook)
            if not isinstance(obj, dict):
                raise ValueError("not a JSON object / 不是 JSON 对象")
        except ValueError as exc:
            if skip_bad:
                if skipped is not None:
                    skipped.append((lineno, str(exc)))
                continue
            raise InputError(f"{path}：第 {lineno} 行不是有效的 JSON 对象（JSON 语法错误，或不是 {{…}} 对象）{zh_hint}",
                             f"{path}: line {lineno} is not a valid JSON object ({exc}){en_hint}",
                             field=f"line {lineno}") from exc
        if isinstance(obj, _Renamed):
            renamed.extend((lineno, old, new) for old, new in obj.renamed)
            obj = dict(obj)
        yield lineno, obj
