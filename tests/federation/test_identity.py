"""Node identity and catalogue signatures (no database, no network)."""

import base64
import copy
import stat

import pytest

from moli.core.errors import InputError
from moli.federation import identity
from moli.federation.identity import canonical_json, load_identity, sign_document, verify_document

from .conftest import make_identity


def test_identity_is_generated_once_and_kept(moli_home, monkeypatch):
    monkeypatch.setenv("MOLI_NODE_NAME", "浦东节点")
    first = load_identity()
    second = load_identity()
    assert first.node_id == second.node_id and first.public_key == second.public_key
    assert first.name == "浦东节点"
    assert len(base64.b64decode(first.public_key)) == 32
    key_file = moli_home / "federation" / "ed25519.pem"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert not [p for p in (moli_home / "federation").iterdir() if p.name.startswith(".")]  # no temp files left


def test_default_name_is_the_host_name(moli_home, monkeypatch):
    import socket

    monkeypatch.delenv("MOLI_NODE_NAME", raising=False)
    assert load_identity().name == socket.gethostname()


def test_canonical_json_ignores_key_order_and_keeps_chinese():
    a = canonical_json({"b": 1, "a": ["语料", {"y": 2, "x": 1}]})
    b = canonical_json({"a": ["语料", {"x": 1, "y": 2}], "b": 1})
    assert a == b == '{"a":["语料",{"x":1,"y":2}],"b":1}'.encode()
    with pytest.raises(ValueError):
        canonical_json({"x": float("nan")})


def test_sign_and_verify():
    node, other = make_identity("A"), make_identity("B")
    doc = sign_document({"format": identity.FORMAT, "entries": [{"kind": "corpus", "name": "x", "description": "原文"}]}, node)
    assert verify_document(doc, node.public_key)
    assert not verify_document(doc, other.public_key)  # someone else's key

    tampered = copy.deepcopy(doc)
    tampered["entries"][0]["description"] = "篡改"
    assert not verify_document(tampered, node.public_key)

    added = copy.deepcopy(doc)
    added["entries"].append({"kind": "corpus", "name": "injected"})
    assert not verify_document(added, node.public_key)

    unsigned = {k: v for k, v in doc.items() if k != "signature"}
    assert not verify_document(unsigned, node.public_key)
    broken = copy.deepcopy(doc)
    broken["signature"]["value"] = "not base64!!"
    assert not verify_document(broken, node.public_key)
    # re-signing keeps the body and replaces the signature (the signature is not signed itself)
    assert verify_document(sign_document(doc, node), node.public_key)


@pytest.mark.parametrize("bad", ["", "abc", base64.b64encode(b"x" * 31).decode(), "Zm9v!!"])
def test_bad_public_key_names_the_field(bad):
    with pytest.raises(InputError) as exc:
        identity.decode_public_key(bad)
    assert exc.value.field == "public_key"
    assert "公钥" in exc.value.zh and "public key" in exc.value.en


def test_key_rotation_signs_with_the_new_key_endorsed_by_the_old(moli_home):
    old = load_identity()
    assert old.previous_key is None and "previous_signature" not in sign_document({"x": 1}, old)
    out = identity.rotate_key()
    new = load_identity()
    assert out == {"previous_public_key": old.public_key, "public_key": new.public_key}
    assert new.public_key != old.public_key and new.node_id == old.node_id
    assert identity.public_key_of(new.previous_key) == old.public_key
    doc = sign_document({"format": identity.FORMAT, "node": new.public_dict(), "entries": []}, new)
    assert verify_document(doc, new.public_key)  # a verifier that knows nothing of rotations is satisfied
    assert identity.endorsed_by(doc, old.public_key) and not identity.endorsed_by(doc, new.public_key)
    forged = copy.deepcopy(doc)
    forged["node"]["name"] = "冒名"  # the old key's endorsement covers the whole document
    assert not identity.endorsed_by(forged, old.public_key) and not verify_document(forged, new.public_key)
    with pytest.raises(InputError) as exc:
        identity.rotate_key()  # one rotation at a time
    assert "--finish" in exc.value.en
    assert identity.finish_rotation() == {"finished": True} and identity.finish_rotation() == {"finished": False}
    after = load_identity()
    assert after.public_key == new.public_key and after.previous_key is None
    assert "previous_signature" not in sign_document({"x": 1}, after)
