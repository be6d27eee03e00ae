"""Catalogue checks and the upsert, on a real database (no network): validation errors by index,
key pinning, replays, withdrawn entries, idempotence; peers; the migrated schema."""

import copy
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from moli.core.errors import InputError, NotFound
from moli.federation import service
from moli.federation.identity import FORMAT, sign_document
from moli.federation.models import FederationRemoteEntry

from .conftest import make_identity


def corpus_entry(name: str, **extra) -> dict:
    return {"kind": "corpus", "name": name, "version": "1", "domain": "biomedicine", "description": "测试",
            "documents": 10, "characters": 1000, "files": [{"path": "data/part-00000.parquet", "sha256": "a" * 64}],
            "path": f"/corpus/{name}?version=1", **extra}


def catalogue(node, entries, generated_at: datetime | None = None) -> dict:
    doc = {"format": FORMAT, "node": node.public_dict("http://127.0.0.1:1"),
           "generated_at": (generated_at or datetime.now(UTC)).isoformat(), "entries": entries}
    return sign_document(doc, node)


def test_bad_entries_are_reported_by_index_and_skipped(session):
    node = make_identity()
    peer = service.add_peer(session, "shanghai", "http://127.0.0.1:9/", node.public_key)
    entries = [
        corpus_entry("good-1"),
        {"kind": "corpus", "version": "1"},                                  # 1: no name
        corpus_entry("bad-hash", files=[{"path": "x", "sha256": "nothex"}]),  # 2
        {"kind": "dataset", "name": "unknown-kind"},                          # 3
        "not an object",                                                      # 4
        corpus_entry("evil-link", path="javascript:alert(1)"),                # 5
        corpus_entry("good-1"),                                               # 6: duplicate of 0
        {"kind": "offering", "name": "m1", "title": "模型一", "tasks": ["question-answering"]},
        {"kind": "offering", "name": "m2", "evaluations": [{"benchmark": "C-Eval", "score": "高"}]},  # 8
    ]
    checked = service.check_catalogue(peer, catalogue(node, entries))
    assert [e.name for e in checked["entries"]] == ["good-1", "m1"]
    assert [e["index"] for e in checked["errors"]] == [1, 2, 3, 4, 5, 6, 8]
    by_index = {e["index"]: e for e in checked["errors"]}
    assert "name" in by_index[1]["en"] and "第 1 条" in by_index[1]["zh"]
    assert "sha256" in by_index[2]["en"]
    assert "path" in by_index[5]["en"]
    assert "duplicates" in by_index[6]["en"]
    assert "evaluations.0.score" in by_index[8]["en"]


def test_refusals_name_the_problem(session):
    node, impostor = make_identity(), make_identity()
    peer = service.add_peer(session, "sh", "http://127.0.0.1:9", node.public_key)
    with pytest.raises(InputError) as exc:
        service.check_catalogue(peer, catalogue(impostor, [corpus_entry("x")]))
    assert exc.value.field == "public_key" and "公钥已变更" in exc.value.zh and "changed its public key" in exc.value.en
    assert "--replace" in exc.value.en

    doc = catalogue(node, [corpus_entry("x")])
    doc["entries"][0]["documents"] = 999_999
    with pytest.raises(InputError) as exc:
        service.check_catalogue(peer, doc)
    assert exc.value.field == "signature" and "签名无效" in exc.value.zh

    for garbage in (["a list"], {"format": "something-else"}, {**catalogue(node, []), "entries": "nope"}):
        with pytest.raises(InputError) as exc:
            service.check_catalogue(peer, garbage)
        assert exc.value.field == "catalogue"

    peer.last_generated_at = datetime.now(UTC).isoformat()
    old = catalogue(node, [corpus_entry("x")], generated_at=datetime.now(UTC) - timedelta(hours=1))
    with pytest.raises(InputError) as exc:
        service.check_catalogue(peer, old)
    assert exc.value.field == "generated_at"


def _snapshot(session, peer_id):
    rows = session.scalars(select(FederationRemoteEntry).where(FederationRemoteEntry.peer_id == peer_id))
    return sorted((r.kind, r.name, r.version, r.status, r.content_hash, r.updated_at) for r in rows)


def test_upsert_is_idempotent_and_withdraws_without_deleting(session, db_url):
    node = make_identity()
    peer = service.add_peer(session, "sh", "http://127.0.0.1:9", node.public_key)

    def apply(entries):
        checked = service.check_catalogue(peer, catalogue(node, entries))
        return service.apply_entries(session, peer, checked["entries"], checked["listed"])

    assert apply([corpus_entry("a"), corpus_entry("b")]) == {"added": 2, "updated": 0, "withdrawn": 0, "unchanged": 0}
    before = _snapshot(session, peer.id)
    assert apply([corpus_entry("a"), corpus_entry("b")]) == {"added": 0, "updated": 0, "withdrawn": 0, "unchanged": 2}
    assert _snapshot(session, peer.id) == before

    assert apply([corpus_entry("a", description="新说明")]) == {"added": 0, "updated": 1, "withdrawn": 1, "unchanged": 0}
    rows = {r.name: r for r in session.scalars(select(FederationRemoteEntry).where(FederationRemoteEntry.peer_id == peer.id))}
    assert rows["b"].status == "withdrawn" and rows["b"].withdrawn_at is not None
    assert rows["a"].data["description"] == "新说明"

    # an entry that is still listed but invalid this time is neither updated nor withdrawn
    bad_a = corpus_entry("a", documents=-1)
    assert apply([bad_a, corpus_entry("b")]) == {"added": 0, "updated": 1, "withdrawn": 0, "unchanged": 0}
    session.refresh(rows["a"])
    assert rows["a"].status == "active" and rows["a"].data["description"] == "新说明"
    session.refresh(rows["b"])
    assert rows["b"].status == "active" and rows["b"].withdrawn_at is None  # listed again: restored

    assert [e.name for e, _ in service.search_remote(session, "A")] == ["a"]  # case-insensitive, by name
    assert [e.name for e, _ in service.search_remote(session, "BIOMED", kind="corpus")] == ["a", "b"]  # by domain
    assert service.search_remote(session, "biomed", kind="offering") == []
    assert service.search_remote(session, "%") == []  # LIKE wildcards are escaped
    with pytest.raises(InputError):
        service.search_remote(session, kind="dataset")


def test_peers_add_list_replace_remove(session, db_url):
    node = make_identity()
    service.add_peer(session, "上海市", "http://127.0.0.1:8001/moli/")
    assert [p.url for p in service.list_peers(session)] == ["http://127.0.0.1:8001/moli"]
    with pytest.raises(InputError) as exc:
        service.add_peer(session, "上海市", "http://127.0.0.1:8002")
    assert exc.value.field == "name" and "--replace" in exc.value.en
    service.get_peer(session, "上海市").catalogue_etag = '"from-the-old-address"'
    peer = service.add_peer(session, "上海市", "http://127.0.0.1:8002", node.public_key, replace=True)
    assert peer.url == "http://127.0.0.1:8002" and peer.public_key == node.public_key
    assert peer.catalogue_etag is None  # the next pull fetches the whole catalogue from the new address
    for bad_url in ("ftp://x", "http://", "not a url", "http://u:p@127.0.0.1", "http://127.0.0.1/?q=1"):
        with pytest.raises(InputError) as exc:
            service.add_peer(session, "x", bad_url)
        assert exc.value.field == "url" and "地址" in exc.value.zh
    for bad_name in ("", "-x", "a b", "x" * 61):
        with pytest.raises(InputError) as exc:
            service.add_peer(session, bad_name, "http://127.0.0.1:1")
        assert exc.value.field == "name"
    with pytest.raises(InputError) as exc:
        service.add_peer(session, "k", "http://127.0.0.1:1", "short")
    assert exc.value.field == "public_key"
    assert service.remove_peer(session, "上海市") == {"entries": 0, "syncs": 0}
    with pytest.raises(NotFound):
        service.remove_peer(session, "上海市")
    assert [p.name for p in service.list_peers(session)] == []


def test_tofu_pins_the_key_on_first_good_pull(session):
    """check_catalogue alone never pins; only pull_peer after a verified document does (see two-node test)."""
    node = make_identity()
    peer = service.add_peer(session, "tofu", "http://127.0.0.1:9")
    checked = service.check_catalogue(peer, catalogue(node, [corpus_entry("a")]))
    assert peer.public_key is None and len(checked["entries"]) == 1
    tampered = copy.deepcopy(catalogue(node, [corpus_entry("a")]))
    tampered["entries"][0]["name"] = "b"
    with pytest.raises(InputError):
        service.check_catalogue(peer, tampered)  # even unpinned, the document must verify under its own key


def test_migrated_schema_matches_models(db_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from moli.core.db import Base, ensure_database, get_engine, import_all_models

    ensure_database()
    import_all_models()
    with get_engine().connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    ours = [d for d in diff if "federation_" in repr(d)]
    assert ours == [], ours


def test_only_the_newest_sync_records_are_kept(session, db_url, monkeypatch):
    from moli.federation.models import FederationSync

    monkeypatch.setattr(service, "SYNCS_KEPT", 3)
    down = service.add_peer(session, "down", "http://127.0.0.1:9")  # nothing listens: each pull fails fast
    other = service.add_peer(session, "other", "http://127.0.0.1:9")
    service.pull_peer(session, other, attempts=1)
    made = [service.pull_peer(session, down, attempts=1).id for _ in range(5)]
    kept = session.scalars(select(FederationSync.id).where(FederationSync.peer_id == down.id)
                           .order_by(FederationSync.id)).all()
    assert kept == made[-3:]
    assert all(s.status == "failed" for s in session.scalars(select(FederationSync)))
    assert session.scalars(select(FederationSync.id).where(FederationSync.peer_id == other.id)).all()  # untouched


def test_a_rotation_endorsed_by_the_pinned_key_is_followed_others_refused(session):
    import dataclasses

    old, other = make_identity("浦东"), make_identity("冒名")
    new = dataclasses.replace(make_identity("浦东"), node_id=old.node_id, previous_key=old.private_key)
    peer = service.add_peer(session, "pudong", "http://127.0.0.1:9", old.public_key)
    # a new key endorsed by some other key than the pinned one is still a changed key
    fake = dataclasses.replace(new, previous_key=other.private_key)
    with pytest.raises(InputError) as exc:
        service.check_catalogue(peer, catalogue(fake, [corpus_entry("x")]))
    assert "changed its public key" in exc.value.en
    checked = service.check_catalogue(peer, catalogue(new, [corpus_entry("x")]))
    assert checked["rotated_from"] == old.public_key and [e.name for e in checked["entries"]] == ["x"]
    assert service.check_catalogue(peer, catalogue(old, [corpus_entry("x")]))["rotated_from"] is None


def test_this_node_is_never_its_own_peer(session):
    from moli.federation.identity import load_identity

    me = load_identity()
    peer = service.add_peer(session, "myself", "http://127.0.0.1:8000")
    with pytest.raises(InputError) as exc:
        service.check_catalogue(peer, catalogue(me, [corpus_entry("x")]))
    assert exc.value.field == "url" and "本节点自己" in exc.value.zh and "its own peer" in exc.value.en
