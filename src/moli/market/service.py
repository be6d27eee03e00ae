"""Market logic over the database: publish, browse with facets, match, evaluate, leaderboards.

Every function takes a Session first and the acting user (or None for anonymous/CLI-as-operator);
authorisation goes through :mod:`moli.core.access`. A scenario's test set and its evaluation
results are visible only to its owner organisation and staff.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from moli.core import access
from moli.core.db import utcnow
from moli.core.errors import InputError, MoliError, NotFound
from moli.core.settings import get_settings
from moli.market.baseline import RetrievalBaseline, Source
from moli.market.evaluation import ResponseCache, Target, evaluate, failure_reasons, rank_key
from moli.market.matching import OfferingIndex, ranking_to_contract, scenarios_for_offering
from moli.market.models import MarketEvaluation, MarketOffering, MarketScenario
from moli.market.schemas import (
    BUILTIN_METRICS,
    STORED,
    Offering,
    Scenario,
    TestItem,
    check_values,
    load_offerings,
    load_scenarios,
    load_test_set,
)

PRICE_BANDS = (("free_or_unlisted", None, None), ("le_2", 0, 2), ("le_10", 2, 10), ("le_50", 10, 50), ("gt_50", 50, None))


class Operator:
    """The local operator running the CLI: acts with staff rights, belongs to no organisation."""

    id = None
    role = "admin"
    organisation_id = None
    is_staff = True


OPERATOR = Operator()


def _org(user: Any | None) -> int | None:
    return getattr(user, "organisation_id", None)


# --- offerings --------------------------------------------------------------------------------

def _id_taken(row: Any, key: str) -> None:
    if row is not None:
        raise InputError(f"编号“{key}”已被使用，请换一个编号", f"the id '{key}' is already taken; choose another",
                         field="id")


def publish_offering(session: Session, offering: Offering, user: Any | None, *, is_public: bool = True,
                     owner_org_id: int | None = None, new: bool = False) -> MarketOffering:
    """Create or update (by id) an offering. Updating needs write access to the existing record;
    ``new`` (the web's publish form) refuses an id that is taken instead of updating that record."""
    row = session.scalar(select(MarketOffering).where(MarketOffering.slug == offering.id))
    if new:
        _id_taken(row, offering.id)
    data = offering.model_dump(mode="json")
    if row is None:
        row = MarketOffering(slug=offering.id, owner_org_id=owner_org_id if owner_org_id is not None else _org(user))
        session.add(row)
    else:
        access.ensure_can_write(user, row.owner_org_id)
    row.name, row.vendor, row.data, row.is_public = offering.name, offering.vendor, data, is_public
    row.updated_at = utcnow()
    session.flush()
    return row


def publish_scenario(session: Session, scenario: Scenario, user: Any | None, *, test_set: Sequence[TestItem] | None = None,
                     is_public: bool = True, owner_org_id: int | None = None, new: bool = False) -> MarketScenario:
    """Create or update (by id) a scenario, as :func:`publish_offering`."""
    row = session.scalar(select(MarketScenario).where(MarketScenario.slug == scenario.id))
    if new:
        _id_taken(row, scenario.id)
    if row is None:
        row = MarketScenario(slug=scenario.id, owner_org_id=owner_org_id if owner_org_id is not None else _org(user))
        session.add(row)
    else:
        access.ensure_can_write(user, row.owner_org_id)
    row.title, row.industry, row.is_public = scenario.title, scenario.industry, is_public
    row.data = scenario.model_dump(mode="json", exclude={"test_set"})
    if test_set is not None:
        row.test_set = [t.model_dump(mode="json", exclude_none=True) for t in test_set]
    row.updated_at = utcnow()
    session.flush()
    return row


def import_file(session: Session, path: str | Path, kind: str, user: Any | None, *, is_public: bool = True) -> dict:
    """Import offerings or scenarios from JSONL/YAML. Everything is validated before anything is written."""
    path = Path(path)
    if kind == "offerings":
        offerings = load_offerings(path)
        rows = [publish_offering(session, o, user, is_public=is_public) for o in offerings]
        return {"kind": kind, "imported": len(rows), "ids": [r.slug for r in rows]}
    if kind == "scenarios":
        scenarios = load_scenarios(path)
        tests = [load_test_set(path.parent / s.test_set) if s.test_set else None for s in scenarios]
        rows = [publish_scenario(session, s, user, test_set=t, is_public=is_public) for s, t in zip(scenarios, tests, strict=True)]
        return {"kind": kind, "imported": len(rows), "ids": [r.slug for r in rows]}
    raise InputError(f"未知类型 {kind}（应为 offerings 或 scenarios）", f"unknown kind {kind} (offerings or scenarios)", field="kind")


def _get(session: Session, model: Any, key: str | int) -> Any:
    row = session.get(model, int(key)) if str(key).isdigit() else None
    if row is None:
        row = session.scalar(select(model).where(model.slug == str(key)))
    if row is None:
        what = "模型供给" if model is MarketOffering else "应用场景"
        raise NotFound(f"找不到{what} {key}", f"no {'offering' if model is MarketOffering else 'scenario'} {key}")
    return row


def get_offering(session: Session, key: str | int, user: Any | None) -> MarketOffering:
    row = _get(session, MarketOffering, key)
    access.ensure_can_read(user, row.owner_org_id, public=row.is_public)
    return row


def get_scenario(session: Session, key: str | int, user: Any | None) -> MarketScenario:
    row = _get(session, MarketScenario, key)
    access.ensure_can_read(user, row.owner_org_id, public=row.is_public)
    return row


def offering_of(row: MarketOffering) -> Offering:
    return Offering.model_validate(row.data, context=STORED)


def scenario_of(row: MarketScenario) -> Scenario:
    return Scenario.model_validate(row.data, context=STORED)


def can_see_private(user: Any | None, row: MarketScenario) -> bool:
    """The test set and evaluation results: owner organisation and staff only (public or not)."""
    return access.can_read(user, row.owner_org_id, public=False)


def _price_band(price: float | None) -> str:
    if price is None:
        return "free_or_unlisted"
    for name, lo, hi in PRICE_BANDS[1:]:
        if (hi is None or price <= hi) and price > (lo or 0) - 1e-12:
            return name
    return "gt_50"


def browse_offerings(session: Session, user: Any | None, *, q: str = "", task: str | None = None,
                     domain: str | None = None, deployment: str | None = None, filing: str | None = None,
                     price: str | None = None) -> dict[str, Any]:
    """Visible offerings filtered by facets, with facet counts (over the visible set before filtering
    by that facet's own value, as on the Hugging Face models page)."""
    rows = list(session.scalars(access.visible(select(MarketOffering), MarketOffering, user, public_column="is_public")
                                .order_by(MarketOffering.name)))
    chosen = {"task": task, "domain": domain, "deployment": deployment, "filing": filing, "price": price}
    needle = q.strip().lower()
    counts = {k: Counter() for k in _FACETS_OF}
    for r in rows:
        for k, fn in _FACETS_OF.items():
            if _keep(r.data, needle, chosen, skip=k):
                counts[k].update(fn(r.data))
    items = [r for r in rows if _keep(r.data, needle, chosen)]
    return {"items": items, "facets": {k: dict(sorted(c.items())) for k, c in counts.items()}, "chosen": chosen}


_FACETS_OF = {
    "task": lambda d: d.get("tasks", []),
    "domain": lambda d: d.get("domains", []),
    "deployment": lambda d: d.get("deployment", []),
    "filing": lambda d: [d.get("filing", {}).get("status", "none")],
    "price": lambda d: [_price_band(d.get("price_per_million_tokens_cny"))],
}


def _keep(d: dict, needle: str, chosen: dict[str, str | None], skip: str | None = None) -> bool:
    if needle and needle not in f"{d.get('name', '')} {d.get('vendor', '')} {d.get('description', '')}".lower():
        return False
    return all(v is None or v == "" or v in _FACETS_OF[k](d) for k, v in chosen.items() if k != skip)


def remote_offerings(session: Session, *, q: str = "", task: str | None = None, domain: str | None = None,
                     deployment: str | None = None, filing: str | None = None,
                     price: str | None = None) -> list[dict[str, Any]]:
    """Peer nodes' active offerings (through ``moli.federation.service``), filtered by the same search
    and facets as :func:`browse_offerings`. Each row is the federation entry with ``peer`` and ``url``."""
    from moli.federation import service as federation

    chosen = {"task": task, "domain": domain, "deployment": deployment, "filing": filing, "price": price}
    needle = q.strip().lower()
    out = []
    for d in federation.remote_items(session, "offering"):
        shaped = {**d, "name": d.get("title") or d.get("name", ""), "filing": {"status": d.get("filing_status") or "none"}}
        if _keep(shaped, needle, chosen):
            out.append(d)
    return out


def remote_scenarios(session: Session, *, industry: str | None = None, task: str | None = None) -> list[dict[str, Any]]:
    """Peer nodes' active public scenarios, filtered by the same facets as the local list; each row is
    the federation entry with ``peer`` and ``url``."""
    from moli.federation import service as federation

    return [d for d in federation.remote_items(session, "scenario")
            if (not industry or (d.get("industry") or d.get("domain")) == industry)
            and (not task or task in (d.get("tasks") or []))]


def browse_scenarios(session: Session, user: Any | None, *, industry: str | None = None, task: str | None = None) -> list[MarketScenario]:
    return browse_scenarios_faceted(session, user, industry=industry, task=task)["items"]


_SCENARIO_FACETS = {
    "industry": lambda r: [r.industry],
    "task": lambda r: (r.data or {}).get("tasks", []),
}


def browse_scenarios_faceted(session: Session, user: Any | None, *, industry: str | None = None,
                             task: str | None = None) -> dict[str, Any]:
    """Visible scenarios filtered by industry and task, with facet counts computed as for offerings: each
    facet counts the visible scenarios matching the *other* facet's choice (so its other values stay
    useful), e.g. ``{"industry": {"medicine": 2}, "task": {"question-answering": 3}}``."""
    rows = list(session.scalars(access.visible(select(MarketScenario), MarketScenario, user, public_column="is_public")
                                .order_by(MarketScenario.created_at.desc(), MarketScenario.id.desc())))
    chosen = {"industry": industry or None, "task": task or None}

    def keep(r: MarketScenario, skip: str | None = None) -> bool:
        return all(v is None or v in _SCENARIO_FACETS[k](r) for k, v in chosen.items() if k != skip)

    counts = {k: Counter() for k in _SCENARIO_FACETS}
    for r in rows:
        for k, fn in _SCENARIO_FACETS.items():
            if keep(r, skip=k):
                counts[k].update(fn(r))
    return {"items": [r for r in rows if keep(r)], "facets": {k: dict(sorted(c.items())) for k, c in counts.items()},
            "chosen": chosen}


# --- withdrawal (delete) ------------------------------------------------------------------------
#
# Rule for dependent evaluation runs: REFUSE. An offering or scenario that any evaluation run
# (MarketEvaluation, queued, running or finished) refers to cannot be deleted; the error names how
# many runs exist. Why not cascade: the runs on an offering usually belong to *other* organisations'
# scenarios (they are rows of their leaderboards, paid for with their API calls and test sets), so an
# offering's owner deleting them would silently rewrite someone else's history; and a run may still be
# in progress, writing into the rows a cascade would remove. Refusing is one rule for both kinds. The
# way out is to unpublish (edit → untick "public"): the record disappears from other organisations'
# lists, matching and the federation catalogue while the history stays intact.


class InUse(MoliError):
    """The record is still referenced (by evaluation runs) and is therefore not deleted."""

    status_code = 409


def _runs_of(session: Session, column: Any, row_id: int) -> int:
    return session.scalar(select(func.count(MarketEvaluation.id)).where(column == row_id)) or 0


KIND_NAMES = {"offering": ("模型供给", "offering"), "scenario": ("应用场景", "scenario")}


def _in_use(kind: str, slug: str, runs: int | None) -> InUse:
    what_zh, what_en = KIND_NAMES[kind]
    if runs is None:  # a run was created concurrently (the foreign key refused the delete)
        return InUse(f"{what_zh} {slug} 刚被评测记录引用，未删除",
                     f"the {what_en} {slug} was just referenced by an evaluation run; nothing was deleted", field="id")
    return InUse(f"{what_zh} {slug} 有 {runs} 条评测记录，为保留排行榜历史不能删除；可在编辑页取消“公开”以下架",
                 f"the {what_en} {slug} has {runs} evaluation run{'s' if runs != 1 else ''}; it cannot be deleted "
                 f"without losing leaderboard history. Unpublish it instead (edit, untick 'public')", field="id")


def deletion_check(session: Session, kind: str, key: str | int, user: Any | None) -> dict[str, Any]:
    """What deleting would do, for the confirmation page: ``{"row", "runs", "allowed"}``. Raises the
    usual NotFound/PermissionDenied if ``user`` may not see or change the record."""
    if kind == "offering":
        row, column = get_offering(session, key, user), MarketEvaluation.offering_id
    else:
        row, column = get_scenario(session, key, user), MarketEvaluation.scenario_id
    access.ensure_can_write(user, row.owner_org_id)
    runs = _runs_of(session, column, row.id)
    return {"row": row, "runs": runs, "allowed": runs == 0}


def _delete(session: Session, kind: str, key: str | int, user: Any | None) -> dict[str, Any]:
    check = deletion_check(session, kind, key, user)
    row = check["row"]
    slug = row.slug
    if not check["allowed"]:
        raise _in_use(kind, slug, check["runs"])
    session.delete(row)
    try:
        session.flush()  # one DELETE in the caller's transaction; the FK still guards a run created meanwhile
    except IntegrityError as exc:
        raise _in_use(kind, slug, None) from exc
    return {"kind": kind, f"{kind}_id": slug, "deleted": True}


def delete_offering(session: Session, offering_id: str | int, user: Any | None) -> dict[str, Any]:
    """Withdraw an offering (owner organisation or staff). Refused with :class:`InUse` (409) while evaluation
    runs refer to it. A deleted public offering is simply absent from the next federation catalogue."""
    return _delete(session, "offering", offering_id, user)


def delete_scenario(session: Session, scenario_id: str | int, user: Any | None) -> dict[str, Any]:
    """Withdraw a scenario and its private test set (owner organisation or staff). Refused with
    :class:`InUse` (409) while evaluation runs refer to it."""
    return _delete(session, "scenario", scenario_id, user)


# --- matching ---------------------------------------------------------------------------------

_INDEX_CACHE: dict[str, tuple[tuple, OfferingIndex, list[MarketOffering]]] = {}


def offering_index(session: Session) -> tuple[OfferingIndex, list[MarketOffering]]:
    """One index over every offering in the database, rebuilt when an offering changes."""
    stamp = session.execute(select(func.count(MarketOffering.id), func.max(MarketOffering.updated_at))).one()
    key = str(session.get_bind().url)
    hit = _INDEX_CACHE.get(key)
    if hit is not None and hit[0] == tuple(stamp):
        return hit[1], hit[2]
    rows = list(session.scalars(select(MarketOffering).order_by(MarketOffering.id)))
    index = OfferingIndex([offering_of(r) for r in rows])
    _INDEX_CACHE[key] = (tuple(stamp), index, rows)
    return index, rows


def check_top(k: int) -> int:
    """How many matches to return: a positive number (``top`` of the API, ``--top`` of the CLI)."""
    if k < 1:
        raise InputError(f"返回条数必须为正数（收到 {k}）", f"top must be positive (got {k})", field="top")
    return k


def match_scenario(session: Session, scenario: Scenario, user: Any | None, *, k: int = 10,
                   max_excluded: int | None = 50) -> dict[str, Any]:
    """Offerings in the database that ``user`` may see, ranked for ``scenario`` (the CLI contract)."""
    check_top(k)
    index, rows = offering_index(session)
    scope = np.array([access.can_read(user, r.owner_org_id, public=r.is_public) for r in rows], dtype=bool)
    return ranking_to_contract(index.match(scenario, k=k, max_excluded=max_excluded, scope=scope))


_REMOTE_FIELDS = {
    "offering": ("vendor", "description", "tasks", "domains", "languages", "modalities", "context_length",
                 "parameters_b", "deployment", "license", "commercial_use", "data_residency",
                 "price_per_million_tokens_cny", "evaluations"),
    "scenario": ("description", "tasks", "languages", "constraints"),
}


def _remote_models(session: Session, kind: str) -> tuple[list, dict[str, dict], int]:
    """Peer nodes' active entries of ``kind`` as market schema objects (``Offering``/``Scenario``) under
    local ids, the entry behind each id, and how many entries the schema refused (skipped, not guessed
    at). A field the peer left empty takes the schema's default, as it would for a local record."""
    from pydantic import ValidationError

    from moli.federation import service as federation

    models, by_id, skipped = [], {}, 0
    for i, d in enumerate(federation.remote_items(session, kind)):
        rid = f"peer-{i}-" + re.sub(r"[^A-Za-z0-9._-]", "-", str(d.get("name", "")))[:100]
        fields = {f: d[f] for f in _REMOTE_FIELDS[kind] if d.get(f) not in (None, "", [], {})}
        title = d.get("title") or d.get("name") or rid
        try:
            if kind == "offering":
                model = Offering(id=rid, name=title, filing={"status": d.get("filing_status") or "none"}, **fields)
            else:
                model = Scenario(id=rid, title=title, industry=d.get("industry") or d.get("domain") or "general",
                                 **fields)
        except ValidationError:
            skipped += 1
            continue
        models.append(model)
        by_id[rid] = d
    return models, by_id, skipped


def _with_peers(out: dict[str, Any], id_key: str, by_id: dict[str, dict], skipped: int) -> dict[str, Any]:
    for m in out["matches"]:
        d = by_id[m[id_key]]
        m.update(name=d.get("title") or d.get("name"), vendor=d.get("vendor", ""), peer=d["peer"], url=d["url"])
    return {"matches": out["matches"], "counts": {**out["counts"], "skipped": skipped}}


def remote_matches(session: Session, scenario: Scenario, *, k: int = 5) -> dict[str, Any]:
    """Peer nodes' public offerings ranked for ``scenario`` by the same matcher, kept apart from the
    local contract: ``{"matches": [... + "name", "vendor", "peer", "url"], "counts": {..., "skipped"}}``."""
    from moli.market.matching import match_offerings

    check_top(k)
    offerings, by_id, skipped = _remote_models(session, "offering")
    out = (match_offerings(scenario, offerings, k=k, max_excluded=0) if offerings else
           {"matches": [], "counts": {"candidates": 0, "eligible": 0, "excluded": 0}})
    return _with_peers(out, "offering_id", by_id, skipped)


def remote_scenarios_for(session: Session, offering: Offering, *, k: int = 5) -> dict[str, Any]:
    """Peer nodes' public scenarios that ``offering`` could serve, by the same reverse matcher, apart
    from the local list; same shape as :func:`remote_matches`."""
    check_top(k)
    scenarios, by_id, skipped = _remote_models(session, "scenario")
    return _with_peers(scenarios_for_offering(offering, scenarios, k=k, max_excluded=0), "scenario_id", by_id, skipped)


def match_offering(session: Session, offering_key: str, user: Any | None, *, k: int = 10) -> dict[str, Any]:
    """The other direction: scenarios an offering could serve."""
    return local_scenarios_for(session, offering_of(get_offering(session, offering_key, user)), user, k=k)


def local_scenarios_for(session: Session, offering: Offering, user: Any | None, *, k: int = 10) -> dict[str, Any]:
    """The scenarios ``user`` may see that ``offering`` could serve (for a caller that has the offering)."""
    check_top(k)
    scenarios = [scenario_of(r) for r in browse_scenarios(session, user)]
    return scenarios_for_offering(offering, scenarios, k=k, max_excluded=50)


# --- test sets and evaluation -----------------------------------------------------------------

def set_test_set(session: Session, scenario_key: str, items: Sequence[TestItem], user: Any | None) -> MarketScenario:
    row = _get(session, MarketScenario, scenario_key)
    access.ensure_can_write(user, row.owner_org_id)
    if not items:
        raise InputError("测试集为空", "the test set is empty", field="test_set")
    row.test_set = [t.model_dump(mode="json", exclude_none=True) for t in items]
    row.updated_at = utcnow()
    session.flush()
    return row


def get_test_set(session: Session, scenario_key: str, user: Any | None) -> list[TestItem]:
    row = _get(session, MarketScenario, scenario_key)
    access.ensure_can_read(user, row.owner_org_id)  # private: owner and staff only
    if not row.test_set:
        raise InputError(f"场景 {row.slug} 还没有测试集", f"scenario {row.slug} has no test set yet", field="test_set")
    return [TestItem.model_validate(t) for t in row.test_set]


def response_cache() -> ResponseCache:
    return ResponseCache(get_settings().ensure_home() / "market" / "response_cache.sqlite")


# --- the platform's reference baseline ----------------------------------------------------------

# Public corpus text the baseline indexes (in catalogue order): a floor to beat needs a sample of the
# platform's documents, not all of them, and the index lives in the web process. Measured on the
# shared laws and reports (2.1 M characters, 48,000 sentences): 3.2 s CPU to build, 31 MB live,
# 230 MB at the peak of the build.
BASELINE_MAX_CHARS = 2_000_000
_BASELINE_LOCK = threading.Lock()
_BASELINE: dict[str, tuple[tuple, RetrievalBaseline]] = {}


def reference_baseline(session: Session) -> RetrievalBaseline:
    """The baseline over the public corpora and public policy documents, rebuilt when they change."""
    from moli.corpus import service as corpus_service
    from moli.outbound import service as outbound_service

    key = str(session.get_bind().url)

    def signature() -> tuple:
        return corpus_service.public_signature(session), outbound_service.public_kb_signature(session)

    with _BASELINE_LOCK:
        cached = _BASELINE.get(key)
        if cached is not None and cached[0] == signature():
            return cached[1]
        # Before a build (the packaged files change only with the package, i.e. in a new process): the
        # packaged policy library, loaded as the outbound pages do, committed under the lock so that
        # concurrent first requests do not insert it twice.
        outbound_service.sync_knowledge_base(session)
        session.commit()
        current = signature()
        texts = (corpus_service.public_texts(session, max_chars=BASELINE_MAX_CHARS)
                 + outbound_service.public_kb_texts(session))
        baseline = RetrievalBaseline(Source(*t) for t in texts)
        _BASELINE[key] = (current, baseline)
        return baseline


def is_evaluable(offering: Offering) -> bool:
    return bool(offering.endpoint) or offering.hosted


def target_of(offering: Offering) -> Target:
    if offering.hosted:
        from moli.market import hosted

        return Target(offering.id, hosted.BASE_URL, offering.id, cacheable=False)
    if not offering.endpoint:
        raise InputError(f"模型供给 {offering.id} 没有接口地址 endpoint，无法评测",
                         f"offering {offering.id} has no endpoint to evaluate", field="endpoint")
    extra = offering.model_extra or {}
    return Target(offering.id, offering.endpoint, str(extra.get("api_model") or offering.id), extra.get("api_key_env"))


def endpoint_refusal(base_url: str) -> tuple[str, str] | None:
    """Why the platform will not call ``base_url`` (Chinese, English), or None. An offering's owner names the address the
    server sends requests to: one on this machine or the internal network (127.0.0.1, 10.x, the cloud
    metadata address 169.254.169.254 …) would let any user make the server call internal services. So
    only public addresses are called, and the networks the operator lists in
    MOLI_MODEL_ENDPOINT_NETWORKS (models deployed on the intranet). A name that does not resolve is left
    to fail as a connection error."""
    parts = urlsplit(base_url)
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80),
                                   type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError):
        return None
    allowed = get_settings().endpoint_networks
    for info in infos:
        ip = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if ip.version == 6 and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if not ip.is_global and not any(ip in net for net in allowed):
            return (f"接口地址 {parts.hostname} 指向本机或内网地址 {ip}，平台不向其发送请求（管理员可在 "
                    f"MOLI_MODEL_ENDPOINT_NETWORKS 中放行内网模型所在网段）",
                    f"the endpoint {parts.hostname} resolves to the local or internal address {ip}, which the "
                    "platform does not call (an operator may allow an intranet network in MOLI_MODEL_ENDPOINT_NETWORKS)")
    return None


def run_evaluation(session: Session, scenario_key: str, offering_keys: Sequence[str], user: Any | None, *,
                   job_id: int | None = None, progress: Callable[[float, str], None] | None = None,
                   allow_custom_scorers: bool = False, concurrency: int = 16, timeout: float = 30.0,
                   retries: int = 3, backoff: float = 0.5) -> dict[str, Any]:
    """Evaluate offerings on the scenario's test set; one MarketEvaluation row per offering.

    ``allow_custom_scorers`` permits ``module:function`` scoring (the CLI, run by an operator);
    the web passes False so a user cannot make the server import arbitrary code.
    """
    srow = _get(session, MarketScenario, scenario_key)
    access.ensure_can_write(user, srow.owner_org_id)
    scenario = scenario_of(srow)
    items = get_test_set(session, scenario_key, user)
    offerings = [(get_offering(session, k, user)) for k in dict.fromkeys(offering_keys)]
    if not offerings:
        raise InputError("至少选择一个模型供给", "choose at least one offering", field="offering")
    from moli.market import hosted

    targets = [target_of(offering_of(o)) for o in offerings]
    refused = {t.offering_id: why for t in targets
               if t.base_url != hosted.BASE_URL and (why := endpoint_refusal(t.base_url))}
    targets = [t for t in targets if t.offering_id not in refused]
    rows = {}
    for o in offerings:
        ev = MarketEvaluation(scenario_id=srow.id, offering_id=o.id, job_id=job_id, status="running",
                              primary_metric=scenario.scoring[0], metrics={}, counts={}, items=[], error="",
                              owner_org_id=srow.owner_org_id)
        session.add(ev)
        rows[o.slug] = ev
        if o.slug in refused:
            ev.status, ev.error, ev.finished_at = "failed", " / ".join(refused[o.slug]), utcnow()
    # Commit before the long HTTP part: the job's progress writer uses its own session, and an open
    # write transaction would lock SQLite for the whole evaluation.
    session.commit()
    if not targets:
        if len(refused) == 1:
            raise InputError(*next(iter(refused.values())), field="endpoint")
        raise InputError("所有模型供给都被拒绝：" + "；".join(f"{k}：{zh}" for k, (zh, _) in refused.items()),
                         "every offering was refused: " + "; ".join(f"{k}: {en}" for k, (_, en) in refused.items()),
                         field="endpoint")
    try:
        out = evaluate(items, targets, scoring=scenario.scoring, allow_custom_scorers=allow_custom_scorers,
                       concurrency=concurrency, timeout=timeout, retries=retries, backoff=backoff,
                       cache=response_cache(), progress=progress, mounts=hosted.mounts())
    except Exception as exc:
        for ev in rows.values():
            ev.status, ev.error, ev.finished_at = "failed", str(exc)[:2000], utcnow()
        session.flush()
        raise
    for row in out["leaderboard"]:
        ev = rows[row["offering_id"]]
        ev.status = "succeeded"
        ev.metrics, ev.counts, ev.primary_score = row["metrics"], row["counts"], row["score"]
        ev.items = out["results"][row["offering_id"]]
        ev.finished_at = utcnow()
    session.flush()
    return evaluation_outcome({"scenario_id": srow.slug, "evaluation_ids": {k: v.id for k, v in rows.items()},
                               "leaderboard": out["leaderboard"]}, refused)


def evaluation_outcome(out: dict[str, Any], refused: dict[str, tuple[str, str]] | None = None) -> dict[str, Any]:
    """``out`` (an evaluation's leaderboard, each row with its ``failures``) completed with the offerings
    refused for their address (``refused``: id, zh, en) and ``all_failed``: true when no item of any
    offering got an answer — the CLI then exits 1, so a script notices an evaluation that measured nothing."""
    out["refused"] = [{"offering_id": k, "zh": zh, "en": en} for k, (zh, en) in (refused or {}).items()]
    out["all_failed"] = bool(out["leaderboard"] or out["refused"]) and all(
        (row.get("counts") or {}).get("ok", 0) == 0 for row in out["leaderboard"])
    return out


def evaluation_lines(out: dict[str, Any]) -> list[str]:
    """The evaluation's outcome as text lines for the terminal: the leaderboard, under each offering with
    failed items the distinct reasons with their counts, then the refused offerings and their reasons."""
    lines = []
    for row in out["leaderboard"]:
        c = row["counts"]
        lines.append(f"{row['rank']}. {row['offering_id']}  {row['primary_metric']}={row['score']:.3f}  "
                     f"ok={c['ok']} failed={c['failed']} cached={c['cached']}")
        if row.get("failures"):
            lines.append("     失败原因 / failure reasons:")
            lines += [f"       {f['count']} × {f['error']}" for f in row["failures"]]
    for r in out.get("refused") or []:
        lines.append(f"拒绝 / refused: {r['offering_id']}：{r['zh']}")
        lines.append(f"     {r['en']}")
    if out.get("all_failed"):
        lines.append("所有模型供给的所有测试项都失败了，未得到任何回答 / every item of every offering failed: "
                     "no answer was obtained")
    return lines


def leaderboard(session: Session, scenario_key: str, user: Any | None) -> list[dict[str, Any]]:
    """Latest finished evaluation per offering, best first. Owner and staff only."""
    srow = _get(session, MarketScenario, scenario_key)
    access.ensure_can_read(user, srow.owner_org_id)
    evs = session.scalars(select(MarketEvaluation).where(MarketEvaluation.scenario_id == srow.id,
                                                         MarketEvaluation.status == "succeeded")
                          .order_by(MarketEvaluation.id.desc()))
    latest: dict[int, MarketEvaluation] = {}
    for ev in evs:
        latest.setdefault(ev.offering_id, ev)
    names = {o.id: o for o in session.scalars(select(MarketOffering).where(MarketOffering.id.in_(list(latest))))}
    board = [{"offering_id": names[oid].slug, "name": names[oid].name, "evaluation_id": ev.id,
              "baseline": bool((names[oid].data or {}).get("hosted")),
              "primary_metric": ev.primary_metric, "score": ev.primary_score or 0.0, "metrics": ev.metrics,
              "counts": ev.counts, "failures": failure_reasons(ev.items or []),
              "finished_at": ev.finished_at.isoformat() if ev.finished_at else None}
             for oid, ev in latest.items()]
    board.sort(key=rank_key)
    for i, r in enumerate(board, 1):
        r["rank"] = i
    return board


def evaluations_of(session: Session, scenario_key: str, user: Any | None) -> list[MarketEvaluation]:
    srow = _get(session, MarketScenario, scenario_key)
    access.ensure_can_read(user, srow.owner_org_id)
    return list(session.scalars(select(MarketEvaluation).where(MarketEvaluation.scenario_id == srow.id)
                                .order_by(MarketEvaluation.id.desc())))


def check_web_scoring(scenario: Scenario) -> None:
    """Scenarios published through the web may only use built-in scoring."""
    bad = [s for s in scenario.scoring if s not in BUILTIN_METRICS]
    if bad:
        raise InputError(f"网页发布的场景只能使用内置评分方法（{', '.join(BUILTIN_METRICS)}），不能用 {bad[0]}",
                         f"scenarios published on the web may use only built-in scoring ({', '.join(BUILTIN_METRICS)}), "
                         f"not {bad[0]}", field="scoring")


# --- web forms --------------------------------------------------------------------------------

def _form_list(form: Any, name: str) -> list[str]:
    vals = form.getlist(name) if hasattr(form, "getlist") else form.get(name, [])
    if isinstance(vals, str):
        vals = [vals]
    out: list[str] = []
    for v in vals:
        out += [p for p in str(v).replace("，", ",").replace("、", ",").split(",") if p.strip()]
    return [v.strip() for v in out]


def _num(form: Any, name: str, kind: type = float) -> Any:
    raw = str(form.get(name) or "").strip()
    if not raw:
        return None
    try:
        return kind(raw)
    except ValueError:
        raise InputError(f"字段 {name}：应为数字，收到“{raw}”", f"field {name}: expected a number, got '{raw}'",
                         field=name) from None


def _with_unlisted(session: Session | None, table: Any, data: dict[str, Any], optional: tuple[str, ...] = ()) -> dict[str, Any]:
    """``data`` plus the stored record's fields that the web form has no input for (an offering's
    evaluations and sources, a scenario's benchmarks, the extra fields of an imported card), so that an
    edit through the form changes what it shows and loses nothing else. ``optional``: inputs the form
    has but leaves out of ``data`` when blank — a blank one clears the field."""
    row = session.scalar(select(table).where(table.slug == data["id"])) if session is not None and data["id"] else None
    if row is None:
        return data
    return {k: v for k, v in (row.data or {}).items() if k not in data and k not in optional} | data


def offering_from_form(form: Any, session: Session | None = None) -> Offering:
    """The publish/edit form → a validated Offering (errors name the field). With a session, an edit of a
    stored offering keeps the fields the form does not carry."""
    from moli.market.schemas import parse_offering

    data: dict[str, Any] = {
        "id": str(form.get("id") or "").strip(), "name": str(form.get("name") or "").strip(),
        "vendor": str(form.get("vendor") or "").strip(), "description": str(form.get("description") or "").strip(),
        "tasks": _form_list(form, "tasks"), "domains": _form_list(form, "domains") or ["general"],
        "languages": _form_list(form, "languages") or ["zh"], "modalities": _form_list(form, "modalities") or ["text"],
        "context_length": _num(form, "context_length", int), "parameters_b": _num(form, "parameters_b"),
        "deployment": _form_list(form, "deployment"), "license": str(form.get("license") or "").strip(),
        "commercial_use": form.get("commercial_use") in ("1", "on", "true"),
        "filing": {"status": form.get("filing_status") or "none", "number": (form.get("filing_number") or None),
                   "date": (form.get("filing_date") or None)},
        "data_residency": _form_list(form, "data_residency"),
        "price_per_million_tokens_cny": _num(form, "price_per_million_tokens_cny"),
        "endpoint": str(form.get("endpoint") or "").strip() or None,
    }
    if str(form.get("api_model") or "").strip():
        data["api_model"] = str(form.get("api_model")).strip()
    # The form has no "hosted" box: like every field it does not show, the stored card keeps it.
    return parse_offering(_with_unlisted(session, MarketOffering, data, optional=("api_model",)), "表单 form")


def scenario_from_form(form: Any, session: Session | None = None) -> Scenario:
    """The scenario form → a validated Scenario; with a session, an edit keeps the fields the form does
    not carry (the test set is stored apart and kept by ``publish_scenario``)."""
    from moli.market.schemas import parse_scenario

    cons: dict[str, Any] = {
        "deployment": _form_list(form, "deployment") or None,
        "requires_filing": form.get("requires_filing") in ("1", "on", "true"),
        "data_must_stay_in": str(form.get("data_must_stay_in") or "").strip() or None,
        "min_context_length": _num(form, "min_context_length", int),
        "max_price_per_million_tokens_cny": _num(form, "max_price_per_million_tokens_cny"),
        "commercial_use": True if form.get("commercial_use") in ("1", "on", "true") else None,
        "modalities": _form_list(form, "modalities") or None,
    }
    data = {"id": str(form.get("id") or "").strip(), "title": str(form.get("title") or "").strip(),
            "description": str(form.get("description") or "").strip(),
            "industry": form.get("industry") or "general", "tasks": _form_list(form, "tasks"),
            "languages": _form_list(form, "languages") or ["zh"], "constraints": cons,
            "scoring": _form_list(form, "scoring") or ["exact_match", "char_f1", "rouge_l_char"]}
    scenario = parse_scenario(_with_unlisted(session, MarketScenario, data), "表单 form")
    check_web_scoring(scenario)
    return scenario


def parse_test_set_upload(raw: bytes, filename: str = "upload.jsonl") -> list[TestItem]:
    """An uploaded JSONL test set, validated line by line (errors name the line)."""
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / (Path(filename).name or "upload.jsonl")
        p.write_bytes(raw)
        try:
            return load_test_set(p)
        except InputError as exc:
            raise InputError(exc.zh.replace(str(p), filename), exc.en.replace(str(p), filename), field=exc.field) from None


def parse_test_set_items(items: Any) -> list[TestItem]:
    """A test set sent as JSON (``test_set_items``: a list of ``{"prompt", "reference", "choices"}``),
    checked as an uploaded JSONL file is."""
    import json

    if not isinstance(items, list):
        raise InputError("test_set_items 应为对象列表", "test_set_items must be a list of objects",
                         field="test_set_items")
    check_values(items, "test_set_items")
    raw = "\n".join(json.dumps(t, ensure_ascii=False) for t in items).encode()
    return parse_test_set_upload(raw, "test_set_items")


def offering_keys(value: Any) -> list[str]:
    """The ``offerings`` of an evaluation request: a list of offering ids (or one id)."""
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(k, str | int) and not isinstance(k, bool) for k in value):
        raise InputError("offerings 应为模型供给编号的列表", "offerings must be a list of offering ids",
                         field="offerings")
    return [str(k) for k in value]


def submit_evaluation(session: Session, scenario_key: str, offering_keys: Sequence[str], user: Any) -> Any:
    """Check rights and endpoints now (a clear error on the page), then queue the job."""
    from moli.core.jobs import submit_job

    srow = _get(session, MarketScenario, scenario_key)
    access.ensure_can_write(user, srow.owner_org_id)
    get_test_set(session, scenario_key, user)
    if not offering_keys:
        raise InputError("至少选择一个模型供给", "choose at least one offering", field="offering")
    for k in offering_keys:
        target_of(offering_of(get_offering(session, k, user)))
    return submit_job(session, "market.evaluate", f"评测 Evaluate: {srow.title}",
                      {"scenario": srow.slug, "offerings": list(dict.fromkeys(offering_keys)),
                       "user_id": getattr(user, "id", None)}, user)


def evaluable_offerings(session: Session, user: Any | None) -> list[MarketOffering]:
    return [r for r in browse_offerings(session, user)["items"] if is_evaluable(offering_of(r))]


def home_counts(session: Session) -> dict[str, int]:
    """Public figures for the home page."""
    return {
        "模型供给 / Model offerings": session.scalar(
            select(func.count(MarketOffering.id)).where(MarketOffering.is_public.is_(True))) or 0,
        "应用场景 / Scenarios": session.scalar(
            select(func.count(MarketScenario.id)).where(MarketScenario.is_public.is_(True))) or 0,
        "模型评测 / Evaluations": session.scalar(select(func.count(MarketEvaluation.id))) or 0,
    }
