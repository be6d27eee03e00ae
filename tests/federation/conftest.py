"""Helpers for the federation tests: real HTTP servers on 127.0.0.1, real `moli serve` nodes."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def make_identity(name: str = "test-node"):
    """A node identity held in memory (another node's key, for signing test catalogues)."""
    import base64
    import uuid

    from cryptography.hazmat.primitives import serialization

    from moli.federation.identity import NodeIdentity

    key = Ed25519PrivateKey.generate()
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return NodeIdentity(node_id=uuid.uuid4().hex, name=name, public_key=base64.b64encode(raw).decode(), private_key=key)


class StaticServer:
    """A real HTTP server on 127.0.0.1 answering every GET with ``body`` (settable) and ``status``."""

    def __init__(self, body: bytes | dict = b"", status: int = 200, content_type: str = "application/json",
                 delay: float = 0.0):
        self.set(body, status, content_type)
        self.hits, self.delay = 0, delay
        self.statuses: list[int] = []  # served first, one per request, before ``status``
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                outer.hits += 1
                if outer.delay:
                    time.sleep(outer.delay)
                self.send_response(outer.statuses.pop(0) if outer.statuses else outer.status)
                self.send_header("Content-Type", outer.content_type)
                self.send_header("Content-Length", str(len(outer.body)))
                self.end_headers()
                try:
                    self.wfile.write(outer.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout, size cap): expected in these tests

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def set(self, body: bytes | dict, status: int = 200, content_type: str = "application/json") -> None:
        self.body = json.dumps(body, ensure_ascii=False).encode() if isinstance(body, dict) else body
        self.status, self.content_type = status, content_type

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


DOCS = [
    {"id": "d1", "text": "浦东新区政务服务“一网通办”办事指南：企业开办登记可在线提交材料，审核通过后领取营业执照。"},
    {"id": "d2", "text": "张江科学城模力社区支持大模型企业开展语料库建设，重点覆盖生物医药、交通运输和金融商贸领域。"},
    {"id": "d3", "text": "数据跨境服务中心为企业提供数据出境安全评估、标准合同备案和个人信息保护认证的咨询服务。"},
]


def build_small_corpus(folder: Path):
    """A real (tiny) corpus build: three documents, one normalise step. Returns (recipe, result)."""
    from moli.corpus.pipeline import build
    from moli.corpus.recipe import load_recipe

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "docs.jsonl").write_text("\n".join(json.dumps(d, ensure_ascii=False) for d in DOCS) + "\n", encoding="utf-8")
    recipe_path = folder / "recipe.yaml"
    recipe_path.write_text(yaml.safe_dump({
        "name": "fed-corpus", "input": {"paths": ["docs.jsonl"], "format": "auto", "text_field": "text", "id_field": "id"},
        "steps": [{"normalize": {"t2s": True}}], "output": {"path": "out/fed-corpus", "format": "parquet", "shard_size": 100},
        "catalogue": {"version": "1", "domain": "government_affairs", "licence": "CC0-1.0", "access": "public",
                      "description": "联邦测试语料 Federation test corpus"},
    }, allow_unicode=True), encoding="utf-8")
    recipe = load_recipe(recipe_path)
    return recipe, build(recipe, workers=1)


def register_corpus(session, recipe, result, name: str, access: str, domain: str = "government_affairs"):
    from moli.corpus import service as corpus_service

    cat = recipe.catalogue.model_copy(update={"access": access, "domain": domain})
    return corpus_service.register(session, recipe.model_copy(update={"name": name, "catalogue": cat}), result)


SECRET_PROMPT = "绝密测试题：浦东2025年第四季度内部预算是多少"
PUB_SCORE = {"benchmark": "C-Eval", "metric": "accuracy", "score": 68.2, "source": "https://example.org/model-card"}


def publish_market(session) -> None:
    """One public and one private offering (and the hosted baseline); one public scenario with a private test
    set, one private."""
    from moli.market import service as market_service
    from moli.market.schemas import Offering, Scenario, TestItem

    op = market_service.OPERATOR
    market_service.publish_offering(session, Offering(id="pub-model", name="公开政务大模型", vendor="甲公司",
                                                      tasks=["question-answering"], domains=["government_affairs"],
                                                      evaluations=[PUB_SCORE],
                                                      endpoint="http://10.0.0.5:9000/v1/secret-endpoint"), op, is_public=True)
    market_service.publish_offering(session, Offering(id="private-model", name="内部模型", tasks=["summarization"]), op,
                                    is_public=False)
    # public, but every node hosts its own: the catalogue leaves it out
    market_service.publish_offering(session, Offering(id="moli-retrieval-baseline", name="模力检索基线", hosted=True),
                                    op, is_public=True)
    market_service.publish_scenario(session, Scenario(id="pub-scenario", title="政务问答场景", industry="government_affairs",
                                                      tasks=["question-answering"]), op,
                                    test_set=[TestItem(prompt=SECRET_PROMPT, reference="机密答案")], is_public=True)
    market_service.publish_scenario(session, Scenario(id="private-scenario", title="内部场景", industry="finance_trade",
                                                      tasks=["summarization"]), op, is_public=False)


def node_vars(name: str) -> dict[str, str]:
    """The environment of a test node (on top of ``tests.support.browser.moli_env``)."""
    return {"MOLI_JOBS_IMMEDIATE": "1", "MOLI_NODE_NAME": name}
