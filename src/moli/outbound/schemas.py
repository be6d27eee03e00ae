"""Pydantic shapes of the outbound feature: the investment plan (预检计划) and directory records."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from moli.core.textcheck import text_fault


def check_text(value: object) -> object:
    """A text (or each text of a list) as stored or echoed: ``moli.core.textcheck`` — no lone surrogate,
    which no database or response can encode, no control characters but tab and line breaks. Other values
    are left to the field's own type check."""
    for text in (value if isinstance(value, list) else [value]):
        fault = text_fault(text) if isinstance(text, str) else None
        if fault and fault[0] == "surrogate":
            raise PydanticCustomError("text_surrogate", "contains a lone surrogate (U+{code}): not valid Unicode text",
                                      {"code": fault[1]})
        if fault:
            raise PydanticCustomError("text_control", "contains the control character U+{code}", {"code": fault[1]})
    return value


class _In(BaseModel):
    # allow_inf_nan=False: every number of a plan is finite (``.nan`` / ``.inf`` / 1e400 are refused by field).
    model_config = ConfigDict(extra="forbid", populate_by_name=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _text(cls, v: object) -> object:
        return check_text(v)


class Investor(_In):
    name: str = Field(min_length=1)
    type: Literal["central_soe", "local"]  # 中央管理企业 / 地方企业
    province: str = "shanghai"
    financial: bool = False  # 金融企业 (MOFCOM 2014 does not apply)


class Investment(_In):
    date: dt.date
    amount_usd: float  # 中方投资额（美元）
    destination_country: str
    industry: str = ""
    industry_codes: list[str] = Field(default_factory=list)  # GB/T 4754-2017, e.g. K70
    route: Literal["direct", "offshore_controlled"]
    sensitive_country: bool | None = None
    sensitive_industry: bool | None = None
    funded_entirely_offshore: bool | None = None
    acquisition: bool = False  # 并购
    co_investors: list[str] = Field(default_factory=list)  # 其他境内投资主体
    pre_approval_expenses: bool = False  # 核准备案前需汇出前期费用

    @field_validator("amount_usd", mode="before")
    @classmethod
    def _not_bool(cls, v: object) -> object:
        if isinstance(v, bool):  # YAML ``true`` would otherwise be 1 US dollar
            raise PydanticCustomError("float_type", "Input should be a valid number, not true/false")
        return v

    @field_validator("destination_country")
    @classmethod
    def _upper(cls, v: str) -> str:
        return v.strip().upper()


class TechnologyExport(_In):
    involved: bool = False
    tech_class: Literal["prohibited", "restricted", "free"] | None = Field(default=None, alias="class")
    items: list[str] = Field(default_factory=list)


class DataExport(_In):
    personal_info: bool = False  # 个人信息出境
    important_data: bool = False  # 重要数据出境


class Plan(_In):
    investor: Investor
    investment: Investment
    technology_export: TechnologyExport = Field(default_factory=TechnologyExport)
    data_export: DataExport = Field(default_factory=DataExport)


class EnterpriseIn(_In):
    name: str = Field(min_length=1, max_length=200)
    country: str = Field(min_length=2, max_length=2)
    is_local: bool = False  # 本地（浦东/上海）企业 vs 境外企业
    sector: str = ""
    offers: str = ""
    seeks: str = ""
    target_countries: list[str] = Field(default_factory=list)
    website: str | None = None
    is_public: bool = True

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        """The directory's key: stripped, never blank, no characters that reorder or hide text."""
        v = v.strip()
        if not v:
            raise PydanticCustomError("string_too_short", "must not be empty or blank")
        bidi = next((c for c in v if c in "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"),
                    None)
        if bidi is not None:
            raise PydanticCustomError("text_control", "contains the control character U+{code}",
                                      {"code": f"{ord(bidi):04X}"})
        return v
