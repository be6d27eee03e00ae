"""Knowledge base: packaged documents, loading into the database, Chinese search with filters and sources."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from moli.core.errors import InputError
from moli.outbound import service
from moli.outbound.kb import package_documents, parse_document
from moli.outbound.models import KbDocument

QUERIES = yaml.safe_load((Path(__file__).parent / "kb_queries.yaml").read_text(encoding="utf-8"))["queries"]
GUIDES = {"SG", "HK", "AE", "SA", "DE", "JP", "MY", "ID", "US"}


def test_package_documents_are_valid_and_sourced():
    docs = package_documents()
    assert len(docs) >= 20
    assert {d.meta.country for d in docs if d.meta.country} >= GUIDES
    for d in docs:
        assert d.meta.source_url.startswith("http")
        assert re.search(r"\bS\d+\b", d.body), f"{d.slug} cites no source"
    topics = {t for d in docs for t in d.meta.topics}
    assert {"ndrc", "mofcom", "safe", "tech_export", "post_deal", "country_guide"} <= topics


def test_front_matter_errors_name_file_and_line():
    with pytest.raises(InputError) as info:
        parse_document("# no front matter\n", "x.md")
    assert "x.md" in info.value.zh and "第 1 行" in info.value.zh
    text = "---\ntitle: 标题\nissuer: 商务部\ndate: 2024-13-40\ntopics: [a]\nsource_url: https://e.org\n---\n正文\n"
    with pytest.raises(InputError) as info:
        parse_document(text, "bad.md")
    assert "bad.md" in info.value.en and "line 4" in info.value.en and "date" in info.value.en
    with pytest.raises(InputError) as info:
        parse_document(text.replace("2024-13-40", "2024-01-01").replace("topics: [a]", "topics: [a]\ncountry: ZZ"),
                       "bad.md")
    assert "ZZ" in info.value.en and "line 6" in info.value.en


def test_sync_is_idempotent(session):
    first = service.sync_knowledge_base(session)
    assert first["added"] == first["total"] >= 20
    second = service.sync_knowledge_base(session)
    assert second == {"added": 0, "updated": 0, "removed": 0, "total": first["total"]}
    assert session.query(KbDocument).count() == first["total"]


def test_search_answers_chinese_queries_with_sources(session):
    service.sync_knowledge_base(session)
    hits = service.search_kb(session, "语音合成技术出口需要许可吗", k=5)
    assert hits[0]["slug"] == "tech-export-ai"
    assert hits[0]["source_url"].startswith("http") and hits[0]["url"] == "/outbound/kb/tech-export-ai"
    assert "语音" in hits[0]["matched_terms"] and hits[0]["snippet"]
    # Traditional characters and full-width forms find the same document.
    trad = service.search_kb(session, "語音合成技術出口許可", k=3)
    assert trad[0]["slug"] == "tech-export-ai"
    assert {"语音", "合成", "技术", "许可"} <= set(trad[0]["matched_terms"])


def test_labelled_queries_recall_at_5(session):
    service.sync_knowledge_base(session)
    found = 0
    for item in QUERIES:
        top = [h["slug"] for h in service.search_kb(session, item["q"], k=5)]
        found += bool(set(top) & set(item["relevant"]))
    assert found / len(QUERIES) >= 0.85, f"recall@5 = {found}/{len(QUERIES)}"


def test_filters(session):
    service.sync_knowledge_base(session)
    hk = service.search_kb(session, "投资 备案", country="hk", k=10)
    assert hk and {h["country"] for h in hk} == {"HK"}
    tech = service.search_kb(session, "投资 备案 技术", topic="tech_export", k=10)
    assert tech and all("tech_export" in h["topics"] for h in tech)
    old = service.search_kb(session, "投资", date_to="2016-12-31", k=20)
    assert old and all(h["date"] <= "2016-12-31" for h in old)
    new = service.search_kb(session, "投资", date_from="2026-01-01", k=20)
    assert new and all(h["date"] >= "2026-01-01" for h in new)
    assert not set(h["slug"] for h in old) & set(h["slug"] for h in new)


@pytest.mark.parametrize("kwargs,field", [({"query": " "}, "query"), ({"query": "投资", "date_from": "2024/01/01"},
                                          "date_from"), ({"query": "投资", "country": "XX"}, "country")])
def test_search_bad_input(session, kwargs, field):
    q = kwargs.pop("query")
    with pytest.raises(InputError) as info:
        service.search_kb(session, q, **kwargs)
    assert info.value.field == field and info.value.zh != info.value.en


def test_user_document_is_private_to_its_organisation(session):
    from moli.core import accounts

    org = accounts.get_or_create_org(session, "出海甲公司")
    other = accounts.get_or_create_org(session, "出海乙公司")
    u1 = accounts.create_user(session, "a@example.com", "correct-horse-battery-staple", role="enterprise",
                              organisation=org)
    u2 = accounts.create_user(session, "b@example.com", "correct-horse-battery-staple", role="enterprise",
                              organisation=other)
    session.flush()
    text = ("---\ntitle: 内部笔记：迪拜办公室选址\nissuer: 出海甲公司\ndate: 2026-10-01\ncountry: AE\n"
            "topics: [note]\nsource_url: https://example.com/note\n---\n迪拜 办公室 选址 笔记\n")
    service.add_document(session, text, "dubai-note.md", u1)
    assert [h["slug"] for h in service.search_kb(session, "迪拜 办公室", user=u1)] == ["dubai-note"]
    assert service.search_kb(session, "迪拜 办公室", user=u2) == []
    assert service.search_kb(session, "迪拜 办公室") == []


def test_cli_search_and_match(moli_home):
    import json

    from typer.testing import CliRunner

    from moli.outbound.cli import app

    runner = CliRunner()
    res = runner.invoke(app, ["search", "境外子公司再投资要办什么手续", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert out["hits"][0]["slug"] == "ndrc-offshore-route" and out["hits"][0]["source_url"].startswith("http")
    res = runner.invoke(app, ["search", "投资", "--country", "DE", "--json"])
    assert {h["country"] for h in json.loads(res.output)["hits"]} == {"DE"}
    assert runner.invoke(app, ["load-demo"]).exit_code == 0
    res = runner.invoke(app, ["match", "Demo · Gulf Health Holding", "--json"])
    assert json.loads(res.output)["matches"][0]["name"] == "示例·张江医疗影像AI"
    res = runner.invoke(app, ["search", "投资", "--from", "yesterday"])
    assert isinstance(res.exception, InputError) and res.exception.field == "date_from"


def test_snippets_are_plain_text_without_markdown_markers(session):
    body = "# 办理指引\n\n汇发〔2015〕13号取消了境外直接投资外汇登记核准，改由**银行**通过[资本项目系统](https://x.example/a)直接审核办理。[S21]"
    snippet = service._snippet(body, ["外汇", "登记"])
    # the citation marker goes too: a snippet has no source list to follow it to
    assert snippet == "汇发〔2015〕13号取消了境外直接投资外汇登记核准，改由银行通过资本项目系统直接审核办理。"
    row = "| 商务部备案 | 盖章的《境外投资备案表》、营业执照复印件 | [S16, S20] |"
    assert service._snippet(f"| 环节 | 材料 | 来源 |\n|---|---|---|\n{row}", ["备案表"]) == \
        "商务部备案；盖章的《境外投资备案表》、营业执照复印件"
    service.sync_knowledge_base(session)
    for h in service.search_kb(session, "境外投资 备案 外汇登记", k=20):
        assert "**" not in h["snippet"] and not re.search(r"\[S\d", h["snippet"]) and " | " not in h["snippet"]


def test_every_citation_resolves_to_a_registered_source():
    from moli.outbound.kb import citations, cited_ids
    from moli.outbound.rules import default_data

    registry = default_data()[0].sources
    for d in package_documents():
        ids = cited_ids(d.body)
        assert ids, f"{d.slug} cites no source"
        assert set(ids) <= set(registry), f"{d.slug}: unregistered {sorted(set(ids) - set(registry))}"
        listed = citations(d.body, d.meta.sources)
        assert [c["id"] for c in listed[:len(ids)]] == ids and all(c["title"] for c in listed)
    body = "备案。[S15, S16] 另见 [S99]"
    out = citations(body, ["S15 商务部2014年办法 http://x.example/a", "MOFCOM 国别指南 http://fec.mofcom.gov.cn/x"])
    assert [c["id"] for c in out] == ["S15", "S16", "S99", None]
    assert out[0]["url"] == registry["S15"].url and out[2]["title"] is None
    assert out[3] == {"id": None, "title": "MOFCOM 国别指南", "url": "http://fec.mofcom.gov.cn/x"}


def test_every_packaged_topic_has_a_label():
    from moli.outbound.kb import topic_labels

    labels = topic_labels()
    topics = {t for d in package_documents() for t in d.meta.topics}
    assert topics <= set(labels), sorted(topics - set(labels))
    assert all(v["zh"] and v["en"] for v in labels.values())
