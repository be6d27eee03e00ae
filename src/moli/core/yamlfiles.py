"""YAML that users write (plans, recipes, competitions, events, offerings): read with errors that name
the file, the line and the problem, never a traceback.

Dates stay strings here: PyYAML turns ``2026-02-30`` into a ``ValueError`` deep in its constructor (it is
not a ``YAMLError``, and names no line), while pydantic reads the string and reports the field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from moli.core.errors import InputError


class UserYamlLoader(yaml.SafeLoader):
    """SafeLoader without the timestamp resolver: dates are left to the schema that reads them."""


UserYamlLoader.yaml_implicit_resolvers = {
    k: [r for r in v if r[0] != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse_user_yaml(text: str, source: str = "YAML") -> Any:
    """``text`` parsed; a syntax error → InputError naming ``source``, the line and the column."""
    try:
        return yaml.load(text, Loader=UserYamlLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where_zh = f"第 {mark.line + 1} 行第 {mark.column + 1} 列，" if mark else ""
        where_en = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"{source} 不是有效的 YAML：{where_zh}语法错误（{problem}）",
                         f"{source} is not valid YAML{where_en}: {problem}", field=source) from None


def read_user_yaml(path: str | Path) -> Any:
    """The YAML file at ``path`` (UTF-8, with or without BOM) parsed; a missing file, a folder, bytes that
    are not UTF-8 (with their offset) or a syntax error → InputError naming the file."""
    p = Path(path)
    if p.is_dir():
        raise InputError(f"{p} 是文件夹，不是 YAML 文件", f"{p} is a folder, not a YAML file", field=str(p))
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise InputError(f"找不到文件 {p}", f"file {p} not found", field=str(p)) from None
    except OSError as exc:
        raise InputError(f"无法读取文件 {p}：{exc.strerror}", f"cannot read {p}: {exc.strerror}", field=str(p)) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{p} 在字节偏移 {exc.start} 处不是有效的 UTF-8 编码，请另存为 UTF-8",
                         f"{p} is not valid UTF-8 at byte offset {exc.start}; save it as UTF-8", field=str(p)) from None
    return parse_user_yaml(text, str(p))
