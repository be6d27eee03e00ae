"""Catalogue entry shapes (目录条目), validated on both sides: what we publish and what we accept.

Unknown fields are ignored (a newer peer may add fields); known fields are bounded so a peer
cannot fill our database with megabytes per entry. Links are paths on the peer (``/corpus/x``):
the page joins them to the peer URL *we* configured, never to a URL the peer claims.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

KINDS = ("corpus", "offering", "scenario")  # 语料库 / 模型供给 / 应用场景
KIND_LABELS = {"corpus": "语料库 Corpus", "offering": "模型供给 Model offering", "scenario": "应用场景 Scenario"}
MAX_ENTRIES = 20_000
_PATH_RE = re.compile(r"^/(?!/)[^\s\\<>\"'`]*$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")

Short = Annotated[str, Field(max_length=200)]


def _check_path(v: str | None) -> str | None:
    if v is None or v == "":
        return None
    if len(v) > 1000 or not _PATH_RE.match(v):
        raise ValueError("须是以 / 开头的站内路径 / must be a path on the peer starting with /")
    return v


class _Entry(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    version: str = Field(default="", max_length=40)
    title: str = Field(default="", max_length=300)
    domain: str = Field(default="", max_length=200)
    description: str = Field(default="", max_length=10_000)
    path: str | None = None
    updated_at: str | None = Field(default=None, max_length=40)

    @field_validator("path")
    @classmethod
    def _path(cls, v: str | None) -> str | None:
        return _check_path(v)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.kind, self.name, self.version)  # type: ignore[attr-defined]


class FileHash(BaseModel):
    model_config = ConfigDict(extra="ignore")

    path: str = Field(min_length=1, max_length=300)
    sha256: str
    bytes: int | None = Field(default=None, ge=0)
    rows: int | None = Field(default=None, ge=0)

    @field_validator("sha256")
    @classmethod
    def _sha(cls, v: str) -> str:
        if not _HEX64.match(v):
            raise ValueError("sha256 须是 64 位小写十六进制 / sha256 must be 64 lower-case hex digits")
        return v


class CorpusEntry(_Entry):
    """A public corpus (公开语料库)."""

    kind: Literal["corpus"]
    licence: str = Field(default="", max_length=200)
    documents: int | None = Field(default=None, ge=0)
    characters: int | None = Field(default=None, ge=0)
    recipe_hash: str = Field(default="", max_length=64)
    files: list[FileHash] = Field(default_factory=list, max_length=10_000)
    card_url: str | None = None
    croissant_url: str | None = None

    @field_validator("card_url", "croissant_url")
    @classmethod
    def _urls(cls, v: str | None) -> str | None:
        return _check_path(v)


class PublishedScore(BaseModel):
    """A benchmark figure published for an offering (the vendor's claim, with where it was published)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    benchmark: str = Field(min_length=1, max_length=200)
    metric: str = Field(default="accuracy", max_length=60)
    score: float = Field(allow_inf_nan=False)
    source: str | None = Field(default=None, max_length=500)


class OfferingEntry(_Entry):
    """A public model offering (公开模型供给)."""

    kind: Literal["offering"]
    vendor: str = Field(default="", max_length=200)
    tasks: list[Short] = Field(default_factory=list, max_length=50)
    domains: list[Short] = Field(default_factory=list, max_length=50)
    languages: list[Short] = Field(default_factory=list, max_length=50)
    deployment: list[Short] = Field(default_factory=list, max_length=20)
    license: str = Field(default="", max_length=200)
    commercial_use: bool = False
    context_length: int | None = Field(default=None, ge=0)
    parameters_b: float | None = Field(default=None, ge=0)
    price_per_million_tokens_cny: float | None = Field(default=None, ge=0)
    filing_status: str = Field(default="", max_length=40)
    evaluations: list[PublishedScore] = Field(default_factory=list, max_length=100)


class ScenarioEntry(_Entry):
    """A public business scenario (公开应用场景); never its test set."""

    kind: Literal["scenario"]
    industry: str = Field(default="", max_length=60)
    tasks: list[Short] = Field(default_factory=list, max_length=50)
    languages: list[Short] = Field(default_factory=list, max_length=50)
    constraints: dict[str, Any] = Field(default_factory=dict)

    @field_validator("constraints")
    @classmethod
    def _small(cls, v: dict[str, Any]) -> dict[str, Any]:
        if len(repr(v)) > 4000:
            raise ValueError("约束过大 / constraints too large")
        return v


Entry = Annotated[CorpusEntry | OfferingEntry | ScenarioEntry, Field(discriminator="kind")]
ENTRY_ADAPTER: TypeAdapter[Any] = TypeAdapter(Entry)


class NodeInfo(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1, max_length=64)
    name: str = Field(default="", max_length=200)
    url: str = Field(default="", max_length=500)
    algorithm: Literal["ed25519"] = "ed25519"
    public_key: str = Field(min_length=1, max_length=100)


class CatalogueHead(BaseModel):
    """The document around the entries; the entries are validated one by one."""

    model_config = ConfigDict(extra="ignore")

    format: Literal["moli-federation-catalogue/1"]
    node: NodeInfo
    generated_at: str = Field(min_length=1, max_length=40)
    entries: list[Any] = Field(max_length=MAX_ENTRIES)
    signature: dict[str, Any]


def parse_entry(raw: Any) -> CorpusEntry | OfferingEntry | ScenarioEntry:
    return ENTRY_ADAPTER.validate_python(raw)


def error_text(exc: ValidationError, limit: int = 3) -> str:
    """'field: message; ...' for the first few errors of a pydantic validation error."""
    parts = []
    for err in exc.errors()[:limit]:
        loc = ".".join(str(x) for x in err.get("loc", ()))
        parts.append(f"{loc or '(entry)'}: {err.get('msg', '')}")
    more = len(exc.errors()) - limit
    return "; ".join(parts) + (f"; (+{more})" if more > 0 else "")
