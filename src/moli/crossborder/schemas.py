"""The plan contract (YAML written by users, tools and tests) and its validation.

Errors name the field in Chinese and English: ``transfer.activity``, ``history.2.date``.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache, partial
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic_core import PydanticCustomError

from moli.core.errors import InputError
from moli.core.textcheck import text_fault

ACTIVITIES = ("international_trade", "cross_border_transport", "academic_cooperation",
              "transnational_manufacturing", "marketing", "other")
SCENARIOS = ("none", "contract_necessity", "hr_management", "emergency")
# Recipients in these places are in mainland China (境内); Hong Kong, Macao and Taiwan are 境外.
MAINLAND = ("CN", "CHN", "中国", "中国大陆", "中国内地", "MAINLAND CHINA")


@lru_cache(maxsize=1)
def country_codes() -> frozenset[str]:
    """The ISO 3166-1 alpha-2 codes (``data/iso3166_alpha2.yaml``, 249 of them; HK, MO and TW included)."""
    path = Path(__file__).resolve().parent / "data" / "iso3166_alpha2.yaml"
    return frozenset(yaml.safe_load(path.read_text(encoding="utf-8"))["codes"].split())


def known_country(value: str) -> bool:
    """``value`` names a place: an ISO 3166-1 alpha-2 code or one of the mainland's names (any case)."""
    v = value.strip().upper()
    return v in MAINLAND or v in country_codes()


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


MAX_COUNT = 2**31 - 1  # the ledger's count columns are 32-bit INTEGERs (PostgreSQL)


def _checked_text(value: object, *, name: bool) -> object:
    """A text field as stored (``moli.core.textcheck``: no lone surrogate, no control characters — a name:
    none at all, nor bidirectional controls, and stripped). Non-strings are left to the field's own type check."""
    if not isinstance(value, str):
        return value
    if name:
        value = value.strip()
    fault = text_fault(value, name=name)
    if fault is not None:
        kind, code, pos = fault
        if kind == "surrogate":
            raise PydanticCustomError("text_surrogate", "contains a lone surrogate (U+{code}) at position {pos}: "
                                      "not valid Unicode text", {"code": code, "pos": pos})
        raise PydanticCustomError("text_control", "contains the control character U+{code} at position {pos}",
                                  {"code": code, "pos": pos})
    return value


Name = Annotated[str, BeforeValidator(partial(_checked_text, name=True))]
Text = Annotated[str, BeforeValidator(partial(_checked_text, name=False))]
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]


class Exporter(_Strict):
    name: Name = Field(min_length=1, max_length=200)
    is_ciio: bool = False
    registration: Text = "other_cn"  # checked against the zones in negative_lists.yaml
    sector: Text = ""
    processed_individuals: int | None = Field(default=None, ge=0)  # for the pre-2024 rules


class Recipient(_Strict):
    name: Name = ""
    country: Text = Field(min_length=1)


class Transfer(_Strict):
    date: dt.date
    recipient: Recipient
    activity: Literal[ACTIVITIES] = "other"  # type: ignore[valid-type]
    scenario: Literal[SCENARIOS] = "none"  # type: ignore[valid-type]
    necessity_justified: bool = False
    justification: Text = ""
    remote_access: bool = False


class NegativeListRef(_Strict):
    list: Text
    covered: bool = False            # the transfer's sector and scenario are covered by the list
    sector: Text = ""
    scenario: Text = ""
    on_list_items: list[Text] = []


class Data(_Strict):
    individuals: Count = 0
    sensitive_individuals: Count = 0
    important_data: bool = False
    collected_abroad_transit: bool = False
    domestic_data_added: bool = False
    negative_list: NegativeListRef | None = None


class HistoryItem(_Strict):
    date: dt.date
    individuals: Count = 0
    sensitive_individuals: Count = 0
    exempt_scenario: bool = False
    note: Text = ""


class Plan(_Strict):
    exporter: Exporter
    transfer: Transfer
    data: Data = Data()
    history: list[HistoryItem] = []


_MSG_ZH = {
    "missing": "缺少必填字段",
    "extra_forbidden": "未知字段",
    "literal_error": "取值无效",
    "greater_than_equal": "不能为负数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "bool_parsing": "应为 true 或 false",
    "date_parsing": "应为日期（YYYY-MM-DD）",
    "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）",
    "date_type": "应为日期（YYYY-MM-DD）",
    "string_too_short": "不能为空",
    "string_too_long": "过长",
    "less_than_equal": "过大",
    "string_unicode": "含有无效的 Unicode 字符（孤立的代理码位），请检查文本的编码",
    "text_surrogate": "含有无效的 Unicode 字符（孤立的代理码位），请检查文本的编码",
    "text_control": "不能包含控制字符或双向文本控制符",
    "string_type": "应为文本",
    "model_type": "应为映射（键: 值）",
    "dict_type": "应为映射（键: 值）",
    "list_type": "应为列表",
}


def plan_error(field: str, zh: str, en: str) -> InputError:
    return InputError(f"计划字段 {field}：{zh}", f"plan field {field}: {en}", field=field)


def parse_plan(raw: object, *, allowed_registrations: tuple[str, ...] | None = None,
               allowed_lists: tuple[str, ...] | None = None) -> Plan:
    """Validate a plan mapping; raise InputError naming the first bad field."""
    if not isinstance(raw, dict):
        raise plan_error("(top level)", "计划应为 YAML 映射", "the plan must be a YAML mapping")
    try:
        plan = Plan.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        # a key of the user's mapping may itself hold a lone surrogate: shown escaped, never sent as is
        field = (".".join(str(p) for p in err["loc"]) or "(top level)").encode("utf-8", "backslashreplace").decode()
        zh = _MSG_ZH.get(err["type"], "取值无效")
        ctx = err.get("ctx") or {}
        if err["type"] == "literal_error":
            zh += "，应为 " + str(ctx.get("expected", "")).replace("' or '", "'、'") + " 之一"
        elif err["type"] == "less_than_equal":
            zh = f"不能大于 {ctx.get('le'):,}"
        elif err["type"] == "string_too_long":
            zh = f"不能超过 {ctx.get('max_length')} 个字符"
        elif err["type"] in ("text_surrogate", "text_control"):
            zh += f"（第 {ctx['pos'] + 1} 个字符 U+{ctx['code']}）"
        value = err.get("input")
        shown = "" if err["type"] in ("missing", "model_type", "dict_type", "string_too_short") else f"（{value!r}）"
        shown_en = "" if not shown else f" (got {value!r})"
        en = err["msg"]
        if err["type"] == "string_too_short":  # names are stripped first: "   " is empty too
            zh, en = "不能为空，也不能只有空白", "must not be empty or blank"
        raise plan_error(field, zh + shown, en + shown_en) from None
    _check_facts(plan, allowed_registrations, allowed_lists)
    return plan


def _check_facts(plan: Plan, registrations, lists) -> None:
    if registrations is not None and plan.exporter.registration not in registrations:
        raise plan_error("exporter.registration", f"未知取值 {plan.exporter.registration!r}，应为 {'、'.join(registrations)} 之一",
                         f"unknown value {plan.exporter.registration!r}; expected one of {', '.join(registrations)}")
    country = plan.transfer.recipient.country
    if not known_country(country):
        raise plan_error("transfer.recipient.country",
                         f"未知的国家或地区代码 {country!r}，请使用 ISO 3166-1 两位字母代码（如 SG、US、HK；中国内地为 CN）",
                         f"unknown country code {country!r}; use an ISO 3166-1 alpha-2 code (e.g. SG, US, HK; "
                         "CN for the mainland)")
    d = plan.data
    for field, item in [("data", d)] + [(f"history.{i}", h) for i, h in enumerate(plan.history)]:
        # ``individuals`` counts every person in the transfer, the sensitive ones included; 0 means not given
        if 0 < item.individuals < item.sensitive_individuals:
            raise plan_error(f"{field}.sensitive_individuals",
                             f"敏感个人信息人数 {item.sensitive_individuals:,} 多于个人信息总人数 {item.individuals:,}"
                             "（individuals 包含敏感个人信息主体），事实相互矛盾",
                             f"{item.sensitive_individuals:,} sensitive individuals is more than the "
                             f"{item.individuals:,} individuals in all (individuals includes the sensitive ones): "
                             "contradictory facts")
    if d.negative_list is not None:
        if lists is not None and d.negative_list.list not in lists:
            raise plan_error("data.negative_list.list", f"未知清单 {d.negative_list.list!r}，应为 {'、'.join(lists)} 之一",
                             f"unknown list {d.negative_list.list!r}; expected one of {', '.join(lists)}")
        if d.negative_list.on_list_items and not d.negative_list.covered:
            raise plan_error("data.negative_list.on_list_items",
                             "列出了清单项，但 covered 为 false（行业/场景不在清单覆盖范围内），事实相互矛盾",
                             "items are listed as on the list but covered is false: contradictory facts")
    if d.collected_abroad_transit and d.domestic_data_added and not (
            d.individuals or d.sensitive_individuals or d.important_data):
        raise plan_error("data.domestic_data_added",
                         "声明在境外收集的数据中加入了境内数据，但未给出境内个人信息人数或重要数据，事实相互矛盾",
                         "domestic data is said to be added to data collected abroad, but no counts and no "
                         "important data are given: contradictory facts")
    for i, h in enumerate(plan.history):
        if h.date > plan.transfer.date:
            raise plan_error(f"history.{i}.date", f"历史出境日期 {h.date} 晚于本次出境日期 {plan.transfer.date}",
                             f"earlier export dated {h.date} is after the transfer date {plan.transfer.date}")
    if plan.transfer.necessity_justified and plan.transfer.scenario == "none":
        raise plan_error("transfer.necessity_justified", "声明了“确需向境外提供”，但未选择豁免场景（如订立、履行合同所必需；人力资源管理；紧急情况），请选择一个场景",
                         "necessity is declared but no exemption scenario is chosen (scenario is none): choose one")


def load_plan_file(path: str | Path, **kw) -> Plan:
    p = Path(path)
    if p.is_dir():
        raise InputError(f"计划文件 {p} 是文件夹，请给出 YAML 文件", f"plan file {p} is a folder; give a YAML file",
                         field=str(p))
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise InputError(f"找不到计划文件 {p}", f"plan file {p} not found", field=str(p)) from None
    except PermissionError:
        raise InputError(f"没有读取计划文件 {p} 的权限", f"no permission to read the plan file {p}", field=str(p)) from None
    except OSError as exc:
        raise InputError(f"无法读取计划文件 {p}（系统错误 {exc.errno}）", f"cannot read the plan file {p}: {exc.strerror}",
                         field=str(p)) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"计划文件 {p} 不是 UTF-8 编码（字节 {exc.start}）",
                         f"plan file {p} is not UTF-8 (byte {exc.start})", field=str(p)) from None
    return load_plan_text(text, name=str(p), **kw)


def load_plan_text(text: str, *, name: str = "plan", **kw) -> Plan:
    """Dates stay strings for the schema (``parse_user_yaml``): 2026-02-30 is a field error, not a crash."""
    from moli.core.yamlfiles import parse_user_yaml

    try:
        raw = parse_user_yaml(text, name)
    except InputError as exc:  # its Chinese line carries PyYAML's English problem: say where, in Chinese
        m = re.search(r"第 \d+ 行第 \d+ 列", exc.zh)
        raise InputError(f"计划文件 {name} {m.group(0) if m else ''}不是有效的 YAML（请检查缩进、冒号和引号）",
                         f"plan file {exc.en}", field=name) from None
    try:
        return parse_plan(raw, **kw)
    except InputError as exc:
        raise InputError(f"{name}：{exc.zh}", f"{name}: {exc.en}", field=exc.field) from None
