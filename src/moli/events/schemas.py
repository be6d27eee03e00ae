"""The competition YAML contract (赛题定义) and event inputs, validated with pydantic.

Bad input becomes an ``InputError`` that names the key (or the file and line) in Chinese and English.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from moli.core.errors import InputError
from moli.core.links import safe_href

BUILTIN_METRICS = ("accuracy", "macro_f1", "exact_match", "char_f1", "rouge_l_char")
CUSTOM_RE = re.compile(r"^custom:([A-Za-z_][\w.]*):([A-Za-z_]\w*)$")
ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{1,63}$")


class PhaseSpec(BaseModel):
    """A phase (阶段): submissions are accepted between ``start`` and ``end``."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=60)
    start: datetime
    end: datetime
    daily_limit: int = Field(default=5, ge=1)  # per team per Asia/Shanghai day
    total_limit: int = Field(default=100, ge=1)  # per team in this phase

    @field_validator("start", "end")
    @classmethod
    def _aware(cls, v: datetime) -> datetime:
        if v.tzinfo is None:
            raise ValueError("needs a time zone, e.g. 2026-01-01T00:00:00+08:00")
        return v

    @model_validator(mode="after")
    def _order(self) -> PhaseSpec:
        if self.end <= self.start:
            raise ValueError(f"phase '{self.name}' ends ({self.end.isoformat()}) before it starts "
                             f"({self.start.isoformat()})")
        return self


class RubricItem(BaseModel):
    """One criterion (评分项) of an expert-judged track."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str  # 中文名称
    weight: float = Field(default=1.0, gt=0)
    max: float = Field(default=10.0, gt=0)


class DataFile(BaseModel):
    """A file participants may download (training data, test inputs without labels)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[\w.-]+$")
    path: str
    description: str = ""


class CompetitionSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    title: str = Field(min_length=1, max_length=300)
    title_en: str = ""
    description: str = ""
    kind: Literal["leaderboard", "judged"] = "leaderboard"
    metric: str | None = None
    higher_is_better: bool = True
    answers: str | None = None
    public_fraction: float = Field(default=0.5, gt=0, lt=1)
    phases: list[PhaseSpec] = Field(default_factory=list)
    data: list[DataFile] = Field(default_factory=list)
    rubric: list[RubricItem] = Field(default_factory=list)
    time_limit_s: float = Field(default=60, gt=0, le=3600)  # scorer wall-clock limit
    memory_mb: int = Field(default=1024, ge=64, le=16384)  # scorer address-space limit
    max_team_size: int = Field(default=5, ge=1)
    max_selected: int = Field(default=2, ge=1, le=10)  # final submissions a team may select for the private board
    organiser: str = ""
    is_public: bool = True

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not ID_RE.match(v):
            raise ValueError("lower-case letters, digits, '-' or '_', 2-64 characters")
        return v

    @field_validator("metric")
    @classmethod
    def _metric(cls, v: str | None) -> str | None:
        if v is None or v in BUILTIN_METRICS or CUSTOM_RE.match(v):
            return v
        raise ValueError(f"unknown metric '{v}'; use one of {', '.join(BUILTIN_METRICS)} or custom:module:function")

    @model_validator(mode="after")
    def _kind(self) -> CompetitionSpec:
        if self.kind == "leaderboard":
            if not self.metric:
                raise ValueError("a leaderboard competition needs 'metric'")
            if not self.answers:
                raise ValueError("a leaderboard competition needs 'answers'")
            if not self.phases:
                raise ValueError("a leaderboard competition needs at least one phase")
        if self.kind == "judged" and not self.rubric:
            raise ValueError("a judged competition needs a 'rubric'")
        names = [p.name for p in self.phases]
        if len(set(names)) != len(names):
            raise ValueError("phase names must be unique")
        phases = sorted(self.phases, key=lambda p: p.start)
        for a, b in zip(phases, phases[1:], strict=False):
            if b.start < a.end:
                raise ValueError(f"phases '{a.name}' and '{b.name}' overlap")
        keys = [r.key for r in self.rubric]
        if len(set(keys)) != len(keys):
            raise ValueError("rubric keys must be unique")
        return self


_ZH_MSG = {
    "missing": "缺少必填项",
    "extra_forbidden": "未知的键",
    "value_error": "取值无效",
    "literal_error": "取值不在允许范围内",
    "datetime_from_date_parsing": "不是有效的日期时间",
    "datetime_parsing": "不是有效的日期时间",
    "datetime_type": "不是有效的日期时间",
    "greater_than": "数值太小",
    "less_than": "数值太大",
    "greater_than_equal": "数值太小",
    "less_than_equal": "数值太大",
    "string_pattern_mismatch": "格式不符合要求",
}


def _loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(root)"


def raise_validation(exc: ValidationError, source: str) -> None:
    """Turn a pydantic error into a bilingual InputError naming the file and key."""
    err = exc.errors()[0]
    key = _loc(tuple(err.get("loc", ())))
    msg = str(err.get("msg", "")).removeprefix("Value error, ")
    zh = _ZH_MSG.get(err.get("type", ""), "取值无效")
    raise InputError(f"{source}：键 {key} {zh}：{msg}", f"{source}: key {key}: {msg}", field=key) from None


def load_competition_yaml(path: str | Path) -> CompetitionSpec:
    path = Path(path)
    if not path.is_file():
        raise InputError(f"找不到赛题文件 {path}", f"competition file {path} not found", field="path")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", None)
        where = f"第 {line + 1} 行" if line is not None else ""
        where_en = f" line {line + 1}" if line is not None else ""
        raise InputError(f"{path} {where} 不是有效的 YAML", f"{path}{where_en} is not valid YAML") from None
    except UnicodeDecodeError:
        raise InputError(f"{path} 不是 UTF-8 编码", f"{path} is not UTF-8") from None
    if not isinstance(raw, dict):
        raise InputError(f"{path} 顶层应为映射（键: 值）", f"{path}: the top level must be a mapping")
    return parse_competition(raw, str(path))


def parse_competition(raw: dict[str, Any], source: str = "competition") -> CompetitionSpec:
    try:
        return CompetitionSpec.model_validate(raw)
    except ValidationError as exc:
        raise_validation(exc, source)
        raise  # unreachable


class EventIn(BaseModel):
    """An event (活动) as created from a form, the API or the demo."""

    model_config = ConfigDict(extra="forbid")

    slug: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,79}$")
    title: str = Field(min_length=1, max_length=300)
    title_en: str = ""
    description: str = ""
    starts_at: datetime | None = None  # None: date not public yet (日期待定)
    ends_at: datetime | None = None
    date_note: str = ""
    venue: str = ""
    online: bool = False
    url: str = ""
    organiser: str = ""
    capacity: int | None = Field(default=None, ge=1)
    tags: list[str] = Field(default_factory=list)  # e.g. "scenario:12", "enterprise:某公司", "topic:语料"
    source: str = ""  # where the public facts come from

    @field_validator("url")
    @classmethod
    def _web_url(cls, v: str) -> str:
        if (v or "").strip() and safe_href(v.strip()) is None:
            raise ValueError("链接须以 http:// 或 https:// 开头 / the link must start with http:// or https://")
        return (v or "").strip()

    @model_validator(mode="after")
    def _dates(self) -> EventIn:
        for v in (self.starts_at, self.ends_at):
            if v is not None and v.tzinfo is None:
                raise ValueError("dates need a time zone, e.g. +08:00")
        if self.starts_at and self.ends_at and self.ends_at < self.starts_at:
            raise ValueError("the event ends before it starts")
        if self.ends_at and not self.starts_at:
            raise ValueError("an end date needs a start date")
        if not self.online and not self.venue:
            raise ValueError("give a venue or mark the event online")
        return self
