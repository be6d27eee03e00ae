"""Federation service (联邦服务): export our signed public catalogue, manage peers, pull theirs.

* ``build_catalogue`` lists only PUBLIC records, through the corpus and market services, with a
  whitelist of fields per kind (never a storage path, an endpoint or a test set).
* ``add_peer`` / ``remove_peer`` / ``list_peers``: a peer's key is pinned on first use (first
  successful pull) or given up front; a different key later is refused.
* ``pull`` fetches each peer's catalogue (httpx, timeouts, retries), verifies the signature,
  validates each entry (a bad entry is reported by index and skipped), then applies the rest in
  one transaction per peer: upsert by (peer, kind, name, version), mark entries no longer listed
  as withdrawn, write a sync log row. A failing peer is logged as failed; the others go on.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import re
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import ValidationError
from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from moli import __version__
from moli.core.db import utcnow
from moli.core.errors import InputError, MoliError, NotFound
from moli.federation.identity import (
    FORMAT,
    NodeIdentity,
    NodeSettings,
    content_hash,
    decode_public_key,
    endorsed_by,
    fingerprint,
    load_identity,
    public_key_of,
    sign_document,
    verify_document,
)
from moli.federation.models import FederationPeer, FederationRemoteEntry, FederationSync
from moli.federation.schemas import KINDS, CatalogueHead, error_text, parse_entry

CATALOGUE_PATH = "/api/v1/federation/catalogue"
MAX_CATALOGUE_BYTES = 50 * 1024 * 1024
_PEER_NAME = re.compile(r"^\w[\w.\-]{0,59}$")


class FetchError(MoliError):
    """A peer could not be reached or did not answer with a catalogue."""

    status_code = 502


# --- this node ---------------------------------------------------------------------------------

def node_url(request_base_url: str | None = None) -> str:
    return (NodeSettings().node_url or request_base_url or "").rstrip("/")


def node_info(request_base_url: str | None = None) -> dict[str, Any]:
    ident = load_identity()
    previous = public_key_of(ident.previous_key) if ident.previous_key else None
    return {**ident.public_dict(node_url(request_base_url)), "fingerprint": ident.fingerprint,
            "previous_public_key": previous, "previous_fingerprint": fingerprint(previous) if previous else None}


# --- export ------------------------------------------------------------------------------------

def _corpus_entries(session: Session) -> list[dict[str, Any]]:
    from moli.corpus import service as corpus_service

    out = []
    for corpus in corpus_service.list_corpora(session, None):  # anonymous: public entries only
        if corpus.access != "public":  # defence in depth: never rely on one filter alone
            continue
        s = corpus_service.corpus_summary(corpus)
        name, version = s["name"], s["version"]
        q = f"?version={quote(version, safe='')}"
        base = f"/corpus/{quote(name, safe='')}"
        folder = Path(s["location"]) if s.get("location") else None
        files = [{k: f[k] for k in ("path", "sha256", "bytes", "rows") if f.get(k) is not None}
                 for f in (corpus.manifest or {}).get("files", []) if isinstance(f, dict) and f.get("sha256")]
        out.append({
            "kind": "corpus", "name": name, "version": version, "title": name, "domain": s["domain"] or "",
            "description": s["description"] or "", "licence": s["licence"] or "",
            "documents": s["documents"], "characters": s["characters"], "recipe_hash": s["recipe_hash"] or "",
            "files": files, "path": base + q,
            "card_url": base + "/card" + q if folder and (folder / "README.md").exists() else None,
            "croissant_url": base + "/croissant.json" + q if folder and (folder / "croissant.json").exists() else None,
            "updated_at": s["updated_at"],
        })
    return out


def _market_entries(session: Session) -> list[dict[str, Any]]:
    if importlib.util.find_spec("moli.market") is None or importlib.util.find_spec("moli.market.service") is None:
        return []
    from moli.market import service as market_service

    out = []
    for row in market_service.browse_offerings(session, None)["items"]:  # anonymous: public only
        d = row.data or {}
        if not row.is_public or d.get("hosted"):  # every node hosts its own baseline: not news to a peer
            continue
        out.append({
            "kind": "offering", "name": row.slug, "version": "", "title": d.get("name") or row.name,
            "domain": ",".join(d.get("domains") or []), "description": d.get("description", ""),
            "vendor": d.get("vendor", ""), "tasks": d.get("tasks") or [], "domains": d.get("domains") or [],
            "languages": d.get("languages") or [], "deployment": d.get("deployment") or [],
            "license": d.get("license", ""), "commercial_use": bool(d.get("commercial_use")),
            "context_length": d.get("context_length"), "parameters_b": d.get("parameters_b"),
            "price_per_million_tokens_cny": d.get("price_per_million_tokens_cny"),
            "filing_status": (d.get("filing") or {}).get("status", ""),
            "evaluations": [{k: e.get(k) for k in ("benchmark", "metric", "score", "source")}
                            for e in d.get("evaluations") or [] if isinstance(e, dict)],
            "path": f"/market/offerings/{quote(row.slug, safe='/')}",
            "updated_at": row.updated_at.isoformat() if row.updated_at else None,
        })
    for row in market_service.browse_scenarios(session, None):
        if not row.is_public:
            continue
        d = row.data or {}
        out.append({
            "kind": "scenario", "name": row.slug, "version": "", "title": d.get("title") or row.title,
            "domain": row.industry or "", "description": d.get("description", ""), "industry": row.industry or "",
            "tasks": d.get("tasks") or [], "languages": d.get("languages") or [],
            "constraints": d.get("constraints") or {},
            "path": f"/market/scenarios/{quote(row.slug, safe='')}",
            "updated_at": row.updated_at.isoformat() if row.updated_at else None,
        })
    return out


log = logging.getLogger(__name__)


def public_entries(session: Session, skipped: list[dict[str, str]] | None = None) -> list[dict[str, Any]]:
    """Every public record of this node as catalogue entries (validated by our own schema).

    A record our own schema refuses (say a card stored before the market had the same limits) is
    left out and logged, and appended to ``skipped`` (kind, name, reason) when given: one bad record
    must not take the whole catalogue down."""
    entries = []
    for e in _corpus_entries(session) + _market_entries(session):
        try:
            entries.append(parse_entry(e).model_dump(mode="json"))
        except ValidationError as exc:
            reason = error_text(exc)
            log.warning("catalogue: %s %r left out: %s", e.get("kind"), e.get("name"), reason)
            if skipped is not None:
                skipped.append({"kind": str(e.get("kind", "")), "name": str(e.get("name", "")), "reason": reason})
    return sorted(entries, key=lambda e: (e["kind"], e["name"], e["version"]))


def catalogue_etag(doc: dict[str, Any]) -> str:
    """The HTTP validator of a catalogue's content: everything but the signing time and signature,
    so that two catalogues listing the same entries under the same node identity share it. The
    puller computes it from the document it accepted and sends it back as ``If-None-Match``."""
    signed = ("generated_at", "signature", "previous_signature")
    return '"' + content_hash({k: v for k, v in doc.items() if k not in signed})[:32] + '"'


def build_catalogue(session: Session, request_base_url: str | None = None,
                    identity: NodeIdentity | None = None) -> dict[str, Any]:
    """The signed catalogue document: ``format``, ``node``, ``generated_at``, ``entries``, ``signature``."""
    ident = identity or load_identity()
    skipped: list[dict[str, str]] = []
    entries = public_entries(session, skipped)
    doc = {"format": FORMAT, "node": ident.public_dict(node_url(request_base_url)),
           "generated_at": utcnow().isoformat(timespec="microseconds"), "entries": entries,
           "skipped": len(skipped)}  # public records left out because they do not fit the entry schema
    return sign_document(doc, ident)


# --- peers -------------------------------------------------------------------------------------

def normalise_url(url: str) -> str:
    url = (url or "").strip()
    try:
        parsed = httpx.URL(url)
    except Exception:
        parsed = None
    if (parsed is None or parsed.scheme not in ("http", "https") or not parsed.host or parsed.userinfo
            or parsed.query or parsed.fragment):
        raise InputError(f"节点地址无效：“{url}”，须形如 https://host[:port][/path]，不含用户名、查询或片段",
                         f"invalid node URL '{url}': use https://host[:port][/path] without credentials, query or fragment",
                         field="url")
    return str(parsed).rstrip("/")


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not _PEER_NAME.match(name):
        raise InputError("节点名称须为 1–60 个字母、数字、汉字或 . _ -，且以字母、数字或汉字开头",
                         "a peer name is 1-60 letters, digits, CJK characters or . _ -, starting with a letter or digit",
                         field="name")
    return name


def get_peer(session: Session, name: str) -> FederationPeer:
    peer = session.scalar(select(FederationPeer).where(FederationPeer.name == name))
    if peer is None:
        raise NotFound(f"没有名为 {name} 的对等节点", f"no peer named {name}")
    return peer


def add_peer(session: Session, name: str, url: str, public_key: str | None = None, *,
             replace: bool = False) -> FederationPeer:
    """Register a peer. Without a key, the key is trusted on first pull and pinned afterwards.

    An existing name is refused unless ``replace``; replacing with a different key is the one way
    to accept a peer's new key (check it out of band first).
    """
    name = _check_name(name)
    url = normalise_url(url)
    key = (public_key or "").strip() or None
    if key is not None:
        decode_public_key(key)
    peer = session.scalar(select(FederationPeer).where(FederationPeer.name == name))
    if peer is not None and not replace:
        raise InputError(f"对等节点 {name} 已存在；如需更改地址或公钥，请加 --replace",
                         f"peer {name} already exists; add --replace to change its URL or key", field="name")
    if peer is None:
        peer = FederationPeer(name=name, url=url, public_key=key, node_name="", last_status="never", last_message="")
        session.add(peer)
    else:
        if key is not None and key != peer.public_key:
            peer.node_id = None
            peer.last_generated_at = None  # a new key starts a new history
        peer.catalogue_etag = None  # a new address or key: fetch the whole catalogue once more
        peer.url = url
        peer.public_key = key if key is not None else peer.public_key
    session.flush()
    return peer


def list_peers(session: Session) -> list[FederationPeer]:
    return list(session.scalars(select(FederationPeer).order_by(FederationPeer.name)))


def remove_peer(session: Session, name: str) -> dict[str, int]:
    """Forget a peer with its remote entries and sync log."""
    peer = get_peer(session, name)
    entries = session.query(FederationRemoteEntry).filter(FederationRemoteEntry.peer_id == peer.id).delete()
    syncs = session.query(FederationSync).filter(FederationSync.peer_id == peer.id).delete()
    session.delete(peer)
    session.flush()
    return {"entries": entries, "syncs": syncs}


def peer_dict(peer: FederationPeer) -> dict[str, Any]:
    return {"name": peer.name, "url": peer.url, "public_key": peer.public_key,
            "fingerprint": fingerprint(peer.public_key) if peer.public_key else None,
            "node_id": peer.node_id, "node_name": peer.node_name, "last_status": peer.last_status,
            "last_sync_at": peer.last_sync_at.isoformat() if peer.last_sync_at else None,
            "last_message": peer.last_message}


# --- fetching ----------------------------------------------------------------------------------

NOT_MODIFIED = object()  # fetch_catalogue's answer to an HTTP 304


def fetch_catalogue(base_url: str, *, timeout: float = 10.0, attempts: int = 3, backoff: float = 0.5,
                    max_bytes: int = MAX_CATALOGUE_BYTES, etag: str | None = None) -> Any:
    """GET the peer's catalogue as parsed JSON. Retries connection errors, timeouts, 429 and 5xx.
    With ``etag`` (of the last accepted catalogue) the peer may answer 304: ``NOT_MODIFIED``."""
    url = base_url.rstrip("/") + CATALOGUE_PATH
    last = ""
    headers = {"Accept": "application/json", "User-Agent": f"moli-federation/{__version__}"}
    if etag:
        headers["If-None-Match"] = etag
    with httpx.Client(timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)), headers=headers,
                      follow_redirects=False) as client:
        for attempt in range(max(attempts, 1)):
            if attempt:
                time.sleep(backoff * 2 ** (attempt - 1))
            try:
                with client.stream("GET", url) as resp:
                    if resp.status_code == 429 or resp.status_code >= 500:
                        last = f"HTTP {resp.status_code}"
                        continue
                    if resp.status_code == 304 and etag:
                        return NOT_MODIFIED
                    if resp.status_code != 200:
                        raise FetchError(f"节点 {url} 返回 HTTP {resp.status_code}",
                                         f"{url} answered HTTP {resp.status_code}", field="url")
                    body = bytearray()
                    for chunk in resp.iter_bytes():
                        body += chunk
                        if len(body) > max_bytes:
                            raise FetchError(f"目录超过 {max_bytes // 2**20} MB 上限", f"catalogue exceeds {max_bytes // 2**20} MB")
            except httpx.TransportError as exc:
                last = f"{type(exc).__name__}: {exc}"
                continue
            try:
                return json.loads(bytes(body).decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as exc:
                raise FetchError(f"节点 {url} 的应答不是 JSON 目录（{exc}）",
                                 f"{url} did not answer a JSON catalogue ({exc})") from None
    raise FetchError(f"无法获取 {url}（尝试 {max(attempts, 1)} 次）：{last}",
                     f"could not fetch {url} after {max(attempts, 1)} attempts: {last}")


# --- checking ----------------------------------------------------------------------------------

def _parse_time(value: str) -> datetime:
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        raise InputError(f"generated_at 不是 ISO 时间：{value}", f"generated_at is not an ISO time: {value}",
                         field="generated_at") from None
    if dt.tzinfo is None:
        raise InputError("generated_at 须带时区", "generated_at must carry a time zone", field="generated_at")
    return dt


def check_catalogue(peer: FederationPeer, doc: Any) -> dict[str, Any]:
    """Verify and validate a fetched document against ``peer``'s pinned key (nothing is written).

    Raises InputError when the document as a whole is refused (shape, key change, signature,
    older than the last accepted one). Otherwise returns the valid entries, the per-index errors
    and the keys the peer lists (valid or not: an entry that is listed but bad is not withdrawn).
    """
    if not isinstance(doc, dict):
        raise InputError("应答不是目录对象", "the answer is not a catalogue object", field="catalogue")
    try:
        head = CatalogueHead.model_validate(doc)
    except ValidationError as exc:
        raise InputError(f"目录格式无效：{error_text(exc)}", f"invalid catalogue: {error_text(exc)}",
                         field="catalogue") from None
    key = head.node.public_key
    decode_public_key(key, field="node.public_key")
    me = load_identity()
    if head.node.id == me.node_id or key == me.public_key:
        raise InputError(f"{peer.url} 是本节点自己（节点编号 {me.node_id[:8]}…），不能作为对等节点同步；请改用对方节点的地址",
                         f"{peer.url} is this node itself (node id {me.node_id[:8]}…), which cannot be its own "
                         "peer; use the other node's address", field="url")
    rotated_from = None
    if peer.public_key and key != peer.public_key and endorsed_by(doc, peer.public_key):
        rotated_from = peer.public_key  # the pinned key signed for the new one: a planned rotation
    elif peer.public_key and key != peer.public_key:
        raise InputError(
            f"节点 {peer.name} 的公钥已变更（已固定 {fingerprint(peer.public_key)}，收到 {fingerprint(key)}），拒绝同步。"
            f"请与对方核实；确认后运行 moli federation peer add {peer.name} {peer.url} --public-key 新公钥 --replace",
            f"peer {peer.name} changed its public key (pinned {fingerprint(peer.public_key)}, got {fingerprint(key)}); "
            f"refused. Check with its operator, then run `moli federation peer add {peer.name} {peer.url} "
            f"--public-key NEW_KEY --replace`", field="public_key")
    if not verify_document(doc, key):
        raise InputError(f"节点 {peer.name} 的目录签名无效（内容被篡改或签名错误），拒绝同步",
                         f"the catalogue of {peer.name} has an invalid signature (tampered or mis-signed); refused",
                         field="signature")
    generated = _parse_time(head.generated_at)
    if peer.last_generated_at and generated < _parse_time(peer.last_generated_at):
        raise InputError(f"目录生成时间 {head.generated_at} 早于上次接受的 {peer.last_generated_at}（可能是重放），拒绝同步",
                         f"catalogue generated at {head.generated_at}, before the last accepted one "
                         f"({peer.last_generated_at}); a replay? refused", field="generated_at")
    entries, errors, listed, seen = [], [], set(), set()
    for i, raw in enumerate(head.entries):
        if isinstance(raw, dict):
            listed.add((str(raw.get("kind", "")), str(raw.get("name", "")).strip(), str(raw.get("version", "")).strip()))
        try:
            entry = parse_entry(raw)
        except ValidationError as exc:
            errors.append({"index": i, "zh": f"第 {i} 条无效：{error_text(exc)}", "en": f"entry {i} is invalid: {error_text(exc)}"})
            continue
        if entry.key in seen:
            errors.append({"index": i, "zh": f"第 {i} 条与前面的条目重复：{entry.key}", "en": f"entry {i} duplicates an earlier one: {entry.key}"})
            continue
        seen.add(entry.key)
        entries.append(entry)
    return {"head": head, "entries": entries, "errors": errors, "listed": listed, "rotated_from": rotated_from}


# --- applying ----------------------------------------------------------------------------------

def apply_entries(session: Session, peer: FederationPeer, entries: list[Any], listed: set) -> dict[str, int]:
    """Upsert ``entries`` for ``peer``; mark active entries it no longer lists as withdrawn."""
    existing = {(e.kind, e.name, e.version): e for e in
                session.scalars(select(FederationRemoteEntry).where(FederationRemoteEntry.peer_id == peer.id))}
    now = utcnow()
    counts = {"added": 0, "updated": 0, "withdrawn": 0, "unchanged": 0}
    for entry in entries:
        data = entry.model_dump(mode="json")
        digest = content_hash(data)
        row = existing.get(entry.key)
        if row is None:
            session.add(FederationRemoteEntry(peer_id=peer.id, kind=entry.kind, name=entry.name, version=entry.version,
                                              title=(entry.title or entry.name)[:300], domain=entry.domain, data=data,
                                              content_hash=digest, status="active", first_seen_at=now, updated_at=now))
            counts["added"] += 1
        elif row.content_hash != digest or row.status != "active":
            row.title, row.domain, row.data, row.content_hash = (entry.title or entry.name)[:300], entry.domain, data, digest
            row.status, row.withdrawn_at, row.updated_at = "active", None, now
            counts["updated"] += 1
        else:
            counts["unchanged"] += 1
    for key, row in existing.items():
        if key not in listed and row.status == "active":
            row.status, row.withdrawn_at, row.updated_at = "withdrawn", now, now
            counts["withdrawn"] += 1
    session.flush()
    return counts


def sync_dict(sync: FederationSync, peer: FederationPeer) -> dict[str, Any]:
    return {"peer": peer.name, "status": sync.status, "added": sync.added, "updated": sync.updated,
            "withdrawn": sync.withdrawn, "unchanged": sync.unchanged, "errors": sync.errors, "message": sync.message,
            "started_at": sync.started_at.isoformat() if sync.started_at else None,
            "finished_at": sync.finished_at.isoformat() if sync.finished_at else None}


# Sync records kept per peer: an hourly pull would otherwise add 8,760 rows a year per peer; the page
# shows the latest 20, and a few weeks of history is enough to see when a peer started failing.
SYNCS_KEPT = 500


def _record(session: Session, peer: FederationPeer, sync: FederationSync) -> FederationSync:
    """Add ``sync`` and drop the peer's records beyond the newest SYNCS_KEPT."""
    session.add(sync)
    session.flush()
    old = session.scalars(select(FederationSync.id).where(FederationSync.peer_id == peer.id)
                          .order_by(FederationSync.id.desc()).offset(SYNCS_KEPT)).all()
    if old:
        session.execute(delete(FederationSync).where(FederationSync.id.in_(old)))
    return sync


def _finish(session: Session, peer: FederationPeer, started: datetime, status: str, message: str,
            errors: list | None = None, **counts: int) -> FederationSync:
    """Record one sync of ``peer`` and show its outcome on the peer."""
    counts = {"added": 0, "updated": 0, "withdrawn": 0, "unchanged": 0} | counts
    sync = _record(session, peer, FederationSync(peer_id=peer.id, started_at=started, finished_at=utcnow(),
                                                 status=status, errors=errors or [], message=message[:4000], **counts))
    peer.last_sync_at, peer.last_status, peer.last_message = sync.finished_at, status, message[:4000]
    session.flush()
    return sync


def _failed(session: Session, peer: FederationPeer, started: datetime, exc: MoliError | str) -> FederationSync:
    return _finish(session, peer, started, "failed", f"{exc.zh} / {exc.en}" if isinstance(exc, MoliError) else str(exc))


def _not_modified(session: Session, peer: FederationPeer, started: datetime) -> FederationSync:
    """The peer answered 304 to the validator of the catalogue last accepted: nothing to apply."""
    active = session.scalar(select(func.count()).select_from(FederationRemoteEntry).where(
        FederationRemoteEntry.peer_id == peer.id, FederationRemoteEntry.status == "active")) or 0
    return _finish(session, peer, started, "ok", "目录未变（HTTP 304）/ catalogue not modified (HTTP 304)",
                   unchanged=active)


def pull_peer(session: Session, peer: FederationPeer, *, timeout: float = 10.0, attempts: int = 3,
              backoff: float = 0.5) -> FederationSync:
    """Fetch, verify, validate and apply one peer's catalogue; always records a sync row."""
    started = utcnow()
    try:
        doc = fetch_catalogue(peer.url, timeout=timeout, attempts=attempts, backoff=backoff,
                              etag=peer.catalogue_etag if peer.public_key else None)
        if doc is NOT_MODIFIED:
            return _not_modified(session, peer, started)
        checked = check_catalogue(peer, doc)
    except MoliError as exc:
        return _failed(session, peer, started, exc)
    head = checked["head"]
    counts = apply_entries(session, peer, checked["entries"], checked["listed"])
    if not peer.public_key or checked["rotated_from"]:
        peer.public_key = head.node.public_key  # trust on first use, or the pinned key's endorsement
    peer.node_id, peer.node_name, peer.last_generated_at = head.node.id, head.node.name[:200], head.generated_at
    peer.catalogue_etag = catalogue_etag(doc)
    n_err = len(checked["errors"])
    msg = (f"{len(checked['entries'])} 条有效，{n_err} 条无效已跳过 / {len(checked['entries'])} valid, "
           f"{n_err} invalid skipped")
    if checked["rotated_from"]:
        msg += (f"；公钥已轮换 {fingerprint(checked['rotated_from'])} → {fingerprint(peer.public_key)}（旧钥签名认可）"
                f" / key rotated {fingerprint(checked['rotated_from'])} → {fingerprint(peer.public_key)}, "
                f"endorsed by the pinned key")
    return _finish(session, peer, started, "ok", msg, checked["errors"][:1000], **counts)


def pull(session: Session, name: str | None = None, *, timeout: float = 10.0, attempts: int = 3,
         backoff: float = 0.5, progress: Callable[[float, str], None] | None = None) -> list[dict[str, Any]]:
    """Pull one peer (by name) or every peer. Commits after each peer, so one peer's failure
    (network, signature, even a database error while applying) never undoes another's sync."""
    peers = [get_peer(session, name)] if name else list_peers(session)
    ids = [p.id for p in peers]
    out = []
    for i, peer_id in enumerate(ids):
        peer = session.get(FederationPeer, peer_id)
        if peer is None:  # removed meanwhile
            continue
        session.commit()  # no transaction open during the network wait (SQLite cannot upgrade a stale snapshot)
        try:
            sync = pull_peer(session, peer, timeout=timeout, attempts=attempts, backoff=backoff)
            session.commit()
        except SQLAlchemyError as exc:
            session.rollback()
            peer = session.get(FederationPeer, peer_id)
            sync = _failed(session, peer, utcnow(), f"数据库错误 / database error: {type(exc).__name__}: {exc}")
            session.commit()
        out.append(sync_dict(sync, peer))
        if progress:
            progress((i + 1) / len(ids), f"{peer.name}: {sync.status}")
    return out


# --- browsing ----------------------------------------------------------------------------------

def search_remote(session: Session, q: str = "", *, kind: str | None = None, peer: str | None = None,
                  include_withdrawn: bool = False, limit: int = 500) -> list[tuple[FederationRemoteEntry, FederationPeer]]:
    """Remote entries whose name, title or domain contains ``q`` (case-insensitive)."""
    if kind and kind not in KINDS:
        raise InputError(f"类型须是 {'/'.join(KINDS)}", f"kind must be one of {', '.join(KINDS)}", field="kind")
    stmt = select(FederationRemoteEntry, FederationPeer).join(FederationPeer, FederationRemoteEntry.peer_id == FederationPeer.id)
    needle = (q or "").strip().lower()
    if needle:
        stmt = stmt.where(or_(*(func.lower(col).contains(needle, autoescape=True) for col in
                                (FederationRemoteEntry.name, FederationRemoteEntry.title, FederationRemoteEntry.domain))))
    if kind:
        stmt = stmt.where(FederationRemoteEntry.kind == kind)
    if peer:
        stmt = stmt.where(FederationPeer.name == peer)
    if not include_withdrawn:
        stmt = stmt.where(FederationRemoteEntry.status == "active")
    stmt = stmt.order_by(FederationPeer.name, FederationRemoteEntry.kind, FederationRemoteEntry.name,
                         FederationRemoteEntry.version).limit(limit)
    return [(e, p) for e, p in session.execute(stmt).all()]


def link(peer: FederationPeer, path: str | None) -> str | None:
    """The peer's page for an entry: the URL *we* configured for the peer + the entry's path."""
    return peer.url.rstrip("/") + path if path else None


def remote_dict(entry: FederationRemoteEntry, peer: FederationPeer) -> dict[str, Any]:
    return {**entry.data, "peer": peer.name, "status": entry.status, "url": link(peer, entry.data.get("path")),
            "first_seen_at": entry.first_seen_at.isoformat() if entry.first_seen_at else None,
            "withdrawn_at": entry.withdrawn_at.isoformat() if entry.withdrawn_at else None}


def remote_items(session: Session, kind: str, q: str = "", *, limit: int = 500) -> list[dict[str, Any]]:
    """Active (never withdrawn) remote entries of one ``kind`` as :func:`remote_dict` rows (with
    ``peer`` and ``url``): what the corpus and market pages list under 来自对等节点 / From peer nodes."""
    return [remote_dict(e, p) for e, p in search_remote(session, q, kind=kind, limit=limit)]


def recent_syncs(session: Session, limit: int = 20) -> list[tuple[FederationSync, FederationPeer]]:
    stmt = (select(FederationSync, FederationPeer).join(FederationPeer, FederationSync.peer_id == FederationPeer.id)
            .order_by(FederationSync.id.desc()).limit(limit))
    return [(s, p) for s, p in session.execute(stmt).all()]


def entry_counts(session: Session) -> dict[int, int]:
    """Active remote entries per peer id."""
    rows = session.execute(select(FederationRemoteEntry.peer_id, func.count(FederationRemoteEntry.id))
                           .where(FederationRemoteEntry.status == "active").group_by(FederationRemoteEntry.peer_id))
    return {pid: n for pid, n in rows}


def home_counts(session: Session) -> dict[str, int]:
    """Figures for the home page (首页统计)."""
    return {"对等节点 / Peers": session.scalar(select(func.count(FederationPeer.id))) or 0,
            "远端条目 / Remote entries": session.scalar(select(func.count(FederationRemoteEntry.id))
                                                       .where(FederationRemoteEntry.status == "active")) or 0}
