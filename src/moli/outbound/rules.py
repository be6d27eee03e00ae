"""Load and validate the outbound rule data (rules, countries, industries, technology catalogue).

Everything a lawyer would edit lives in ``data/*.yaml``; this module checks it at start and names the
file and the key of any mistake (``rules.yaml: rules[3].action``).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from moli.core.errors import ConfigError
from moli.core.yamlfiles import UserYamlLoader
from moli.text.normalize import to_simplified

DATA_DIR = Path(__file__).resolve().parent / "data"

AUTHORITIES = ("NDRC", "MOFCOM", "SAFE", "TECH_EXPORT")  # 发展改革委 / 商务部 / 外汇局（银行）/ 技术出口
ACTIONS = ("approval", "filing", "report", "registration", "license", "prohibited", "none")
Confidence = Literal["high", "medium", "low"]
# Facts a rule's ``when`` may test (derived from the plan by the engine).
FACTS = {"ndrc_sensitive", "mofcom_sensitive", "route", "investor_type", "financial", "amount_usd",
         "tech_involved", "tech_class", "acquisition", "co_investors", "pre_approval_expenses"}
COUNTRY_FLAGS = ("no_diplomatic_relations", "war_or_unrest", "treaty_restricted", "un_sanctioned")


def yaml_load(text: str):
    """Parse YAML with dates left as strings (``moli.core.yamlfiles.UserYamlLoader``), so pydantic validates
    them and a bad date (2024-13-40) becomes a field error with its line instead of a crash in the parser."""
    return yaml.load(text, Loader=UserYamlLoader)  # noqa: S506 - a SafeLoader subclass


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Source(_Strict):
    title: str
    url: str | None = None


class Rule(_Strict):
    id: str
    authority: Literal["NDRC", "MOFCOM", "SAFE", "TECH_EXPORT"]
    when: dict[str, Any]
    action: Literal["approval", "filing", "report", "registration", "license", "prohibited", "none"]
    level: Literal["national", "provincial", "bank"] | None
    where: str
    clause: str
    article: str
    source: list[str]
    confidence: Confidence
    effective_from: dt.date
    effective_to: dt.date | None = None
    order_rank: int
    time_limit_working_days: int | None
    time_limit_note: str | None = None
    documents: list[str] = Field(default_factory=list)

    @field_validator("when")
    @classmethod
    def _known_facts(cls, v: dict[str, Any]) -> dict[str, Any]:
        unknown = set(v) - FACTS
        if unknown:
            raise ValueError(f"unknown fact(s) {sorted(unknown)}; known: {sorted(FACTS)}")
        amount = v.get("amount_usd")
        if amount is not None and (not isinstance(amount, dict) or set(amount) - {"gte", "lt"}):
            raise ValueError("amount_usd must be a mapping with gte and/or lt")
        return v

    def in_force(self, day: dt.date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day < self.effective_to)

    def matches(self, facts: dict[str, Any]) -> bool:
        for key, want in self.when.items():
            have = facts[key]
            if isinstance(want, dict):
                if "gte" in want and not have >= want["gte"]:
                    return False
                if "lt" in want and not have < want["lt"]:
                    return False
            elif have != want:
                return False
        return True


class ExtraDocuments(_Strict):
    id: str
    authority: Literal["NDRC", "MOFCOM", "SAFE", "TECH_EXPORT"]
    when: dict[str, Any]
    applies_when_action: list[str]
    documents: list[str]
    source: list[str]
    confidence: Confidence

    def matches(self, facts: dict[str, Any]) -> bool:
        return all(facts.get(k) == v for k, v in self.when.items())


class Obligation(_Strict):
    id: str
    authority: Literal["NDRC", "MOFCOM", "SAFE", "TECH_EXPORT"]
    applies_when_action: list[str]
    text: str
    article: str
    source: list[str]
    confidence: Confidence
    time_limit_working_days: int | None = None


class OpenQuestion(_Strict):
    id: str
    text: str
    source: list[str]
    confidence: Confidence
    applies_from: dt.date | None = None
    countries: list[str] | None = None
    when_action: dict[str, str] | None = None
    when_level: dict[str, str] | None = None
    when_investor_type: str | None = None
    when_province: str | None = None
    when_technology_export: bool | None = None


class SensitivityRule(_Strict):
    clause: str
    source: list[str]
    confidence: Confidence
    flags: list[str] | None = None
    classes: list[str] | None = None


class RuleSet(_Strict):
    regime: str
    regime_name: str
    effective_from: dt.date
    sources: dict[str, Source]
    sensitivity: dict[str, SensitivityRule]
    rules: list[Rule]
    extra_documents: list[ExtraDocuments] = Field(default_factory=list)
    obligations: list[Obligation]
    open_questions: list[OpenQuestion]

    def source_list(self, ids: list[str]) -> list[dict]:
        return [{"id": i, **self.sources[i].model_dump()} for i in ids]


class FlagInfo(_Strict):
    source: str
    confidence: Confidence


class OutOfScope(_Strict):
    source: str
    reason_zh: str
    reason_en: str


class Country(_Strict):
    code: str
    zh: str
    en: str
    flags: dict[str, FlagInfo] = Field(default_factory=dict)
    out_of_scope: OutOfScope | None = None

    @field_validator("code")
    @classmethod
    def _iso(cls, v: str) -> str:
        if len(v) != 2 or not v.isascii() or not v.isupper():
            raise ValueError("must be an upper-case ISO 3166-1 alpha-2 code")
        return v

    @field_validator("flags")
    @classmethod
    def _known_flags(cls, v: dict[str, FlagInfo]) -> dict[str, FlagInfo]:
        unknown = set(v) - set(COUNTRY_FLAGS)
        if unknown:
            raise ValueError(f"unknown flag(s) {sorted(unknown)}; known: {list(COUNTRY_FLAGS)}")
        return v


class CountryData(_Strict):
    sources: dict[str, Source]
    countries: list[Country]


class Industry(_Strict):
    id: str
    zh: str
    en: str
    keywords: list[str]
    codes: list[str]
    ndrc: bool
    mofcom: bool
    carve_out: bool
    source: list[str]
    confidence: Confidence


class IndustryData(_Strict):
    industries: list[Industry]


class TechItem(_Strict):
    id: str
    code: str | None
    zh: str
    en: str
    # 禁止 / 限制 / 自由
    tech_class: Literal["prohibited", "restricted", "free"] = Field(alias="class")
    keywords: list[str]
    sub_items: list[str]
    source: list[str]
    confidence: Confidence


class TechCatalogue(_Strict):
    catalogue_version: str
    items: list[TechItem]


def _loc(loc: tuple, data: Any) -> str:
    """Render a pydantic location as ``rules[3].action`` (with the rule's id when it has one)."""
    out = ""
    node = data
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
            try:
                node = node[part]
                if isinstance(node, dict) and "id" in node:
                    out += f"(id={node['id']})"
                elif isinstance(node, dict) and "code" in node:
                    out += f"(code={node['code']})"
            except (IndexError, KeyError, TypeError):
                node = None
        else:
            out += ("." if out else "") + str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return out


def load_yaml_model(path: Path, model: type[BaseModel]) -> BaseModel:
    try:
        data = yaml_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" 第 {mark.line + 1} 行 / line {mark.line + 1}" if mark else ""
        raise ConfigError(f"规则文件 {path.name}{line} 不是合法的 YAML：{exc}",
                          f"rules file {path.name}{line} is not valid YAML: {exc}", field=path.name) from None
    except OSError as exc:
        raise ConfigError(f"无法读取规则文件 {path}：{exc}", f"cannot read rules file {path}: {exc}") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = _loc(tuple(err["loc"]), data)
        raise ConfigError(f"规则文件 {path.name} 的 {where} 无效：{err['msg']}",
                          f"rules file {path.name}: {where} is invalid: {err['msg']}",
                          field=f"{path.name}:{where}") from None


def _check_refs(ruleset: RuleSet, path: Path) -> None:
    def bad(where: str, sid: str) -> ConfigError:
        return ConfigError(f"规则文件 {path.name} 的 {where} 引用了未定义的来源 {sid}",
                           f"rules file {path.name}: {where} cites undefined source {sid}",
                           field=f"{path.name}:{where}")

    for i, r in enumerate(ruleset.rules):
        for sid in r.source:
            if sid not in ruleset.sources:
                raise bad(f"rules[{i}](id={r.id}).source", sid)
    for name, items in (("obligations", ruleset.obligations), ("open_questions", ruleset.open_questions),
                        ("extra_documents", ruleset.extra_documents)):
        for i, o in enumerate(items):
            for sid in o.source:
                if sid not in ruleset.sources:
                    raise bad(f"{name}[{i}](id={o.id}).source", sid)
    for key, s in ruleset.sensitivity.items():
        for sid in s.source:
            if sid not in ruleset.sources:
                raise bad(f"sensitivity.{key}.source", sid)
    ids = [r.id for r in ruleset.rules]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise ConfigError(f"规则文件 {path.name} 中规则编号重复：{sorted(dupes)}",
                          f"rules file {path.name}: duplicate rule ids {sorted(dupes)}", field=path.name)
    for auth in AUTHORITIES:
        if not any(r.authority == auth for r in ruleset.rules):
            raise ConfigError(f"规则文件 {path.name} 缺少 {auth} 的规则", f"rules file {path.name}: no rule for {auth}",
                              field=path.name)


def load_rules(path: Path | None = None) -> RuleSet:
    path = path or DATA_DIR / "rules.yaml"
    ruleset = load_yaml_model(path, RuleSet)
    _check_refs(ruleset, path)
    return ruleset


def load_countries(path: Path | None = None) -> dict[str, Country]:
    path = path or DATA_DIR / "countries.yaml"
    data = load_yaml_model(path, CountryData)
    out: dict[str, Country] = {}
    for i, c in enumerate(data.countries):
        if c.code in out:
            raise ConfigError(f"国家文件 {path.name} 的 countries[{i}] 代码 {c.code} 重复",
                              f"country file {path.name}: countries[{i}] repeats code {c.code}",
                              field=f"{path.name}:countries[{i}].code")
        for flag, info in c.flags.items():
            if info.source not in data.sources:
                raise ConfigError(f"国家文件 {path.name} 的 {c.code}.flags.{flag} 引用了未定义的来源 {info.source}",
                                  f"country file {path.name}: {c.code}.flags.{flag} cites undefined source {info.source}",
                                  field=f"{path.name}:{c.code}.flags.{flag}")
        out[c.code] = c
    return out


def load_industries(path: Path | None = None) -> list[Industry]:
    return load_yaml_model(path or DATA_DIR / "industries.yaml", IndustryData).industries


def load_tech_catalogue(path: Path | None = None) -> TechCatalogue:
    return load_yaml_model(path or DATA_DIR / "tech_catalogue.yaml", TechCatalogue)


class ProvinceNames(BaseModel):
    model_config = ConfigDict(extra="forbid")

    zh: str
    drc: str
    commerce: str
    science: str
    confidence: Confidence = "medium"


class ProvinceData(_Strict):
    fallback: ProvinceNames
    provinces: dict[str, ProvinceNames]


@lru_cache(maxsize=1)
def load_provinces(path: Path | None = None) -> ProvinceData:
    return load_yaml_model(path or DATA_DIR / "provinces.yaml", ProvinceData)


def province_names(province: str) -> tuple[ProvinceNames, bool]:
    """The named provincial authorities for ``province`` and whether it was known (else the fallback)."""
    data = load_provinces()
    key = (province or "").strip().lower()
    hit = data.provinces.get(key)
    return (hit, True) if hit is not None else (data.fallback, False)


def normalise(text: str) -> str:
    """NFKC, lower case and traditional → simplified, for keyword matching (房地產 → 房地产)."""
    return to_simplified(unicodedata.normalize("NFKC", text or "").lower())


@lru_cache(maxsize=1)
def default_data() -> tuple[RuleSet, dict[str, Country], list[Industry], TechCatalogue]:
    """The packaged rule data, validated once per process."""
    return load_rules(), load_countries(), load_industries(), load_tech_catalogue()
