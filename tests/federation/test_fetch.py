"""Fetching over real HTTP (servers on 127.0.0.1): retries, timeouts, size cap, failures isolated."""

import time
from datetime import UTC, datetime

import pytest

from moli.federation import service
from moli.federation.identity import FORMAT, sign_document

from .conftest import StaticServer, make_identity


def signed(node, names):
    return sign_document({"format": FORMAT, "node": node.public_dict(), "generated_at": datetime.now(UTC).isoformat(),
                          "entries": [{"kind": "scenario", "name": n, "title": n} for n in names]}, node)


def test_retries_a_5xx_then_succeeds():
    srv = StaticServer({"hello": "世界"})
    srv.statuses = [503, 502]
    try:
        assert service.fetch_catalogue(srv.url, attempts=3, backoff=0.01) == {"hello": "世界"}
        assert srv.hits == 3
        srv.statuses = [500, 500, 500]
        with pytest.raises(service.FetchError) as exc:
            service.fetch_catalogue(srv.url, attempts=2, backoff=0.01)
        assert "HTTP 500" in exc.value.en and "2" in exc.value.zh
        srv.statuses.clear()
        srv.set(b"", status=404)
        hits = srv.hits
        with pytest.raises(service.FetchError) as exc:
            service.fetch_catalogue(srv.url, attempts=3, backoff=0.01)
        assert srv.hits == hits + 1  # a 404 is not retried
        assert "HTTP 404" in exc.value.en
    finally:
        srv.close()


def test_size_cap_and_timeout():
    big = StaticServer(b"[" + b"1," * 10_000 + b"1]")
    slow = StaticServer({"x": 1}, delay=1.5)
    try:
        with pytest.raises(service.FetchError) as exc:
            service.fetch_catalogue(big.url, max_bytes=1000)
        assert "MB" in exc.value.en
        t0 = time.monotonic()
        with pytest.raises(service.FetchError) as exc:
            service.fetch_catalogue(slow.url, timeout=0.3, attempts=2, backoff=0.01)
        assert time.monotonic() - t0 < 1.4 and "Timeout" in exc.value.en
    finally:
        big.close()
        slow.close()


def test_slow_peer_fails_the_good_one_syncs(session):
    node = make_identity("good")
    good = StaticServer(signed(node, ["政务问答", "交通调度"]))
    slow = StaticServer(signed(make_identity("slow"), ["x"]), delay=1.5)
    try:
        service.add_peer(session, "a-slow", slow.url)
        service.add_peer(session, "b-good", good.url)
        out = {x["peer"]: x for x in service.pull(session, timeout=0.3, attempts=1)}
        assert out["a-slow"]["status"] == "failed" and "Timeout" in out["a-slow"]["message"]
        assert out["b-good"]["status"] == "ok" and out["b-good"]["added"] == 2
        assert service.get_peer(session, "b-good").public_key == node.public_key  # pinned
        assert service.get_peer(session, "a-slow").public_key is None  # nothing pinned on failure
        assert sorted(e.name for e, _ in service.search_remote(session)) == ["交通调度", "政务问答"]
    finally:
        good.close()
        slow.close()


def test_pull_follows_an_endorsed_key_rotation_and_then_refuses_the_old_key(session):
    import dataclasses

    old = make_identity("浦东")
    new = dataclasses.replace(make_identity("浦东"), node_id=old.node_id, previous_key=old.private_key)
    srv = StaticServer(signed(old, ["政务问答"]))
    try:
        service.add_peer(session, "pudong", srv.url)
        assert service.pull(session, "pudong", attempts=1)[0]["added"] == 1
        assert service.get_peer(session, "pudong").public_key == old.public_key  # pinned on first use
        srv.set(signed(new, ["政务问答", "交通调度"]))
        [out] = service.pull(session, "pudong", attempts=1)
        assert out["status"] == "ok" and out["added"] == 1 and "key rotated" in out["message"], out
        assert service.get_peer(session, "pudong").public_key == new.public_key  # re-pinned, no one had to
        srv.set(signed(old, ["冒名条目"]))  # the old key alone (say, leaked) no longer speaks for the node
        [out] = service.pull(session, "pudong", attempts=1)
        assert out["status"] == "failed" and "changed its public key" in out["message"]
        assert sorted(e.name for e, _ in service.search_remote(session)) == ["交通调度", "政务问答"]
    finally:
        srv.close()
