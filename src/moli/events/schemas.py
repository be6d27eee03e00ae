"""The competition YAML contract (赛题定义) and event inputs, validated with pydantic.

Bad input becomes an ``InputError`` that names the key (or the file and line) in Chinese and English.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from moli.core.errors import InputError
from moli.core.links import safe_href
from moli.core.textcheck import text_fault
from moli.core.validation import zh_reason
from moli.core.yamlfiles import read_user_yaml

BUILTIN_METRICS = ("accuracy", "macro_f1", "exact_match", "char_f1", "rouge_l_char")
CUSTOM_RE = re.compile(r"^custom:([A-Za-z_][\w.]*):([A-Za-z_]\w*)$")
ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{1,63}$")


def invalid(zh: str, en: str, field: str | None = None) -> PydanticCustomError:
    """A validation error of this project's own rules, in both languages; ``field`` names the key when the
    check is on the whole model (its location would otherwise be the root)."""
    return PydanticCustomError("moli_invalid", "{en}", {"zh": zh, "en": en, "field": field})


def check_text(value: object) -> object:
    """A text (or each text of a list) as stored: ``moli.core.textcheck`` — no lone surrogate, which YAML's
    or JSON's ``"\\udc00"`` can carry and no database can store, no control characters but tab and line breaks."""
    for text in (value if isinstance(value, list) else [value]):
        fault = text_fault(text) if isinstance(text, str) else None
        if fault and fault[0] == "surrogate":
            raise invalid(f"含有无效的 Unicode 字符（孤立的代理码位 U+{fault[1]}）",
                          f"contains a lone surrogate (U+{fault[1]}): not valid Unicode text")
        if fault:
            raise invalid(f"不能包含控制字符 U+{fault[1]}", f"contains the control character U+{fault[1]}")
    return value


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
            raise invalid("需要时区，如 2026-01-01T00:00:00+08:00", "needs a time zone, e.g. 2026-01-01T00:00:00+08:00")
        return v

    @model_validator(mode="after")
    def _order(self) -> PhaseSpec:
        if self.end <= self.start:
            raise invalid(f"阶段“{self.name}”的结束时间（{self.end.isoformat()}）不晚于开始时间（{self.start.isoformat()}）",
                          f"phase '{self.name}' ends ({self.end.isoformat()}) before it starts "
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

    @field_validator("*", mode="before")
    @classmethod
    def _text(cls, v: object) -> object:
        return check_text(v)

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
            raise invalid("应为 2–64 个小写字母、数字、“-”或“_”", "lower-case letters, digits, '-' or '_', 2-64 characters")
        return v

    @field_validator("metric")
    @classmethod
    def _metric(cls, v: str | None) -> str | None:
        if v is None or v in BUILTIN_METRICS or CUSTOM_RE.match(v):
            return v
        raise invalid(f"未知的评价指标“{v}”，可用 {'、'.join(BUILTIN_METRICS)} 或 custom:模块:函数",
                      f"unknown metric '{v}'; use one of {', '.join(BUILTIN_METRICS)} or custom:module:function")

    @model_validator(mode="after")
    def _kind(self) -> CompetitionSpec:
        if self.kind == "leaderboard":
            if not self.metric:
                raise invalid("排行榜赛事需要 metric", "a leaderboard competition needs 'metric'", "metric")
            if not self.answers:
                raise invalid("排行榜赛事需要 answers", "a leaderboard competition needs 'answers'", "answers")
            if not self.phases:
                raise invalid("排行榜赛事至少需要一个阶段", "a leaderboard competition needs at least one phase", "phases")
        if self.kind == "judged" and not self.rubric:
            raise invalid("专家评审赛事需要 rubric", "a judged competition needs a 'rubric'", "rubric")
        names = [p.name for p in self.phases]
        if len(set(names)) != len(names):
            raise invalid("阶段名称不能重复", "phase names must be unique", "phases")
        phases = sorted(self.phases, key=lambda p: p.start)
        for a, b in zip(phases, phases[1:], strict=False):
            if b.start < a.end:
                raise invalid(f"阶段“{a.name}”与“{b.name}”时间重叠", f"phases '{a.name}' and '{b.name}' overlap", "phases")
        keys = [r.key for r in self.rubric]
        if len(set(keys)) != len(keys):
            raise invalid("评分项 key 不能重复", "rubric keys must be unique", "rubric")
        return self


def _loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(root)"


def raise_validation(exc: ValidationError, source: str, source_en: str | None = None, key_prefix: str = "") -> None:
    """Turn a pydantic error into a bilingual InputError naming the file (``source``; ``source_en`` for the
    English line when it differs) and the key (after ``key_prefix``, e.g. ``events[2].``)."""
    err = exc.errors()[0]
    ctx = err.get("ctx") or {}
    key = _loc(tuple(err.get("loc", ())))
    if err.get("type") == "moli_invalid":
        if ctx.get("field") and key == "(root)":
            key = ctx["field"]
        zh_msg, msg = ctx["zh"], ctx["en"]
        zh = "取值无效"
    else:
        msg = str(err.get("msg", "")).removeprefix("Value error, ")
        zh, zh_msg = "取值无效", zh_reason(err)
    key = f"{key_prefix}{key}" if key != "(root)" or not key_prefix else key_prefix.rstrip(".")
    raise InputError(f"{source}：键 {key} {zh}：{zh_msg}", f"{source_en or source}: key {key}: {msg}", field=key) from None


def load_competition_yaml(path: str | Path) -> CompetitionSpec:
    path = Path(path)
    if not path.exists():
        raise InputError(f"找不到赛题文件 {path}", f"competition file {path} not found", field="path")
    raw = read_user_yaml(path)
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

    @field_validator("*", mode="before")
    @classmethod
    def _text(cls, v: object) -> object:
        return check_text(v)

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
            raise invalid("链接须以 http:// 或 https:// 开头", "the link must start with http:// or https://")
        return (v or "").strip()

    @model_validator(mode="after")
    def _dates(self) -> EventIn:
        for name in ("starts_at", "ends_at"):
            v = getattr(self, name)
            if v is not None and v.tzinfo is None:
                raise invalid("日期需要时区，如 +08:00", "dates need a time zone, e.g. +08:00", name)
        if self.starts_at and self.ends_at and self.ends_at < self.starts_at:
            raise invalid("活动的结束时间早于开始时间", "the event ends before it starts", "ends_at")
        if self.ends_at and not self.starts_at:
            raise invalid("有结束时间也须有开始时间", "an end date needs a start date", "starts_at")
        if not self.online and not self.venue:
            raise invalid("请填写地点或标为线上活动", "give a venue or mark the event online", "venue")
        return self


class RoadshowSpec(BaseModel):
    """Roadshow slots (路演时段) of an event: ``count`` slots of ``minutes`` each from ``start``."""

    model_config = ConfigDict(extra="forbid")

    start: datetime
    minutes: int = Field(ge=1, le=24 * 60)
    count: int = Field(ge=1, le=500)

    @field_validator("start")
    @classmethod
    def _aware(cls, v: datetime) -> datetime:
        if v.tzinfo is None:
            raise invalid("需要时区，如 2026-01-01T14:00:00+08:00", "needs a time zone, e.g. 2026-01-01T14:00:00+08:00")
        return v


# keys of an events file entry that are not the event's own: ``confidence`` notes how sure the public
# facts are (kept in the YAML only), ``roadshow`` makes slots
EVENT_FILE_EXTRA_KEYS = ("confidence", "roadshow")


def parse_events(raw: Any, source: str = "events") -> list[tuple[EventIn, RoadshowSpec | None]]:
    """The ``events: [...]`` list of an events file, each entry validated: an error names ``source``, the
    event (its number from 1 and its slug when it has one) and the key."""
    items = raw.get("events") if isinstance(raw, dict) else None
    if not isinstance(items, list):
        raise InputError(f"{source} 应包含 events 列表（events: [...]）", f"{source} must contain an 'events' list",
                         field="events")
    out = []
    for i, item in enumerate(items):
        slug = item.get("slug") if isinstance(item, dict) else None
        which_zh = f"{source} 第 {i + 1} 个活动" + (f"（{slug}）" if isinstance(slug, str) and slug else "")
        which_en = f"{source} event {i + 1}" + (f" ({slug})" if isinstance(slug, str) and slug else "")
        if not isinstance(item, dict):
            raise InputError(f"{which_zh} 应为映射（键: 值），而不是 {item!r}",
                             f"{which_en} must be a mapping (key: value), not {item!r}", field=f"events[{i}]")
        try:
            ev = EventIn.model_validate({k: v for k, v in item.items() if k not in EVENT_FILE_EXTRA_KEYS})
            rs = item.get("roadshow")
            if rs is not None and not isinstance(rs, dict):
                raise InputError(f"{which_zh}：键 roadshow 应为映射（start、minutes、count）",
                                 f"{which_en}: key roadshow must be a mapping (start, minutes, count)",
                                 field=f"events[{i}].roadshow")
            out.append((ev, RoadshowSpec.model_validate(rs) if rs else None))
        except ValidationError as exc:
            title = exc.title
            prefix = f"events[{i}]." + ("roadshow." if title == "RoadshowSpec" else "")
            raise_validation(exc, which_zh, which_en, prefix)
    slugs = [ev.slug for ev, _ in out]
    dup = next((s for s in slugs if slugs.count(s) > 1), None)
    if dup:
        raise InputError(f"{source}：活动 slug “{dup}” 出现了不止一次", f"{source}: event slug '{dup}' appears more than once",
                         field="events")
    return out


def load_events_yaml(path: str | Path) -> list[tuple[EventIn, RoadshowSpec | None]]:
    """An events file (``events: [...]``, as ``data/demo_events.yaml``), read with ``read_user_yaml``."""
    path = Path(path)
    if not path.exists():
        raise InputError(f"找不到活动文件 {path}", f"events file {path} not found", field="path")
    return parse_events(read_user_yaml(path), str(path))
