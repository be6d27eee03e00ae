"""Knowledge-base documents: Markdown with a YAML front matter (title, issuer, date, country, topics,
source URL), validated with the file and line of any mistake; the packaged starter set lives in
``data/kb/``."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from moli.core.errors import InputError
from moli.outbound.rules import DATA_DIR, default_data, yaml_load

KB_DIR = DATA_DIR / "kb"
_FRONT = re.compile(r"\A---\s*\n(.*?\n)---\s*\n", re.S)


class FrontMatter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1)
    issuer: str = Field(min_length=1)
    date: dt.date
    country: str | None = None
    topics: list[str] = Field(min_length=1)
    source_url: str
    sources: list[str] = Field(default_factory=list)

    @field_validator("source_url")
    @classmethod
    def _url(cls, v: str) -> str:
        if not re.match(r"^https?://", v):
            raise ValueError("must be an http(s) URL")
        return v

    @field_validator("country")
    @classmethod
    def _country(cls, v: str | None) -> str | None:
        if v is None:
            return None
        v = v.strip().upper()
        if v not in default_data()[1]:
            raise ValueError(f"unknown country code {v!r}")
        return v


@dataclass
class KbEntry:
    slug: str
    meta: FrontMatter
    body: str
    content_hash: str


def parse_document(text: str, name: str) -> KbEntry:
    """Parse one Markdown document; ``name`` (file name) becomes the slug and appears in errors."""
    m = _FRONT.match(text)
    if not m:
        raise InputError(f"{name} 第 1 行：缺少以 --- 开头和结尾的 YAML 头信息",
                         f"{name} line 1: missing the YAML front matter between --- lines", field=name)
    try:
        data = yaml_load(m.group(1))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark else 1
        raise InputError(f"{name} 第 {line} 行：头信息不是合法的 YAML", f"{name} line {line}: the front matter is "
                         f"not valid YAML", field=name) from None
    try:
        meta = FrontMatter.model_validate(data or {})
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"]) or "front matter"
        key = str(err["loc"][0]) if err["loc"] else ""
        line = next((i + 2 for i, ln in enumerate(m.group(1).splitlines()) if ln.startswith(key + ":")), 1)
        raise InputError(f"{name} 第 {line} 行：头信息字段 {field} 无效（{err['msg']}）",
                         f"{name} line {line}: front-matter field {field} is invalid: {err['msg']}",
                         field=f"{name}:{field}") from None
    body = text[m.end():].strip()
    slug = Path(name).stem
    return KbEntry(slug, meta, body, hashlib.sha256(text.encode("utf-8")).hexdigest())


def package_documents(directory: Path | None = None) -> list[KbEntry]:
    """Every ``*.md`` in ``directory`` (default: the packaged starter set), parsed once per file version."""
    paths = sorted((directory or KB_DIR).glob("*.md"))
    return list(_parse_all(tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in paths)))


@lru_cache(maxsize=8)
def _parse_all(signature: tuple) -> tuple[KbEntry, ...]:
    return tuple(parse_document(Path(p).read_text(encoding="utf-8"), Path(p).name) for p, _, _ in signature)


# A citation of the research sources in a document's text: [S15] or [S2, S4, S8] (ids of the
# ``sources`` registry in rules.yaml, which are platform_anchors.md's).
CITATION = re.compile(r"\[(S\d+(?:\s*[,，]\s*S\d+)*)\]")
_URL = re.compile(r"https?://\S+")


def _marker_ids(m: re.Match) -> list[str]:
    return [i.strip() for i in re.split(r"[,，]", m.group(1))]


def cited_ids(body: str) -> list[str]:
    """The source ids the text cites, in order of first citation."""
    return list(dict.fromkeys(i for m in CITATION.finditer(body) for i in _marker_ids(m)))


def citations(body: str, listed: list[str]) -> list[dict]:
    """What a document rests on: each cited id resolved from the registry (``title`` and ``url``;
    both None for an id the registry lacks), then the front matter's ``sources`` lines the text does
    not cite (an S-id is resolved the same way; other lines give their own words and first URL)."""
    registry = default_data()[0].sources
    ids = cited_ids(body)

    def resolved(sid: str) -> dict:
        src = registry.get(sid)
        return {"id": sid, "title": src.title if src else None, "url": src.url if src else None}

    out = [resolved(i) for i in ids]
    for line in listed:
        first = line.split(maxsplit=1)[0] if line.strip() else ""
        if first in ids:
            continue
        if first in registry:
            out.append(resolved(first))
            continue
        url = _URL.search(line)
        out.append({"id": None, "title": _URL.sub("", line).strip(), "url": url.group(0) if url else None})
    return out


def strip_citations(text: str) -> str:
    """The text without its citation markers (for a snippet, where they cannot be followed)."""
    return CITATION.sub("", text)


def link_citations(html: str) -> str:
    """Rendered HTML with each citation marker's ids linked to the source list (``#src-S15``)."""
    def link(m: re.Match) -> str:
        return '<sup class="cite">[' + ", ".join(f'<a href="#src-{i}">{i}</a>' for i in _marker_ids(m)) + "]</sup>"
    return CITATION.sub(link, html)


@lru_cache(maxsize=1)
def topic_labels() -> dict[str, dict[str, str]]:
    """``{topic: {"zh", "en"}}`` from data/kb_topics.yaml; a topic missing there is shown as its id."""
    return yaml.safe_load((DATA_DIR / "kb_topics.yaml").read_text(encoding="utf-8")) or {}
