"""The home page shows each feature's real counts (from its service.home_counts)."""

import re

from moli.core.db import session_scope
from moli.corpus import service as corpus_service
from moli.crossborder import service as crossborder_service
from moli.market import demo as market_demo
from moli.market import service as market_service
from moli.outbound import demo as outbound_demo
from moli.outbound import service as outbound_service


def _shown(html: str, label: str) -> int:
    m = re.search(r'<span class="value">([\d,]+)</span><span class="label">' + re.escape(label.split(" / ")[0]), html)
    assert m, f"{label} not on the home page"
    return int(m.group(1).replace(",", ""))


def test_home_counts_follow_the_database(client):
    empty = client.get("/").text
    assert _shown(empty, "模型供给") == 0
    with session_scope() as s:
        market_demo.load(s)
        outbound_demo.load(s)
    with session_scope() as s:
        market_counts = market_service.home_counts(s)
        outbound_counts = outbound_service.home_counts(s)
        crossborder_counts = crossborder_service.home_counts(s)
        corpus_counts = corpus_service.home_counts(s)
    assert market_counts["模型供给 / Model offerings"] > 0 and outbound_counts["出海企业名录 / Enterprises"] > 0
    html = client.get("/").text
    for label, n in {**market_counts, **outbound_counts, **crossborder_counts, **corpus_counts}.items():
        assert _shown(html, label) == n
