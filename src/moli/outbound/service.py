"""Outbound service: pre-check, knowledge-base search, enterprise directory and matchmaking.

Plain functions taking a Session first; views and the CLI call these.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from moli.core.access import ensure_can_write, visible
from moli.core.errors import InputError, NotFound
from moli.core.yamlfiles import read_user_yaml
from moli.market.ranking import HardConstraint, Reason, SoftSignal, rank
from moli.outbound.kb import KbEntry, package_documents, parse_document, strip_citations
from moli.outbound.models import Enterprise, KbDocument
from moli.outbound.precheck import parse_plan, precheck
from moli.outbound.rules import default_data
from moli.outbound.schemas import EnterpriseIn
from moli.text.normalize import to_simplified
from moli.text.search import BM25Index
from moli.text.segment import tokenize

ROADSHOW_URL = "/events?tag=roadshow"  # 路演活动（moli.events）
ROADSHOW_TAGS = {"roadshow", "topic:路演"}
SHANGHAI = ZoneInfo("Asia/Shanghai")


# ---------------------------------------------------------------- pre-check

def run_precheck(plan_data: dict) -> dict:
    """Validate a plan mapping (from a form or JSON) and pre-check it."""
    return precheck(parse_plan(plan_data))


def _tri(value: str | None) -> bool | None:
    """A form's three-way choice: "" / "auto" → None (the engine decides), "true"/"false" → bool."""
    return {"true": True, "false": False}.get((value or "").strip().lower())


def plan_from_form(form: dict[str, Any]) -> dict:
    """The plan mapping (same shape as PLAN.yaml) from the web form's flat fields."""
    raw_amount = str(form.get("amount_usd", "")).replace(",", "").replace("，", "").strip()
    try:
        amount = float(raw_amount)
    except ValueError:
        raise InputError(f"字段 investment.amount_usd：应为数字（收到 {raw_amount!r}）",
                         f"field investment.amount_usd: must be a number (got {raw_amount!r})",
                         field="investment.amount_usd") from None
    investment: dict[str, Any] = {
        "date": str(form.get("date", "")).strip(),
        "amount_usd": amount,
        "destination_country": str(form.get("destination_country", "")).strip(),
        "industry": str(form.get("industry", "")).strip(),
        "industry_codes": [c for c in re.split(r"[,，\s]+", str(form.get("industry_codes", ""))) if c],
        "route": str(form.get("route", "")).strip(),
        "acquisition": bool(form.get("acquisition")),
        "co_investors": [c for c in re.split(r"[,，、\n]+", str(form.get("co_investors", ""))) if c.strip()],
        "pre_approval_expenses": bool(form.get("pre_approval_expenses")),
    }
    for key in ("sensitive_country", "sensitive_industry", "funded_entirely_offshore"):
        value = _tri(form.get(key))
        if value is not None:
            investment[key] = value
    tech: dict[str, Any] = {"involved": bool(form.get("tech_involved"))}
    if tech["involved"]:
        if form.get("tech_class"):
            tech["class"] = str(form["tech_class"]).strip()
        tech["items"] = [ln.strip() for ln in str(form.get("tech_items", "")).splitlines() if ln.strip()]
    return {
        "investor": {"name": str(form.get("investor_name", "")).strip(), "type": str(form.get("investor_type", "")),
                     "province": str(form.get("province") or "shanghai"), "financial": bool(form.get("financial"))},
        "investment": investment,
        "technology_export": tech,
        "data_export": {"personal_info": bool(form.get("personal_info")),
                        "important_data": bool(form.get("important_data"))},
    }


def province_choices() -> list[dict]:
    """Provinces with named authorities, for the form (Shanghai first)."""
    from moli.outbound.rules import load_provinces

    return [{"key": k, "zh": v.zh} for k, v in load_provinces().provinces.items()]


def destination_choices() -> list[dict]:
    """Countries a plan may name (in scope), for the form's drop-down."""
    return [{"code": c.code, "zh": c.zh, "en": c.en, "flags": list(c.flags)}
            for c in default_data()[1].values() if c.out_of_scope is None]


# ---------------------------------------------------------------- knowledge base

def _store(session: Session, entry: KbEntry, origin: str, owner_org_id: int | None = None,
           is_public: bool = True) -> KbDocument:
    doc = session.scalar(select(KbDocument).where(KbDocument.slug == entry.slug))
    if doc is None:
        doc = KbDocument(slug=entry.slug)
        session.add(doc)
    m = entry.meta
    doc.title, doc.issuer, doc.issued_on, doc.country = m.title, m.issuer, m.date, m.country
    doc.topics, doc.source_url, doc.sources = list(m.topics), m.source_url, list(m.sources)
    doc.body, doc.content_hash, doc.origin = entry.body, entry.content_hash, origin
    doc.owner_org_id, doc.is_public = owner_org_id, is_public
    doc.updated_at = dt.datetime.now(dt.UTC)
    return doc


def sync_knowledge_base(session: Session) -> dict:
    """Load the packaged Markdown documents into the database (idempotent: unchanged files are skipped)."""
    entries = package_documents()
    existing = {d.slug: d for d in session.scalars(select(KbDocument).where(KbDocument.origin == "package"))}
    added = updated = 0
    for e in entries:
        old = existing.pop(e.slug, None)
        if old is not None and old.content_hash == e.content_hash:
            continue
        _store(session, e, "package")
        added += old is None
        updated += old is not None
    for gone in existing.values():
        session.delete(gone)
    session.flush()
    return {"added": added, "updated": updated, "removed": len(existing), "total": len(entries)}


def add_document(session: Session, text: str, name: str, user: Any) -> KbDocument:
    """Add or replace a user's Markdown document (staff: public; enterprises: their own, private)."""
    entry = parse_document(text, name)
    old = session.scalar(select(KbDocument).where(KbDocument.slug == entry.slug))
    if old is not None:
        if old.origin == "package":
            raise InputError(f"文档名 {entry.slug} 与平台自带文档重名", f"document name {entry.slug} is taken by a "
                             "packaged document", field="name")
        ensure_can_write(user, old.owner_org_id)
    staff = getattr(user, "is_staff", False)
    doc = _store(session, entry, "user", owner_org_id=None if staff else user.organisation_id, is_public=staff)
    session.flush()
    return doc


_INDEX_LOCK = threading.Lock()
_INDEX: dict[str, tuple[tuple, BM25Index]] = {}


def _doc_text(d: KbDocument) -> str:
    # Title twice (a title word is a strong signal), then topics, issuer and body.
    return f"{d.title}\n{d.title}\n{' '.join(d.topics)}\n{d.issuer}\n{d.body}"


def kb_index(session: Session) -> BM25Index:
    """The BM25 index over every document, rebuilt only when a document changed."""
    rows = session.execute(select(KbDocument.slug, KbDocument.content_hash).order_by(KbDocument.slug)).all()
    signature = tuple((r[0], r[1]) for r in rows)
    key = str(session.get_bind().url)
    with _INDEX_LOCK:
        cached = _INDEX.get(key)
        if cached is not None and cached[0] == signature:
            return cached[1]
    docs = list(session.scalars(select(KbDocument).order_by(KbDocument.slug)))
    # Traditional characters (用户上传的繁体文档) are indexed in simplified form, like the queries.
    index = BM25Index.build([d.slug for d in docs], [to_simplified(_doc_text(d)) for d in docs])
    with _INDEX_LOCK:
        _INDEX[key] = (signature, index)
    return index


def public_kb_signature(session: Session) -> tuple:
    return tuple(session.execute(select(KbDocument.slug, KbDocument.content_hash)
                                 .where(KbDocument.is_public.is_(True)).order_by(KbDocument.slug)).all())


def public_kb_texts(session: Session) -> list[tuple[str, str, str]]:
    """``(slug, title, body)`` of every public policy document, citation markers removed."""
    docs = session.scalars(select(KbDocument).where(KbDocument.is_public.is_(True)).order_by(KbDocument.slug))
    return [(d.slug, d.title, strip_citations(d.body)) for d in docs]


def _parse_day(value: str | dt.date | None, field: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(f"字段 {field}：日期格式应为 YYYY-MM-DD（收到 {value!r}）",
                         f"field {field}: the date must be YYYY-MM-DD (got {value!r})", field=field) from None


_MD_LINK = re.compile(r"\[([^\]\n]+)\]\((?:[^)\s]+)\)")
_MD_EMPHASIS = re.compile(r"\*\*|__|`")


def _plain(line: str) -> str:
    """A Markdown line as the words a reader sees: links as their text, no emphasis markers, no
    citation markers, a table row's cells joined by "；" (the snippet is shown as plain text)."""
    text = strip_citations(_MD_EMPHASIS.sub("", _MD_LINK.sub(r"\1", line))).strip()
    if text.startswith("|"):
        text = "；".join(c.strip() for c in text.strip("|").split("|") if c.strip(" -:"))
    return text.strip(" #>-|*")


def _snippet(body: str, terms: list[str], width: int = 120) -> str:
    """The body line that contains most matched terms (the first of equals), as plain text, trimmed to
    ``width`` characters."""
    lines = [p for p in (_plain(ln) for ln in body.splitlines()) if p]
    if not lines:
        return ""
    best = lines[max(range(len(lines)), key=lambda i: (sum(t in lines[i].lower() for t in terms), -i))]
    if len(best) <= width:
        return best
    pos = min((best.lower().find(t) for t in terms if t in best.lower()), default=0)
    start = max(0, pos - width // 3)
    return ("…" if start else "") + best[start:start + width] + "…"


def search_kb(session: Session, query: str, *, country: str | None = None, topic: str | None = None,
              date_from: str | dt.date | None = None, date_to: str | dt.date | None = None, k: int = 5,
              user: Any = None) -> list[dict]:
    """BM25 search over the knowledge base in Chinese, with filters; every hit carries its source URL."""
    if not query or not query.strip():
        raise InputError("查询不能为空", "the query must not be empty", field="query")
    if k <= 0:
        raise InputError("返回条数必须为正数", "k must be positive", field="k")
    d_from, d_to = _parse_day(date_from, "date_from"), _parse_day(date_to, "date_to")
    stmt = select(KbDocument.slug, KbDocument.country, KbDocument.topics, KbDocument.issued_on)
    stmt = visible(stmt, KbDocument, user, public_column="is_public")
    if country:
        country = country.strip().upper()
        if country not in default_data()[1]:
            raise InputError(f"字段 country：未知的国家或地区代码 {country!r}", f"field country: unknown country code "
                             f"{country!r}", field="country")
        stmt = stmt.where(KbDocument.country == country)
    rows = session.execute(stmt).all()
    allowed = {r.slug for r in rows
               if (not topic or topic in (r.topics or []))
               and (d_from is None or (r.issued_on is not None and r.issued_on >= d_from))
               and (d_to is None or (r.issued_on is not None and r.issued_on <= d_to))}
    if not allowed:
        return []
    hits = kb_index(session).search(to_simplified(query), k=k, allowed=allowed)
    docs = {d.slug: d for d in session.scalars(select(KbDocument).where(KbDocument.slug.in_([h.id for h in hits])))}
    out = []
    for h in hits:
        d = docs[h.id]
        out.append({
            "slug": d.slug, "title": d.title, "issuer": d.issuer,
            "date": d.issued_on.isoformat() if d.issued_on else None, "country": d.country, "topics": d.topics,
            "score": round(h.score, 4), "matched_terms": h.matched_terms,
            "snippet": _snippet(d.body, h.matched_terms), "source_url": d.source_url, "sources": d.sources,
            "url": f"/outbound/kb/{d.slug}",
        })
    return out


def get_document(session: Session, slug: str, user: Any = None) -> KbDocument:
    stmt = visible(select(KbDocument).where(KbDocument.slug == slug), KbDocument, user, public_column="is_public")
    doc = session.scalar(stmt)
    if doc is None:
        raise NotFound(f"没有找到文档 {slug}", f"no document {slug}")
    return doc


def kb_facets(session: Session, user: Any = None) -> dict:
    rows = session.execute(visible(select(KbDocument.country, KbDocument.topics), KbDocument, user,
                                   public_column="is_public")).all()
    return {"countries": sorted({r.country for r in rows if r.country}),
            "topics": sorted({t for r in rows for t in (r.topics or [])})}


# ---------------------------------------------------------------- enterprise directory

def _check_country(code: str, field: str) -> str:
    code = code.strip().upper()
    if code not in default_data()[1]:
        raise InputError(f"字段 {field}：未知的国家或地区代码 {code!r}", f"field {field}: unknown country code {code!r}",
                         field=field)
    return code


def upsert_enterprise(session: Session, data: EnterpriseIn | dict, user: Any = None) -> Enterprise:
    """Create or update a directory entry (by name). ``user=None`` is the trusted loader (demo, import)."""
    data = data if isinstance(data, EnterpriseIn) else EnterpriseIn.model_validate(data)
    country = _check_country(data.country, "country")
    targets = [_check_country(c, "target_countries") for c in data.target_countries]
    ent = session.scalar(select(Enterprise).where(Enterprise.name == data.name))
    if ent is None:
        ent = Enterprise(name=data.name, owner_org_id=getattr(user, "organisation_id", None))
        session.add(ent)
    elif user is not None:
        ensure_can_write(user, ent.owner_org_id)
    ent.country, ent.is_local, ent.sector = country, data.is_local, data.sector
    ent.offers, ent.seeks, ent.target_countries = data.offers, data.seeks, targets
    ent.website, ent.is_public = data.website, data.is_public
    session.flush()
    return ent


def enterprise_from_form(form: dict[str, Any]) -> EnterpriseIn:
    """A directory entry from the web form's fields; a bad field is a bilingual InputError naming it."""
    targets = [c for c in re.split(r"[,，\s]+", str(form.get("target_countries", ""))) if c]
    try:
        return EnterpriseIn(name=str(form.get("name", "")).strip(), country=str(form.get("country", "")).strip(),
                            is_local=bool(form.get("is_local")), sector=str(form.get("sector", "")).strip(),
                            offers=str(form.get("offers", "")).strip(), seeks=str(form.get("seeks", "")).strip(),
                            target_countries=targets, is_public=bool(form.get("is_public")))
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        raise InputError(f"字段 {field} 无效：{err['msg']}", f"field {field} is invalid: {err['msg']}",
                         field=field) from None


def import_enterprises(session: Session, path: str | Path, user: Any = None) -> dict:
    """Import ``enterprises: [...]`` from YAML; an error names the file, entry and field, and nothing is written."""
    path = Path(path)
    data = read_user_yaml(path)  # missing, a folder, not UTF-8 (with the byte offset) or bad YAML: an InputError
    rows = data.get("enterprises") if isinstance(data, dict) else None
    if not isinstance(rows, list):
        raise InputError(f"{path.name}：应包含 enterprises 列表", f"{path.name}: expected a list under 'enterprises'",
                         field="enterprises")
    entries: list[EnterpriseIn] = []
    for i, row in enumerate(rows):
        try:
            entries.append(EnterpriseIn.model_validate(row))
        except ValidationError as exc:
            err = exc.errors()[0]
            field = f"enterprises[{i}]." + ".".join(str(p) for p in err["loc"])
            raise InputError(f"{path.name} 的 {field} 无效：{err['msg']}",
                             f"{path.name}: {field} is invalid: {err['msg']}", field=field) from None
    # An entry is keyed by its name: a second entry of the same name would silently replace the first, so
    # the file is refused (nothing is written) with both positions, rather than reporting one import too many.
    positions: dict[str, list[int]] = {}
    for i, e in enumerate(entries):
        positions.setdefault(e.name, []).append(i)
    dups = {name: at for name, at in positions.items() if len(at) > 1}
    if dups:
        zh = "；".join(f"“{n}” 出现在 " + "、".join(f"enterprises[{i}]" for i in at) for n, at in dups.items())
        en = "; ".join(f"'{n}' at " + ", ".join(f"enterprises[{i}]" for i in at) for n, at in dups.items())
        first = next(iter(dups.values()))
        raise InputError(f"{path.name} 中企业名称重复（按名称导入，后一条会覆盖前一条），未导入任何条目：{zh}",
                         f"{path.name} names an enterprise more than once (entries are keyed by name, a later one "
                         f"would replace an earlier one); nothing was imported: {en}",
                         field=f"enterprises[{first[1]}].name")
    with session.begin_nested():  # all or nothing
        for i, entry in enumerate(entries):
            try:
                upsert_enterprise(session, entry, user)
            except InputError as exc:
                raise InputError(f"{path.name} 的 enterprises[{i}]：{exc.zh}", f"{path.name}: enterprises[{i}]: {exc.en}",
                                 field=f"enterprises[{i}].{exc.field}") from None
    return {"imported": len(entries)}


def list_enterprises(session: Session, user: Any = None, *, local: bool | None = None,
                     country: str | None = None) -> list[Enterprise]:
    stmt = visible(select(Enterprise).order_by(Enterprise.name), Enterprise, user, public_column="is_public")
    if local is not None:
        stmt = stmt.where(Enterprise.is_local.is_(local))
    if country:
        stmt = stmt.where(Enterprise.country == country.strip().upper())
    return list(session.scalars(stmt))


MAX_ROW_ID = 2**63 - 1  # a 64-bit INTEGER; SQLite cannot even bind a larger Python int


def _find_enterprise(session: Session, ref: str | int, user: Any) -> Enterprise:
    """By row id (an int, or a string of ASCII digits: the CLI's argument) or else by name."""
    text = str(ref).strip()
    if isinstance(ref, int) or (text.isascii() and text.isdigit()):
        ent_id = int(text)
        ent = None if not 1 <= ent_id <= MAX_ROW_ID else session.scalar(
            visible(select(Enterprise).where(Enterprise.id == ent_id), Enterprise, user, public_column="is_public"))
    else:
        ent = session.scalar(visible(select(Enterprise).where(Enterprise.name == str(ref)), Enterprise, user,
                                     public_column="is_public"))
    if ent is None:
        raise NotFound(f"名录中没有企业 {ref}", f"no enterprise {ref} in the directory")
    return ent


_SECTOR_SPLIT = re.compile(r"[,，、;；/\s]+")


def _norm_scores(index: BM25Index, query: str) -> np.ndarray:
    s = index.scores(query) if query.strip() else np.zeros(len(index), dtype=np.float32)
    top = float(s.max()) if s.size else 0.0
    return s / top if top > 0 else s


def match_enterprise(session: Session, ref: str | int, *, k: int = 5, user: Any = None) -> dict:
    """Explained, constraint-aware partner matches for one enterprise (market's ``rank``).

    Hard: the partner is on the other side (local ↔ foreign) and each side's target countries, when
    given, include the other's country. Soft: BM25 of what this enterprise seeks against what the
    candidate offers (weight 0.5), of what it offers against what the candidate seeks (0.35), and
    sector overlap (0.15)."""
    me = _find_enterprise(session, ref, user)
    cands = [e for e in list_enterprises(session, user) if e.id != me.id]
    ids = [str(e.id) for e in cands]
    result: dict[str, Any] = {"enterprise": enterprise_dict(me), "matches": [], "excluded": [], "events_url": ROADSHOW_URL,
                              "roadshows": upcoming_roadshows(session, user)}
    if not cands:
        return result
    side_ok = np.array([e.is_local != me.is_local for e in cands])
    mine_ok = np.array([not me.target_countries or e.country in me.target_countries for e in cands])
    theirs_ok = np.array([not e.target_countries or me.country in e.target_countries for e in cands])
    countries = default_data()[1]

    def cname(code: str) -> str:
        c = countries.get(code)
        return c.zh if c else code

    hard = [
        HardConstraint(
            "counterpart", side_ok,
            lambda i: Reason("counterpart", "本地与境外企业对接", "local ↔ foreign counterpart"),
            lambda i: Reason("counterpart", "同为本地企业" if me.is_local else "同为境外企业",
                             "both local" if me.is_local else "both foreign")),
        HardConstraint(
            "target_country", mine_ok,
            lambda i: Reason("target_country", f"位于目标市场 {cname(cands[i].country)}",
                             f"in target market {cands[i].country}") if me.target_countries else None,
            lambda i: Reason("target_country", f"{cname(cands[i].country)} 不在目标市场（{'、'.join(me.target_countries)}）内",
                             f"{cands[i].country} is not among the target markets {me.target_countries}")),
        HardConstraint(
            "their_target_country", theirs_ok,
            lambda i: None,
            lambda i: Reason("their_target_country", f"对方只寻找 {'、'.join(cands[i].target_countries)} 的伙伴",
                             f"the candidate only seeks partners in {cands[i].target_countries}")),
    ]
    offers_idx = BM25Index.build(ids, [f"{e.offers} {e.sector}" for e in cands])
    seeks_idx = BM25Index.build(ids, [e.seeks for e in cands])
    want = _norm_scores(offers_idx, me.seeks)
    give = _norm_scores(seeks_idx, me.offers)
    my_sector = {t for t in tokenize(me.sector)}
    sector = np.array([len(my_sector & set(tokenize(e.sector))) / max(1, len(my_sector | set(tokenize(e.sector))))
                       for e in cands])
    want_terms = {h.id: h.matched_terms for h in offers_idx.search(me.seeks, k=len(ids))} if me.seeks else {}
    give_terms = {h.id: h.matched_terms for h in seeks_idx.search(me.offers, k=len(ids))} if me.offers else {}

    def ex_want(idx: np.ndarray) -> list[Reason | None]:
        return [Reason("seeks_offers", f"对方提供您寻找的：{'、'.join(want_terms[ids[i]])}",
                       f"offers what you seek: {', '.join(want_terms[ids[i]])}", {"terms": want_terms[ids[i]]})
                if want_terms.get(ids[i]) else None for i in idx]

    def ex_give(idx: np.ndarray) -> list[Reason | None]:
        return [Reason("offers_seeks", f"对方寻找您提供的：{'、'.join(give_terms[ids[i]])}",
                       f"seeks what you offer: {', '.join(give_terms[ids[i]])}", {"terms": give_terms[ids[i]]})
                if give_terms.get(ids[i]) else None for i in idx]

    def ex_sector(idx: np.ndarray) -> list[Reason | None]:
        return [Reason("sector", f"行业相近：{cands[i].sector}", f"related sector: {cands[i].sector}")
                if sector[i] > 0 else None for i in idx]

    soft = [SoftSignal("seeks_offers", want, 0.5, ex_want), SoftSignal("offers_seeks", give, 0.35, ex_give),
            SoftSignal("sector", sector, 0.15, ex_sector)]
    ranking = rank(ids, hard, soft, k=k, min_score=1e-9)
    by_id = {str(e.id): e for e in cands}
    result["matches"] = [{**enterprise_dict(by_id[m.id]), "score": round(m.score, 4), "signals": m.signals,
                          "reasons": [r.zh + " / " + r.en for r in m.reasons],
                          "reasons_detail": [r.to_dict() for r in m.reasons]} for m in ranking.matches]
    result["excluded"] = [{"id": x.id, "name": by_id[x.id].name,
                           "violations": [r.zh + " / " + r.en for r in x.violations]} for x in ranking.excluded]
    return result


def upcoming_roadshows(session: Session, user: Any = None, *, limit: int = 3,
                       now: dt.datetime | None = None) -> list[dict]:
    """The next published roadshows (through moli.events' service), dated ones first: events tagged
    ``roadshow`` or ``topic:路演`` (the events feature's own tag), or that offer roadshow slots."""
    try:
        from moli.events import service as events
    except ImportError:  # the events feature is not installed
        return []
    now = now or dt.datetime.now(dt.UTC)
    out = []
    for ev in events.list_events(session, user):
        tags = set(ev.tags or [])
        if not (tags & ROADSHOW_TAGS or events.slots(session, ev)):
            continue
        starts = events.aware(ev.starts_at)
        if starts is not None and starts < now:
            continue
        local = starts.astimezone(SHANGHAI).isoformat() if starts else None  # 北京时间
        out.append({"title": ev.title, "title_en": ev.title_en, "starts_at": local,
                    "venue": ev.venue, "url": f"/events/{ev.slug}"})
        if len(out) >= limit:
            break
    return out


def enterprise_dict(e: Enterprise) -> dict:
    return {"id": e.id, "name": e.name, "country": e.country, "is_local": e.is_local, "sector": e.sector,
            "offers": e.offers, "seeks": e.seeks, "target_countries": e.target_countries, "website": e.website}


def home_counts(session: Session) -> dict[str, int]:
    """Public figures for the home page."""
    from sqlalchemy import func

    return {
        "政策与国别指南 / Policy and country guides": session.scalar(
            select(func.count(KbDocument.id)).where(KbDocument.is_public.is_(True))) or 0,
        "出海企业名录 / Enterprises": session.scalar(
            select(func.count(Enterprise.id)).where(Enterprise.is_public.is_(True))) or 0,
    }
