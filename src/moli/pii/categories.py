"""Legal category of each kind under the sensitivity profiles (data/categories.yaml)."""

from __future__ import annotations

import datetime as _dt
from functools import lru_cache
from importlib import resources

import yaml

from moli.core.errors import ConfigError, InputError
from moli.pii.findings import KINDS


@lru_cache(maxsize=1)
def _data() -> dict:
    d = yaml.safe_load(resources.files("moli.pii").joinpath("data/categories.yaml").read_text("utf-8"))
    profs = set(d["profiles"])
    for kind in KINDS:
        e = d["kinds"].get(kind)
        if e is None:
            raise ConfigError(f"categories.yaml 缺少类型 {kind}", f"categories.yaml lacks kind {kind}", field=kind)
        for key in ("category", "sensitive", "source", "confidence", "personal"):
            if key not in e:
                raise ConfigError(f"categories.yaml 中 {kind} 缺少 {key}", f"categories.yaml: {kind} lacks {key}",
                                  field=key)
        if e["category"] not in d.get("categories", {}):
            raise ConfigError(f"categories.yaml 中 {kind} 的类别 {e['category']} 没有名称",
                              f"categories.yaml: {kind}'s category {e['category']} has no entry under categories",
                              field="category")
        if set(e["sensitive"]) != profs:
            raise ConfigError(f"categories.yaml 中 {kind} 的档案不完整", f"categories.yaml: {kind} must list every profile",
                              field="sensitive")
    return d


def profiles() -> list[str]:
    """Profile ids, the default first (``pipl_gbt45574_2025``, ``gbt35273_2020_strict``)."""
    d = _data()["profiles"]
    return sorted(d, key=lambda p: not d[p].get("default"))


def default_profile() -> str:
    return profiles()[0]


def _entry(kind: str) -> dict:
    e = _data()["kinds"].get(kind)
    if e is None:
        raise InputError(f"未知的个人信息类型 {kind}", f"unknown PII kind {kind}", field="kind")
    return e


def sensitivity(kind: str, profile: str) -> str:
    """'true', 'false' or 'conditional'."""
    if profile not in _data()["profiles"]:
        raise InputError(f"未知的敏感度档案 {profile}（可用：{', '.join(profiles())}）",
                         f"unknown sensitivity profile {profile} (one of {', '.join(profiles())})", field="profile")
    val = _entry(kind)["sensitive"][profile]
    return "conditional" if val == "conditional" else ("true" if val else "false")


def _age_under_14(id_number: str, today: _dt.date | None = None) -> bool:
    today = today or _dt.date.today()
    s = id_number.strip()
    try:
        if len(s) == 18:
            born = _dt.date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
        elif len(s) == 15:
            born = _dt.date(1900 + int(s[6:8]), int(s[8:10]), int(s[10:12]))
        else:
            return False
    except ValueError:
        return False
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return age < 14


def is_sensitive(kind: str, profile: str, *, value: str | None = None) -> bool:
    """Is ``kind`` sensitive personal information under ``profile``?

    A conditional entry (ID_CARD under pipl_gbt45574_2025) is True only when its condition holds for
    ``value`` (an ID number whose holder is under 14); without a value it is False.
    """
    s = sensitivity(kind, profile)
    if s == "conditional":
        cond = _entry(kind).get("condition")
        return bool(value) and cond == "minor_under_14" and _age_under_14(value)
    return s == "true"


def category_of(kind: str) -> str:
    return _entry(kind)["category"]


def category_label(category: str) -> dict[str, str]:
    """``{"zh", "en"}`` name of a category id."""
    return _data()["categories"].get(category, {"zh": category, "en": category})


def kind_label(kind: str) -> str:
    """The Chinese name of a kind (姓名, 手机号, …)."""
    return _entry(kind).get("zh") or kind


def is_personal(kind: str) -> bool:
    return bool(_entry(kind)["personal"])


def table() -> list[dict]:
    """One row per kind: category and sensitivity under every profile, with sources."""
    return [{"kind": k, "zh": _entry(k).get("zh"), "category": category_of(k), "personal": is_personal(k),
             **{p: sensitivity(k, p) for p in profiles()}, "source": _entry(k)["source"]} for k in KINDS]
