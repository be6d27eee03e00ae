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

import difflib
import hashlib
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from moli.core.errors import ConfigError, InputError
from moli.core.validation import zh_reason
from moli.core.yamlfiles import read_user_yaml
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


def _config_error(where: str, msg: str, source: str, en: str | None = None) -> ConfigError:
    return ConfigError(f"配方 {source} 中 {where} 无效：{msg}", f"recipe {source}: {where} is invalid: {en or msg}",
                       field=where)


def _zh_reason(err: dict[str, Any]) -> str:
    if err.get("type") == "extra_forbidden":
        return "未知的键（配方不允许）"
    return zh_reason(err)


def _known_keys(model: type[BaseModel], loc: tuple) -> list[str]:
    """The keys allowed where ``loc`` (ending with the unknown key) points, for a did-you-mean hint."""
    for part in loc[:-1]:
        field = model.model_fields.get(part) if isinstance(part, str) else None
        ann = getattr(field, "annotation", None)
        if not (isinstance(ann, type) and issubclass(ann, BaseModel)):
            return []
        model = ann
    return [k for k in model.model_fields if k != "base_dir"]


Problem = tuple[str, str, str, bool]  # (where, Chinese reason, English reason, is an unknown key)


def _problems(exc: ValidationError, *, prefix: str = "", model: type[BaseModel] | None = None) -> list[Problem]:
    """Every error of ``exc`` with a Chinese reason; an unknown key is named, with the closest allowed key
    when there is one (``outptu`` → ``output``)."""
    out: list[Problem] = []
    for err in exc.errors():
        loc = tuple(err.get("loc") or ())
        where = prefix + (("." if prefix else "") + _loc(loc) if loc else "") or "<root>"
        zh, en = _zh_reason(err), str(err.get("msg", ""))
        extra = err.get("type") == "extra_forbidden"
        if extra and model is not None and loc:
            close = difflib.get_close_matches(str(loc[-1]), _known_keys(model, loc), n=1, cutoff=0.6)
            if close:
                zh += f"，是否想写 {close[0]}？"
                en += f"; did you mean {close[0]}?"
        out.append((where, zh, en, extra))
    return out


def _raise(problems: list[Problem], source: str) -> None:
    """One ConfigError listing every problem (unknown keys first: a misspelt key also makes the key it
    should have been "missing")."""
    if not problems:
        return
    ordered = sorted(problems, key=lambda p: not p[3])
    if len(ordered) == 1:
        where, zh, en, _ = ordered[0]
        raise _config_error(where, zh, source, en)
    n = len(ordered)
    raise ConfigError(f"配方 {source} 有 {n} 处错误：" + "；".join(f"{w}：{zh}" for w, zh, _, _ in ordered),
                      f"recipe {source} has {n} errors: " + "; ".join(f"{w}: {en}" for w, _, en, _ in ordered),
                      field=ordered[0][0])


def _parse_steps(raw: Any) -> tuple[list[Step], list[Problem]]:
    if not isinstance(raw, list) or not raw:
        return [], [("steps", "需要非空的步骤列表", "must be a non-empty list of steps", False)]
    steps: list[Step] = []
    problems: list[Problem] = []
    for i, entry in enumerate(raw):
        if isinstance(entry, str):
            entry = {entry: {}}
        if not isinstance(entry, dict) or len(entry) != 1:
            problems.append((f"steps[{i}]", "每个步骤须是 {名称: {参数}}", "each step must be {name: {params}}", False))
            continue
        (name, params), = entry.items()
        try:
            cls = get_step_class(name)
        except ConfigError as exc:
            problems.append((f"steps[{i}].{name}", exc.zh, exc.en, False))
            continue
        params = params or {}
        if not isinstance(params, dict):
            problems.append((f"steps[{i}].{name}", "参数须是映射（键: 值）", "parameters must be a mapping", False))
            continue
        try:
            steps.append(cls(**params))
        except ValidationError as exc:
            problems.extend(_problems(exc, prefix=f"steps[{i}].{name}", model=cls))
    return steps, problems


def parse_steps(raw: Any, source: str) -> list[Step]:
    steps, problems = _parse_steps(raw)
    _raise(problems, source)
    return steps


def recipe_from_dict(data: Any, *, base_dir: Path | str = ".", source: str = "<recipe>") -> Recipe:
    """A validated recipe; every problem (steps and the other keys) is listed in one ConfigError."""
    if not isinstance(data, dict):
        raise _config_error("<root>", "配方须是 YAML 映射（键: 值）", source, "the recipe must be a YAML mapping")
    data = dict(data)
    steps, problems = _parse_steps(data.pop("steps", None))
    try:
        recipe = Recipe(steps=steps, base_dir=str(base_dir), **data)
    except ValidationError as exc:
        problems.extend(_problems(exc, model=Recipe))
    except TypeError as exc:
        problems.append(("<root>", "键无效", str(exc), False))
    _raise(problems, source)
    return recipe


def load_recipe(path: str | Path) -> Recipe:
    """Read and validate a recipe file; relative paths resolve against its folder."""
    p = Path(path)
    # a missing file, bytes that are not UTF-8 (GB18030: the byte offset) or a YAML syntax error (line
    # and column) are InputErrors naming the file, never a traceback
    try:
        data = read_user_yaml(p)
    except InputError as exc:  # a recipe is configuration: the same message, as a ConfigError
        raise ConfigError(exc.zh, exc.en, field=exc.field) from None
    return recipe_from_dict(data, base_dir=p.resolve().parent, source=str(p))
