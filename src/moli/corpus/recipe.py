"""Recipes (配方): a YAML file naming the input, the ordered steps and the output.

```yaml
name: pudong-gov
input: {paths: ["docs/**/*.html", "more/*.jsonl"], format: auto, text_field: text, id_field: id}
steps:
  - normalize: {t2s: true}
  - quality: {}
  - pii: {mode: tag}
  - dedup_exact: {}
  - dedup_near: {threshold: 0.8, num_perm: 128, ngram: 5}
output: {path: out/pudong-gov, format: parquet, shard_size: 10000}
```

The whole recipe — every key and every step parameter — is validated when it is loaded, before any
input is read; an error names the key (``steps[4].dedup_near.threshold``). Relative paths are
resolved against the recipe file's folder.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from moli.core.errors import ConfigError
from moli.corpus.readers import FORMATS
from moli.corpus.steps import Step, get_step_class


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class InputSpec(_Strict):
    paths: list[str] = Field(min_length=1)
    format: Literal["auto", *FORMATS] = "auto"  # type: ignore[valid-type]
    text_field: str = "text"
    id_field: str | None = "id"
    html_extractor: Literal["selectolax", "trafilatura"] = "trafilatura"


class OutputSpec(_Strict):
    path: str
    format: Literal["parquet"] = "parquet"
    shard_size: int = Field(10000, ge=1)
    keep_staging: bool = False


class CatalogueSpec(_Strict):
    """How the build is registered in the catalogue (语料目录)."""

    version: str = "1"
    domain: str = "government_affairs"
    licence: str = "public-domain (PRC Copyright Law Art. 5)"
    access: Literal["public", "restricted", "internal"] = "internal"
    description: str = ""


class Recipe(_Strict):
    name: str = Field(min_length=1, max_length=120, pattern=r"^[\w\-.]+$")
    input: InputSpec
    steps: list[Step]
    output: OutputSpec
    catalogue: CatalogueSpec = Field(default_factory=CatalogueSpec)
    batch_size: int = Field(500, ge=1)
    workers: int | None = Field(None, ge=1)
    base_dir: str = "."

    model_config = ConfigDict(extra="forbid", strict=True, arbitrary_types_allowed=True)

    @property
    def base(self) -> Path:
        return Path(self.base_dir)

    @property
    def output_dir(self) -> str:
        p = self.output.path
        if "://" in p or Path(p).is_absolute():
            return p
        return str((self.base / p).resolve())

    def step_specs(self) -> list[dict[str, Any]]:
        return [{s.name: s.model_dump(mode="json")} for s in self.steps]

    def canonical(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "input": self.input.model_dump(mode="json"),
            "steps": self.step_specs(),
            "output": self.output.model_dump(mode="json", exclude={"keep_staging"}),
        }

    def hash(self) -> str:
        """sha256 of the canonical recipe (paths as written, steps with all defaults)."""
        blob = json.dumps(self.canonical(), ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _config_error(where: str, msg: str, source: str) -> ConfigError:
    return ConfigError(f"配方 {source} 中 {where} 无效：{msg}", f"recipe {source}: {where} is invalid: {msg}",
                       field=where)


def parse_steps(raw: Any, source: str) -> list[Step]:
    if not isinstance(raw, list) or not raw:
        raise _config_error("steps", "需要非空的步骤列表 / must be a non-empty list of steps", source)
    steps: list[Step] = []
    for i, entry in enumerate(raw):
        if isinstance(entry, str):
            entry = {entry: {}}
        if not isinstance(entry, dict) or len(entry) != 1:
            raise _config_error(f"steps[{i}]", "每个步骤须是 {名称: {参数}} / each step must be {name: {params}}", source)
        (name, params), = entry.items()
        try:
            cls = get_step_class(name)
        except ConfigError as exc:
            raise ConfigError(f"配方 {source} 中 steps[{i}]：{exc.zh}", f"recipe {source}: steps[{i}]: {exc.en}",
                              field=f"steps[{i}].{name}") from None
        params = params or {}
        if not isinstance(params, dict):
            raise _config_error(f"steps[{i}].{name}", "参数须是映射 / parameters must be a mapping", source)
        try:
            steps.append(cls(**params))
        except ValidationError as exc:
            err = exc.errors()[0]
            where = f"steps[{i}].{name}" + (f".{_loc(err['loc'])}" if err.get("loc") else "")
            raise _config_error(where, err["msg"], source) from None
    return steps


def recipe_from_dict(data: Any, *, base_dir: Path | str = ".", source: str = "<recipe>") -> Recipe:
    if not isinstance(data, dict):
        raise _config_error("<root>", "配方须是 YAML 映射 / the recipe must be a YAML mapping", source)
    data = dict(data)
    steps = parse_steps(data.pop("steps", None), source)
    try:
        return Recipe(steps=steps, base_dir=str(base_dir), **data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise _config_error(_loc(err["loc"]) or "<root>", err["msg"], source) from None
    except TypeError as exc:
        raise _config_error("<root>", str(exc), source) from None


def load_recipe(path: str | Path) -> Recipe:
    """Read and validate a recipe file; relative paths resolve against its folder."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"无法读取配方 {p}：{exc.strerror}", f"cannot read recipe {p}: {exc.strerror}",
                          field=str(p)) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" 第 {mark.line + 1} 行 / line {mark.line + 1}" if mark else ""
        raise ConfigError(f"配方 {p}{line} 不是有效的 YAML", f"recipe {p}{line} is not valid YAML",
                          field=str(p)) from None
    return recipe_from_dict(data, base_dir=p.resolve().parent, source=str(p))
