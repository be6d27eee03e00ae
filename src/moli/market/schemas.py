"""Offering (模型供给卡片) and Scenario (应用场景需求卡片): pydantic schemas with controlled vocabularies.

The vocabularies (tasks, domains, deployment modes, filing statuses, modalities, benchmarks) live in
``data/vocabulary.yaml`` with a source per entry. Bad input raises :class:`moli.core.errors.InputError`
naming the file, line and field, in Chinese then English.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from moli.core.errors import InputError
from moli.core.yamlfiles import parse_user_yaml

DATA_DIR = Path(__file__).resolve().parent / "data"


@lru_cache(maxsize=1)
def vocabulary() -> dict[str, dict[str, dict]]:
    """Controlled vocabularies: ``{"tasks": {id: entry}, "domains": {...}, ...}``."""
    raw = yaml.safe_load((DATA_DIR / "vocabulary.yaml").read_text(encoding="utf-8"))
    out: dict[str, dict[str, dict]] = {}
    for kind, entries in raw.items():
        out[kind] = {}
        for e in entries:
            if "source" not in e or "confidence" not in e:
                raise InputError(f"词表 {kind} 的条目 {e.get('id')} 缺少 source 或 confidence",
                                 f"vocabulary entry {kind}/{e.get('id')} lacks source or confidence")
            out[kind][e["id"]] = e
    return out


def _ids(kind: str) -> tuple[str, ...]:
    return tuple(vocabulary()[kind])


TASKS = _ids("tasks")
DOMAINS = _ids("domains")
DEPLOYMENTS = _ids("deployment")
FILING_STATUSES = _ids("filing_status")
MODALITIES = _ids("modalities")

# An id is one or more segments joined by single slashes (``vendor/model``); each segment starts with a
# letter or digit, so "." and ".." (which a browser or client folds away) cannot be one.
_ID_RE = re.compile(r"^(?=.{1,120}$)[A-Za-z0-9][A-Za-z0-9._\-]*(/[A-Za-z0-9][A-Za-z0-9._\-]*)*$")
# Pages under an offering's URL: an id ending in one of these would be shadowed by that page.
_RESERVED_LAST_SEGMENTS = ("edit", "delete", "scenarios")
_COUNTRY_RE = re.compile(r"^[A-Z]{2}$")
_LANG_RE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$")

# Limits of what a card may hold: the same as the federation catalogue accepts
# (``moli.federation.schemas``), so that every public card can be published to peers.
MAX_NAME = 300  # an offering's name, a scenario's title
MAX_DESCRIPTION = 10_000
MAX_SHORT = 200  # vendor, licence, filing number, benchmark names, list items
MAX_LIST = 50  # items of a list field
MAX_EVALUATIONS = 100
MAX_DEPTH = 20  # nesting of a field's value below the card (extra fields included)

_SURROGATE_RE = re.compile("[\ud800-\udfff]")
_INVISIBLE_RE = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e]+")
STORED = {"stored": True}  # validation context of a card read back from the database: no new limits


def _strict(info: ValidationInfo) -> bool:
    """Input is checked against the limits; a stored card (context :data:`STORED`) is read as it is,
    so that a card saved before a limit existed still shows and matches."""
    return not (info.context or {}).get("stored")


def _bounded(v: str, info: ValidationInfo, limit: int, *, required: bool = False) -> str:
    v = v.strip()
    if not _strict(info):
        return v
    if required and not _INVISIBLE_RE.sub("", v):
        raise ValueError("不能为空（不能只含空白或零宽字符） / must not be blank (whitespace or zero-width "
                         "characters only)")
    if len(v) > limit:
        raise ValueError(f"不能超过 {limit} 个字符（现有 {len(v)} 个） / must be at most {limit} characters "
                         f"(got {len(v)})")
    return v


def _short_list(v: list, info: ValidationInfo, limit: int = MAX_LIST, item_limit: int = MAX_SHORT) -> list:
    if not _strict(info):
        return v
    if len(v) > limit:
        raise ValueError(f"最多 {limit} 项（现有 {len(v)} 项） / may hold at most {limit} items (got {len(v)})")
    for item in v:
        if isinstance(item, str) and len(item) > item_limit:
            raise ValueError(f"每项不能超过 {item_limit} 个字符 / each item must be at most {item_limit} characters")
    return v


def check_values(data: Any, where: str = "", prefix: str = "") -> None:
    """Refuse a value that cannot be stored or sent back: a string (or key) holding a lone surrogate
    (JSON lets ``"\\ud800"`` through; UTF-8 cannot encode it) or a value nested more than
    :data:`MAX_DEPTH` levels. The error names the field (``extra.a.0``). Iterative, so a value nested
    far deeper than Python's recursion limit is refused, not a crash."""
    loc = f"{where}: " if where else ""
    stack: list[tuple[Any, str, int]] = [(data, prefix, 0)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, str):
            if _SURROGATE_RE.search(value):
                field = path or "(record)"
                raise InputError(f"{loc}字段 {field}：含有无效字符（孤立的代理码位）",
                                 f"{loc}field {field}: contains an invalid character (a lone surrogate)", field=field)
            continue
        if not isinstance(value, dict | list):
            continue
        if depth >= MAX_DEPTH:
            field = path or "(record)"
            raise InputError(f"{loc}字段 {field}：嵌套超过 {MAX_DEPTH} 层",
                             f"{loc}field {field}: nested more than {MAX_DEPTH} levels deep", field=field)
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, child in items:
            name = _SURROGATE_RE.sub("\ufffd", str(key))
            child_path = f"{path}.{name}" if path else name
            if isinstance(key, str) and _SURROGATE_RE.search(key):
                raise InputError(f"{loc}字段名 {child_path}：含有无效字符（孤立的代理码位）",
                                 f"{loc}field name {child_path}: contains an invalid character (a lone surrogate)",
                                 field=child_path)
            stack.append((child, child_path, depth + 1))


def _check_vocab(values: list[str], kind: str, zh_name: str, en_name: str) -> list[str]:
    allowed = vocabulary()[kind]
    out: list[str] = []
    for v in values:
        v = str(v).strip()
        if v not in allowed:
            raise ValueError(f"未知的{zh_name}“{v}”，可选：{', '.join(allowed)} / "
                             f"unknown {en_name} '{v}'; allowed: {', '.join(allowed)}")
        if v not in out:
            out.append(v)
    return out


def _as_list(v: Any) -> Any:
    if v is None:
        return []
    if isinstance(v, str):
        return [p for p in re.split(r"[,，、\s]+", v) if p]
    return v


def _countries(values: list[str]) -> list[str]:
    out = []
    for c in values:
        c = str(c).strip().upper()
        if not _COUNTRY_RE.match(c):
            raise ValueError(f"国家代码“{c}”应为 ISO 3166 两位字母（如 CN） / "
                             f"country '{c}' must be an ISO 3166 alpha-2 code (e.g. CN)")
        if c not in out:
            out.append(c)
    return out


def _languages(values: list[str]) -> list[str]:
    out = []
    for lang in values:
        lang = str(lang).strip().lower().replace("_", "-")
        if not _LANG_RE.match(lang):
            raise ValueError(f"语言代码“{lang}”无效（应如 zh、en、zh-hant） / "
                             f"language '{lang}' is not a language code such as zh, en, zh-hant")
        if lang not in out:
            out.append(lang)
    return out


def check_endpoint(v: str | None) -> str | None:
    """An OpenAI-compatible base URL, e.g. ``https://api.example.com/v1`` (no trailing slash kept)."""
    if v is None or str(v).strip() == "":
        return None
    v = str(v).strip()
    p = urlparse(v)
    if p.scheme not in ("http", "https") or not p.hostname or " " in v or p.query or p.fragment:
        raise ValueError(f"接口地址“{v}”不是有效的 http(s) 基础地址（如 https://host/v1） / "
                         f"endpoint '{v}' is not a valid http(s) base URL such as https://host/v1")
    try:
        p.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise ValueError(f"接口地址“{v}”的端口无效 / endpoint '{v}' has an invalid port") from None
    return v.rstrip("/")


def bounded_fields(limits: dict[str, tuple[int, bool]]) -> Any:
    """One validator for a model's text fields: each stripped and at most its limit; ``True``: not blank."""

    def check(cls: Any, v: str | None, info: ValidationInfo) -> str | None:
        limit, required = limits[info.field_name]
        return None if v is None else _bounded(v, info, limit, required=required)

    return field_validator(*limits)(classmethod(check))


class Filing(BaseModel):
    """生成式人工智能服务备案 / 登记 (the CAC filing public-facing services in China need)."""

    model_config = ConfigDict(extra="allow")

    status: Literal["filed", "registered", "none"] = "none"
    number: str | None = None
    date: dt.date | None = None

    _texts = bounded_fields({"number": (MAX_SHORT, False)})


class Evaluation(BaseModel):
    model_config = ConfigDict(extra="allow")

    benchmark: str = Field(min_length=1)
    metric: str = "accuracy"
    score: float = Field(allow_inf_nan=False)
    source: str | None = None  # where the figure was published

    _texts = bounded_fields({"benchmark": (MAX_SHORT, True), "metric": (60, False), "source": (500, False)})


BASELINE_MODEL = "moli-retrieval-baseline"  # moli.market.baseline, served at /v1/chat/completions
HOSTED_MODELS = (BASELINE_MODEL,)


class Offering(BaseModel):
    """A model offering (model card). Extra fields are kept."""

    model_config = ConfigDict(extra="allow")

    id: str
    name: str = Field(min_length=1)
    vendor: str = ""
    description: str = ""
    tasks: list[str] = Field(default_factory=list)
    domains: list[str] = Field(default_factory=lambda: ["general"])
    languages: list[str] = Field(default_factory=lambda: ["zh"])
    modalities: list[str] = Field(default_factory=lambda: ["text"])
    context_length: int | None = Field(default=None, gt=0)
    parameters_b: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    deployment: list[str] = Field(default_factory=list)
    license: str = ""
    commercial_use: bool = False
    filing: Filing = Field(default_factory=Filing)
    data_residency: list[str] = Field(default_factory=list)
    price_per_million_tokens_cny: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    evaluations: list[Evaluation] = Field(default_factory=list)
    endpoint: str | None = None
    # Served by this platform at /v1 under the model name ``id`` (the reference baseline); no endpoint.
    hosted: bool = False

    @field_validator("tasks", "domains", "languages", "modalities", "deployment", "data_residency",
                     mode="before")
    @classmethod
    def _lists(cls, v: Any) -> Any:
        return _as_list(v)

    @field_validator("id")
    @classmethod
    def _id(cls, v: str, info: ValidationInfo) -> str:
        v = str(v).strip()
        if not _strict(info):
            return v
        if not _ID_RE.match(v):
            shown = v if len(v) <= 130 else v[:120] + "…"
            raise ValueError(f"编号“{shown}”只能含字母、数字和 . _ -，可用单个斜杠分段（如 vendor/model），每段以字母或数字开头，"
                             f"且不超过 120 字符 / id '{shown}' may hold only letters, digits and . _ -, in segments "
                             f"joined by single slashes (vendor/model), each starting with a letter or digit "
                             f"(at most 120 characters)")
        if "/" in v and v.rsplit("/", 1)[1] in _RESERVED_LAST_SEGMENTS:
            raise ValueError(f"编号“{v}”不能以 /{v.rsplit('/', 1)[1]} 结尾（与页面地址冲突） / id '{v}' cannot end "
                             f"in /{v.rsplit('/', 1)[1]} (a page's address)")
        return v

    _texts = bounded_fields({"name": (MAX_NAME, True), "vendor": (MAX_SHORT, False), "license": (MAX_SHORT, False),
                             "description": (MAX_DESCRIPTION, False)})

    @field_validator("evaluations")
    @classmethod
    def _evaluations(cls, v: list[Evaluation], info: ValidationInfo) -> list[Evaluation]:
        return _short_list(v, info, MAX_EVALUATIONS)

    @field_validator("tasks")
    @classmethod
    def _tasks(cls, v: list[str]) -> list[str]:
        return _check_vocab(v, "tasks", "任务", "task")

    @field_validator("domains")
    @classmethod
    def _domains(cls, v: list[str]) -> list[str]:
        return _check_vocab(v, "domains", "领域", "domain")

    @field_validator("modalities")
    @classmethod
    def _modalities(cls, v: list[str]) -> list[str]:
        return _check_vocab(v, "modalities", "模态", "modality")

    @field_validator("deployment")
    @classmethod
    def _deployment(cls, v: list[str]) -> list[str]:
        return _check_vocab(v, "deployment", "部署方式", "deployment mode")

    @field_validator("languages")
    @classmethod
    def _langs(cls, v: list[str]) -> list[str]:
        return _languages(v)

    @field_validator("data_residency")
    @classmethod
    def _residency(cls, v: list[str]) -> list[str]:
        return _countries(v)

    @field_validator("endpoint")
    @classmethod
    def _endpoint(cls, v: str | None, info: ValidationInfo) -> str | None:
        return check_endpoint(v if v is None else _bounded(v, info, 1000))

    @field_validator("tasks", "domains", "languages", "modalities", "deployment", "data_residency")
    @classmethod
    def _list_sizes(cls, v: list[str], info: ValidationInfo) -> list[str]:
        return _short_list(v, info, 20 if info.field_name == "deployment" else MAX_LIST)

    @model_validator(mode="after")
    def _hosted(self) -> Offering:
        if self.hosted and self.id not in HOSTED_MODELS:
            raise ValueError(f"平台只托管 {', '.join(HOSTED_MODELS)}，“{self.id}”不能标为 hosted / the platform hosts only "
                             f"{', '.join(HOSTED_MODELS)}; '{self.id}' cannot be marked hosted")
        return self


class Constraints(BaseModel):
    """A scenario's hard constraints (硬性约束). ``None`` means "no constraint"."""

    model_config = ConfigDict(extra="forbid")

    deployment: list[str] | None = None
    requires_filing: bool = False
    data_must_stay_in: str | None = None
    min_context_length: int | None = Field(default=None, ge=0)
    max_price_per_million_tokens_cny: float | None = Field(default=None, ge=0)
    commercial_use: bool | None = None
    modalities: list[str] | None = None

    @field_validator("deployment", "modalities", mode="before")
    @classmethod
    def _listify(cls, v: Any) -> Any:
        return None if v is None else _as_list(v)

    @field_validator("deployment")
    @classmethod
    def _deployment(cls, v: list[str] | None) -> list[str] | None:
        return None if v is None else _check_vocab(v, "deployment", "部署方式", "deployment mode")

    @field_validator("modalities")
    @classmethod
    def _modalities(cls, v: list[str] | None) -> list[str] | None:
        return None if v is None else _check_vocab(v, "modalities", "模态", "modality")

    @field_validator("data_must_stay_in")
    @classmethod
    def _country(cls, v: str | None) -> str | None:
        return None if v in (None, "") else _countries([v])[0]


BUILTIN_METRICS = ("exact_match", "char_f1", "rouge_l_char", "choice_accuracy")


class Scenario(BaseModel):
    """A business scenario (应用场景): what a demand side needs. Extra fields are kept."""

    model_config = ConfigDict(extra="allow")

    id: str
    title: str = Field(min_length=1)
    description: str = ""
    industry: str = "general"
    tasks: list[str] = Field(default_factory=list)
    languages: list[str] = Field(default_factory=lambda: ["zh"])
    constraints: Constraints = Field(default_factory=Constraints)
    benchmarks: list[str] = Field(default_factory=list)  # benchmarks that count, beyond the vocabulary's
    scoring: list[str] = Field(default_factory=lambda: ["exact_match", "char_f1", "rouge_l_char"])
    test_set: str | None = None  # path of a JSONL test set (relative to the scenario file)

    @field_validator("id")
    @classmethod
    def _id(cls, v: str, info: ValidationInfo) -> str:
        return Offering._id(v, info)

    _texts = bounded_fields({"title": (MAX_NAME, True), "description": (MAX_DESCRIPTION, False), "test_set": (500, False)})

    @field_validator("tasks", "languages", "benchmarks", "scoring", mode="before")
    @classmethod
    def _listify(cls, v: Any) -> Any:
        return _as_list(v)

    @field_validator("industry")
    @classmethod
    def _industry(cls, v: str) -> str:
        return _check_vocab([v], "domains", "行业领域", "industry domain")[0]

    @field_validator("tasks")
    @classmethod
    def _tasks(cls, v: list[str]) -> list[str]:
        return _check_vocab(v, "tasks", "任务", "task")

    @field_validator("languages")
    @classmethod
    def _langs(cls, v: list[str]) -> list[str]:
        return _languages(v)

    @field_validator("scoring")
    @classmethod
    def _scoring(cls, v: list[str]) -> list[str]:
        for name in v:
            if name not in BUILTIN_METRICS and not re.match(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$", name):
                raise ValueError(f"评分方法“{name}”未知：可选 {', '.join(BUILTIN_METRICS)}，或 模块:函数 / "
                                 f"unknown scoring '{name}': use one of {', '.join(BUILTIN_METRICS)} "
                                 f"or module:function")
        return v or ["exact_match"]

    @field_validator("tasks", "languages", "benchmarks", "scoring")
    @classmethod
    def _list_sizes(cls, v: list[str], info: ValidationInfo) -> list[str]:
        return _short_list(v, info)


class TestItem(BaseModel):
    """One line of a scenario's private test set."""

    __test__ = False  # not a pytest class
    model_config = ConfigDict(extra="allow")

    prompt: str = Field(min_length=1)
    reference: str = ""
    choices: list[str] | None = None


# ---------------------------------------------------------------------------------------------
# Parsing with errors that name the file, line and field.

_ZH_TYPES = {
    "missing": "缺少必填字段",
    "greater_than_equal": "不能小于 {ge}（如价格不能为负数）",
    "greater_than": "必须大于 {gt}",
    "string_too_short": "不能为空",
    "finite_number": "应为有限的数字（不能是 NaN 或无穷大）",
    "literal_error": "取值无效",
    "bool_parsing": "应为布尔值 true/false",
    "bool_type": "应为布尔值 true/false",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "list_type": "应为列表",
    "string_type": "应为字符串",
    "date_from_datetime_parsing": "应为日期 YYYY-MM-DD",
    "date_parsing": "应为日期 YYYY-MM-DD",
    "extra_forbidden": "不是可识别的字段",
    "model_type": "应为对象（键值映射）",
}


def validation_error(exc: ValidationError, where: str) -> InputError:
    """Turn the first pydantic error into a bilingual InputError naming where and which field."""
    err = exc.errors()[0]
    field = ".".join(str(p) for p in err.get("loc", ())) or "(record)"
    msg = str(err.get("msg", ""))
    if err.get("type") == "value_error" and " / " in msg:
        zh, en = msg.removeprefix("Value error, ").split(" / ", 1)
    else:
        ctx = err.get("ctx") or {}
        tmpl = _ZH_TYPES.get(err.get("type", ""), "取值无效")
        try:
            zh = tmpl.format(**ctx)
        except (KeyError, IndexError):
            zh = tmpl
        en = msg
    loc = f"{where}: " if where else ""
    return InputError(f"{loc}字段 {field}：{zh}", f"{loc}field {field}: {en}", field=field)


def parse_offering(data: Any, where: str = "") -> Offering:
    if not isinstance(data, dict):
        raise InputError(f"{where}: 应为 JSON 对象", f"{where}: expected a JSON object")
    check_values(data, where)
    try:
        return Offering.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, where) from None


def parse_scenario(data: Any, where: str = "") -> Scenario:
    if not isinstance(data, dict):
        raise InputError(f"{where}: 应为 YAML/JSON 对象", f"{where}: expected a YAML/JSON mapping")
    check_values(data, where)
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, where) from None


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"找不到文件 {path}", f"file not found: {path}", field=str(path)) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: 不是 UTF-8 编码（第 {exc.start} 字节）",
                         f"{path}: not UTF-8 (byte {exc.start})", field=str(path)) from None


def iter_jsonl(path: Path) -> Iterator[tuple[int, Any]]:
    """(line number, parsed object) for each non-blank line; bad JSON names the line."""
    for lineno, line in enumerate(_read_text(path).splitlines(), 1):
        if not line.strip():
            continue
        try:
            yield lineno, json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}:{lineno}: 不是有效的 JSON（第 {exc.colno} 列：{exc.msg}）",
                             f"{path}:{lineno}: invalid JSON (column {exc.colno}: {exc.msg})",
                             field=f"line {lineno}") from None


def load_structured(path: Path) -> Any:
    """A YAML or JSON file (YAML is a superset of JSON). Dates stay strings for the schema to check, so
    an impossible date (2024-02-30) is a field error, not a traceback."""
    return parse_user_yaml(_read_text(path), str(path))


def load_offerings(path: str | Path, errors: list[dict] | None = None) -> list[Offering]:
    """Offerings from a JSONL file (one per line) or a YAML/JSON file holding a list.

    With an ``errors`` list, a bad record is recorded there (where, field, zh, en) and skipped;
    without one, the first bad record raises.
    """
    path = Path(path)
    first_error = len(errors) if errors is not None else 0
    if path.suffix.lower() == ".jsonl":
        items = []
        lines = _read_text(path).splitlines()
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                items.append((f"{path}:{n}", json.loads(line)))
            except json.JSONDecodeError as exc:
                err = InputError(f"{path}:{n}: 不是有效的 JSON（第 {exc.colno} 列：{exc.msg}）",
                                 f"{path}:{n}: invalid JSON (column {exc.colno}: {exc.msg})", field=f"line {n}")
                if errors is None:
                    raise err from None
                errors.append({"where": f"{path}:{n}", "field": err.field, "zh": err.zh, "en": err.en})
    else:
        data = load_structured(path)
        if isinstance(data, dict):
            data = data.get("offerings", [data])
        items = [(f"{path}#{i + 1}", obj) for i, obj in enumerate(data or [])]
    out, seen = [], {}
    for where, obj in items:
        try:
            off = parse_offering(obj, where)
            if off.id in seen:
                raise InputError(f"{where}: 编号 {off.id} 与 {seen[off.id]} 重复",
                                 f"{where}: id {off.id} duplicates {seen[off.id]}", field="id")
        except InputError as err:
            if errors is None:
                raise
            errors.append({"where": where, "field": err.field, "zh": err.zh, "en": err.en})
            continue
        seen[off.id] = where
        out.append(off)
    if errors is not None and path.suffix.lower() == ".jsonl":  # in file order
        errors[first_error:] = sorted(errors[first_error:], key=lambda e: int(e["where"].rsplit(":", 1)[1]))
    return out


def load_scenarios(path: str | Path) -> list[Scenario]:
    path = Path(path)
    if path.suffix.lower() == ".jsonl":
        return [parse_scenario(obj, f"{path}:{n}") for n, obj in iter_jsonl(path)]
    data = load_structured(path)
    if isinstance(data, dict) and "scenarios" in data:
        data = data["scenarios"]
    if isinstance(data, dict):
        return [parse_scenario(data, str(path))]
    return [parse_scenario(obj, f"{path}#{i + 1}") for i, obj in enumerate(data or [])]


def load_scenario(path: str | Path) -> Scenario:
    scenarios = load_scenarios(path)
    if len(scenarios) != 1:
        raise InputError(f"{path}: 应只含一个场景，实际 {len(scenarios)} 个",
                         f"{path}: expected exactly one scenario, found {len(scenarios)}")
    return scenarios[0]


def load_test_set(path: str | Path) -> list[TestItem]:
    """A JSONL test set: ``prompt``, ``reference``, optional ``choices``; errors name the line."""
    path = Path(path)
    items = []
    for lineno, obj in iter_jsonl(path):
        where = f"{path}:{lineno}"
        if not isinstance(obj, dict):
            raise InputError(f"{where}: 应为 JSON 对象", f"{where}: expected a JSON object", field=f"line {lineno}")
        if not str(obj.get("prompt") or "").strip():
            raise InputError(f"{where}: 缺少 prompt 字段", f"{where}: missing field prompt", field="prompt")
        try:
            items.append(TestItem.model_validate(obj))
        except ValidationError as exc:
            raise validation_error(exc, where) from None
    if not items:
        raise InputError(f"{path}: 测试集为空", f"{path}: the test set is empty", field=str(path))
    return items
