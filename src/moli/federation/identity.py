"""Node identity (节点身份) and catalogue signatures (目录签名).

Each node has a random node id and an Ed25519 key pair, generated once into
``MOLI_HOME/federation/`` (``node.json`` and ``ed25519.pem``, mode 0600) and reused afterwards.
Its name comes from ``MOLI_NODE_NAME`` (default: the host name), its public base URL from
``MOLI_NODE_URL`` (default: the URL the request came in on).

A catalogue is signed *detached*: the signature covers the canonical JSON of the document
without its ``signature`` member (keys sorted, no spaces, UTF-8, no NaN), so any JSON library
on the peer side can reproduce the signed bytes.

Ed25519 (``cryptography``) rather than a shared HMAC secret: a peer needs only our public key,
which may be published, pinned on first use and compared out of band; nothing secret is shared.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import socket
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic_settings import BaseSettings, SettingsConfigDict

from moli.core.errors import InputError
from moli.core.settings import get_settings

ALGORITHM = "ed25519"
FORMAT = "moli-federation-catalogue/1"


class NodeSettings(BaseSettings):
    """``MOLI_NODE_NAME`` and ``MOLI_NODE_URL`` (read here so core settings stay untouched)."""

    model_config = SettingsConfigDict(env_prefix="MOLI_", extra="ignore")

    node_name: str = ""
    node_url: str = ""


@dataclass(frozen=True)
class NodeIdentity:
    node_id: str
    name: str
    public_key: str  # base64 of the 32 raw bytes
    private_key: Ed25519PrivateKey
    previous_key: Ed25519PrivateKey | None = None  # during a key rotation: the key peers still pin

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key)

    def public_dict(self, url: str | None = None) -> dict[str, Any]:
        return {"id": self.node_id, "name": self.name, "url": url or NodeSettings().node_url or "",
                "algorithm": ALGORITHM, "public_key": self.public_key}


def canonical_json(obj: Any) -> bytes:
    """The bytes that are signed: sorted keys, compact separators, UTF-8, finite numbers only."""
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False).encode("utf-8")


def content_hash(obj: Any) -> str:
    return hashlib.sha256(canonical_json(obj)).hexdigest()


def fingerprint(public_key_b64: str) -> str:
    """Short, human-comparable form of a public key: sha256 of the raw key, first 16 hex, grouped."""
    raw = decode_public_key(public_key_b64)
    h = hashlib.sha256(raw).hexdigest()[:16]
    return ":".join(h[i:i + 4] for i in range(0, 16, 4))


def decode_public_key(value: str, field: str = "public_key") -> bytes:
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError, AttributeError):
        raw = b""
    if len(raw) != 32:
        raise InputError("公钥须是 32 字节 Ed25519 公钥的 base64 编码（44 个字符）",
                         "the public key must be the base64 of a 32-byte Ed25519 key (44 characters)", field=field)
    return raw


def _home_dir() -> Path:
    d = get_settings().ensure_home() / "federation"
    d.mkdir(parents=True, exist_ok=True)
    return d


def _write_once(path: Path, data: bytes) -> None:
    """Create ``path`` with ``data`` unless it exists (another process may race us: first one wins)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:6]}")
    tmp.write_bytes(data)
    tmp.chmod(0o600)
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink()


KEY_FILE, PREVIOUS_KEY_FILE = "ed25519.pem", "ed25519.previous.pem"


def _new_key_pem() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                      serialization.NoEncryption())


def _load_key(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise InputError(f"{path} 不是 Ed25519 私钥", f"{path} is not an Ed25519 private key", field="MOLI_HOME")
    return key


def public_key_of(key: Ed25519PrivateKey) -> str:
    return base64.b64encode(key.public_key().public_bytes(serialization.Encoding.Raw,
                                                          serialization.PublicFormat.Raw)).decode()


def load_identity() -> NodeIdentity:
    """This node's identity, generated on first use into MOLI_HOME/federation/."""
    d = _home_dir()
    key_path, node_path, previous_path = d / KEY_FILE, d / "node.json", d / PREVIOUS_KEY_FILE
    if not key_path.exists():
        _write_once(key_path, _new_key_pem())
    if not node_path.exists():
        _write_once(node_path, json.dumps({"node_id": uuid.uuid4().hex}).encode())
    key = _load_key(key_path)
    node_id = json.loads(node_path.read_text())["node_id"]
    name = NodeSettings().node_name.strip() or socket.gethostname()
    return NodeIdentity(node_id=node_id, name=name, public_key=public_key_of(key), private_key=key,
                        previous_key=_load_key(previous_path) if previous_path.exists() else None)


def rotate_key() -> dict[str, str]:
    """Start a key rotation: a new key signs from now on, and the old one (kept aside) endorses every
    catalogue until :func:`finish_rotation`, so that peers which pinned it move to the new key on
    their next pull without anyone re-pinning by hand."""
    d = _home_dir()
    old = load_identity()
    if old.previous_key is not None:
        raise InputError("上一次密钥轮换尚未结束：对等节点都同步后运行 moli federation rotate-key --finish",
                         "the previous key rotation is not finished: once every peer has pulled, run "
                         "`moli federation rotate-key --finish`", field="key")
    os.replace(d / KEY_FILE, d / PREVIOUS_KEY_FILE)
    _write_once(d / KEY_FILE, _new_key_pem())
    return {"previous_public_key": old.public_key, "public_key": load_identity().public_key}


def finish_rotation() -> dict[str, Any]:
    """End a key rotation: the old key is deleted and endorses nothing more."""
    path = _home_dir() / PREVIOUS_KEY_FILE
    if not path.exists():
        return {"finished": False}
    path.unlink()
    return {"finished": True}


def _signature(key: Ed25519PrivateKey, body: dict[str, Any]) -> dict[str, str]:
    return {"algorithm": ALGORITHM, "public_key": public_key_of(key),
            "value": base64.b64encode(key.sign(canonical_json(body))).decode()}


def sign_document(doc: dict[str, Any], identity: NodeIdentity) -> dict[str, Any]:
    """``doc`` plus a detached ``signature`` over the canonical JSON of ``doc``. During a key rotation
    the old key first signs the document as ``previous_signature``, and the new key's signature
    covers that too, so a verifier that knows nothing of rotations still checks the whole document."""
    body = {k: v for k, v in doc.items() if k not in ("signature", "previous_signature")}
    if identity.previous_key is not None:
        body["previous_signature"] = _signature(identity.previous_key, body)
    return {**body, "signature": _signature(identity.private_key, body)}


def _verify(sig: Any, body: dict[str, Any], public_key_b64: str) -> bool:
    if not isinstance(sig, dict) or sig.get("algorithm") != ALGORITHM or not isinstance(sig.get("value"), str):
        return False
    try:
        raw_sig = base64.b64decode(sig["value"], validate=True)
        Ed25519PublicKey.from_public_bytes(decode_public_key(public_key_b64)).verify(raw_sig, canonical_json(body))
        return True
    except (InvalidSignature, InputError, binascii.Error, ValueError, TypeError):
        return False


def verify_document(doc: dict[str, Any], public_key_b64: str) -> bool:
    """True when ``doc['signature']`` is a valid Ed25519 signature by ``public_key_b64`` over the rest."""
    return _verify(doc.get("signature"), {k: v for k, v in doc.items() if k != "signature"}, public_key_b64)


def endorsed_by(doc: dict[str, Any], public_key_b64: str) -> bool:
    """True when ``doc['previous_signature']`` is a valid signature by ``public_key_b64`` (a key a peer
    pinned) over the document without its signatures: the old key vouches for the new one."""
    sig = doc.get("previous_signature")
    body = {k: v for k, v in doc.items() if k not in ("signature", "previous_signature")}
    return isinstance(sig, dict) and sig.get("public_key") == public_key_b64 and _verify(sig, body, public_key_b64)
