"""Load and validate the rule files (``data/rules.yaml``, ``data/negative_lists.yaml``).

A malformed file stops the program with an error naming the file and the key, in Chinese and
English. Every rule, threshold, obligation, list and list entry must carry a known ``source`` and a
``confidence`` of V1, V2 or UNVERIFIED.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from moli.core.errors import ConfigError

DATA_DIR = Path(__file__).resolve().parent / "data"
Confidence = Literal["V1", "V2", "UNVERIFIED"]
Path_ = Literal["out_of_scope", "exempt", "standard_contract_or_certification", "security_assessment",
                "negative_list"]
PATHS: tuple[str, ...] = ("out_of_scope", "exempt", "standard_contract_or_certification",
                          "security_assessment", "negative_list")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Cited(_Strict):
    source: list[str] = Field(min_length=1)
    confidence: Confidence


class Source(_Strict):
    title_zh: str
    title_en: str = ""
    doc_no: str = ""
    published: dt.date | None = None
    effective: dt.date | None = None
    url: str = ""
    confidence: Confidence


class Regime(Cited):
    id: str
    title_zh: str
    title_en: str
    effective_from: dt.date
    effective_until: dt.date | None = None
    window: Literal["calendar_year", "previous_and_current_year"]
    window_zh: str
    window_en: str
    clause: str


class Threshold(Cited):
    id: str
    regime: str
    value: int = Field(ge=0)
    op: Literal["ge", "lt"]
    zh: str
    en: str
    clause: str


class LawDate(Cited):
    id: str
    value: dt.date
    zh: str
    en: str
    clause: str


class Rule(Cited):
    regime: str
    effect: Literal["out_of_scope", "exempt", "standard_contract_or_certification", "security_assessment",
                    "negative_list", "note"]
    title_zh: str
    title_en: str
    text_zh: str
    text_en: str
    clause: str


class Obligation(Cited):
    id: str
    when: str
    zh: str
    en: str
    clause: str
    deadline: dict[str, Any] | None = None


class OpenQuestion(Cited):
    id: str
    trigger: str
    zh: str
    en: str


class RulesFile(_Strict):
    schema_version: int
    sources: dict[str, Source]
    regimes: list[Regime]
    thresholds: list[Threshold]
    dates: list[LawDate]
    rules: dict[str, Rule]
    obligations: list[Obligation]
    open_questions: list[OpenQuestion]


class Zone(Cited):
    id: str
    zh: str
    en: str


class Sector(Cited):
    id: str
    zh: str
    en: str


class Scenario(Cited):
    id: str
    sector: str
    zh: str
    en: str
    zh_confidence: Confidence | None = None


class ListEntry(Cited):
    """One row of a negative list (none transcribed yet: see the reference's entry_schema)."""

    id: str
    sector: str
    scenario: str
    data_category: str
    data_subcategory: str = ""
    data_items: list[str] = []
    basic_characteristics_zh: str = ""
    classification: Literal["important_data", "personal_information", "sensitive_personal_information"]
    mechanism: Literal["security_assessment", "standard_contract_or_certification"]
    pi_thresholds: dict[str, Any] | None = None


class NegativeList(Cited):
    id: str
    title_zh: str
    title_en: str
    published: dt.date
    effective: dt.date
    effective_until: dt.date | None = None
    zones: list[str] = Field(min_length=1)
    exclude_ciio: bool
    exclude_ciio_confidence: Confidence
    data_types: list[str]
    counts: dict[str, int]
    sectors: list[Sector]
    scenarios: list[Scenario]
    entries: list[ListEntry]
    report_after_export_working_days: int | None = None
    date_note: str = ""
    cross_application: str = ""
    format: str = ""

    @model_validator(mode="after")
    def _scenarios_in_sectors(self) -> NegativeList:
        sectors = {s.id for s in self.sectors}
        for sc in self.scenarios:
            if sc.sector not in sectors:
                raise ValueError(f"scenario {sc.id} names unknown sector {sc.sector}")
        return self


class ListsFile(_Strict):
    schema_version: int
    zones: list[Zone]
    lists: list[NegativeList]


# Rule ids the engine uses; the loader refuses a rules file that lacks one.
ENGINE_RULE_IDS = frozenset({
    "not_export_act", "no_pi_no_important_data", "old_no_pi_no_important_data", "important_data",
    "old_important_data", "transit_exemption", "scenario_contract_necessity", "scenario_hr_management",
    "scenario_emergency", "scenario_not_justified", "negative_list_off_list", "negative_list_on_list",
    "negative_list_not_eligible", "ciio_pi", "volume_security_assessment", "volume_standard_contract",
    "volume_exempt", "old_ciio_pi", "old_processed_volume", "old_volume_security_assessment",
    "old_standard_contract", "old_before_scc_measures",
})
ENGINE_THRESHOLDS = frozenset({"sa_general_min", "sa_sensitive_min", "scc_general_min", "scc_sensitive_min",
                               "exempt_general_max", "old_sa_general_min", "old_sa_sensitive_min",
                               "old_sa_processed_min"})
ENGINE_DATES = frozenset({"scc_measures_effective", "scc_grace_until", "certification_measures_effective"})


def _bad(path: Path, key: str, msg: str) -> ConfigError:
    return ConfigError(f"规则文件 {path.name} 的 {key} 无效：{msg}",
                       f"rules file {path.name}: {key} is invalid: {msg}", field=f"{path.name}:{key}")


def _read(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"找不到规则文件 {path}", f"rules file {path} not found", field=str(path)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行" if mark else ""
        where_en = f"line {mark.line + 1}" if mark else ""
        raise ConfigError(f"规则文件 {path.name} {where} 不是有效的 YAML：{exc}",
                          f"rules file {path.name} {where_en} is not valid YAML: {exc}", field=path.name) from None
    if not isinstance(data, dict):
        raise _bad(path, "(top level)", "must be a mapping")
    return data


def _validate(model: type[BaseModel], data: dict, path: Path):
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"]) or "(top level)"
        raise _bad(path, key, err["msg"]) from None


class RuleBook:
    """Both rule files, validated and cross-checked."""

    def __init__(self, rules: RulesFile, lists: ListsFile, rules_path: Path, lists_path: Path):
        self.file = rules
        self.sources = rules.sources
        self.regimes = sorted(rules.regimes, key=lambda r: r.effective_from)
        self.thresholds = {t.id: t for t in rules.thresholds}
        self.dates = {d.id: d for d in rules.dates}
        self.rules = rules.rules
        self.obligations = rules.obligations
        self.questions = {q.id: q for q in rules.open_questions}
        self.zones = {z.id: z for z in lists.zones}
        self.lists = {nl.id: nl for nl in lists.lists}
        self._check(rules_path, lists_path)

    def _check(self, rp: Path, lp: Path) -> None:
        known = set(self.sources)
        regimes = {r.id for r in self.regimes} | {"any"}

        def cite(path: Path, key: str, item: Cited) -> None:
            for s in item.source:
                if s not in known:
                    raise _bad(path, f"{key}.source", f"unknown source id {s!r} (not under sources:)")

        for i, r in enumerate(self.regimes):
            cite(rp, f"regimes.{i}", r)
        for i, t in enumerate(self.file.thresholds):
            cite(rp, f"thresholds.{i}", t)
            if t.regime not in regimes:
                raise _bad(rp, f"thresholds.{i}.regime", f"unknown regime {t.regime!r}")
        for i, d in enumerate(self.file.dates):
            cite(rp, f"dates.{i}", d)
        for rid, r in self.rules.items():
            cite(rp, f"rules.{rid}", r)
            if r.regime not in regimes:
                raise _bad(rp, f"rules.{rid}.regime", f"unknown regime {r.regime!r}")
        for i, o in enumerate(self.obligations):
            cite(rp, f"obligations.{i}", o)
        for i, q in enumerate(self.file.open_questions):
            cite(rp, f"open_questions.{i}", q)
        for name, need, have in (("rules", ENGINE_RULE_IDS, set(self.rules)),
                                 ("thresholds", ENGINE_THRESHOLDS, set(self.thresholds)),
                                 ("dates", ENGINE_DATES, set(self.dates))):
            missing = sorted(need - have)
            if missing:
                raise _bad(rp, name, f"missing entries the engine needs: {', '.join(missing)}")
        for i, z in enumerate(self.zones.values()):
            cite(lp, f"zones.{i}", z)
        for i, nl in enumerate(self.lists.values()):
            cite(lp, f"lists.{i}", nl)
            for j, z in enumerate(nl.zones):
                if z not in self.zones:
                    raise _bad(lp, f"lists.{i}.zones.{j}", f"unknown zone {z!r}")
            for j, s in enumerate(nl.sectors):
                cite(lp, f"lists.{i}.sectors.{j}", s)
            for j, s in enumerate(nl.scenarios):
                cite(lp, f"lists.{i}.scenarios.{j}", s)
            for j, e in enumerate(nl.entries):
                cite(lp, f"lists.{i}.entries.{j}", e)

    # -- lookups -------------------------------------------------------------------------------
    def regime_for(self, day: dt.date) -> Regime | None:
        for r in self.regimes:
            if r.effective_from <= day and (r.effective_until is None or day <= r.effective_until):
                return r
        return None

    def value(self, threshold_id: str) -> int:
        return self.thresholds[threshold_id].value

    def date(self, date_id: str) -> dt.date:
        return self.dates[date_id].value

    def cite(self, rule_id: str, reason_zh: str = "", reason_en: str = "") -> dict:
        r = self.rules[rule_id]
        return {"id": rule_id, "clause": r.clause, "source": list(r.source), "confidence": r.confidence,
                "effect": r.effect, "title_zh": r.title_zh, "title_en": r.title_en,
                "text_zh": r.text_zh, "text_en": r.text_en, "reason_zh": reason_zh, "reason_en": reason_en}


def load_rulebook(rules_path: Path | None = None, lists_path: Path | None = None) -> RuleBook:
    rp = Path(rules_path) if rules_path else DATA_DIR / "rules.yaml"
    lp = Path(lists_path) if lists_path else DATA_DIR / "negative_lists.yaml"
    rules = _validate(RulesFile, _read(rp), rp)
    lists = _validate(ListsFile, _read(lp), lp)
    return RuleBook(rules, lists, rp, lp)


@lru_cache(maxsize=1)
def rulebook() -> RuleBook:
    """The packaged rules, loaded and validated once per process."""
    return load_rulebook()
