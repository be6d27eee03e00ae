"""Enterprise directory and explained, constraint-aware matchmaking."""

from __future__ import annotations

import pytest

from moli.core.errors import InputError, NotFound
from moli.outbound import demo, service


def test_demo_load_is_idempotent(session):
    first = demo.load(session)
    assert first["enterprises_added"] >= 10 and first["kb_documents_added"] >= 20
    again = demo.load(session)
    assert again == {"kb_documents_added": 0, "kb_documents_updated": 0, "enterprises_added": 0}


def test_match_is_explained_and_respects_constraints(session):
    demo.load(session)
    result = service.match_enterprise(session, "示例·浦东智语大模型科技", k=5)
    names = [m["name"] for m in result["matches"]]
    assert names[0] == "Demo · Lion City Data Centres"
    assert "Demo · KL Channel Partners" in names
    for m in result["matches"]:
        assert not m["is_local"] and m["country"] in {"SG", "MY", "ID", "TH"}
        assert any("对方提供您寻找的" in r or "对方寻找您提供的" in r for r in m["reasons"])
        assert m["score"] > 0
    excluded = {x["name"]: x["violations"] for x in result["excluded"]}
    assert any("同为本地企业" in v for v in excluded["示例·张江医疗影像AI"])
    assert any("不在目标市场" in v for v in excluded["Demo · Bavaria Automotive Lab"])
    assert result["events_url"] == "/events?tag=roadshow"
    scores = [m["score"] for m in result["matches"]]
    assert scores == sorted(scores, reverse=True)


def test_match_their_target_country(session):
    demo.load(session)
    # Osaka only seeks partners in the US; a Chinese local firm without target markets is excluded with that reason.
    result = service.match_enterprise(session, "示例·浦东跨境电商推荐引擎", k=10)
    excluded = {x["name"]: x["violations"] for x in result["excluded"]}
    assert any("对方只寻找" in v for v in excluded["Demo · Osaka Factory Automation"])
    assert result["matches"][0]["name"] == "Demo · Nusantara Retail Group"


def test_foreign_side_matches_local(session):
    demo.load(session)
    result = service.match_enterprise(session, "Demo · Gulf Health Holding", k=3)
    assert result["matches"][0]["name"] == "示例·张江医疗影像AI"


def test_bad_input(session):
    with pytest.raises(InputError) as info:
        service.upsert_enterprise(session, {"name": "X", "country": "QQ"})
    assert info.value.field == "country"
    with pytest.raises(NotFound):
        service.match_enterprise(session, "不存在的企业")


def test_private_entry_hidden_from_others(session):
    from moli.core import accounts

    org = accounts.get_or_create_org(session, "私有企业组织")
    user = accounts.create_user(session, "p@example.com", "correct-horse-battery-staple", role="enterprise",
                                organisation=org)
    session.flush()
    service.upsert_enterprise(session, {"name": "私有企业", "country": "CN", "is_local": True, "is_public": False,
                                        "offers": "翻译", "seeks": "渠道"}, user)
    assert [e.name for e in service.list_enterprises(session, user)] == ["私有企业"]
    assert service.list_enterprises(session) == []
    with pytest.raises(NotFound):
        service.match_enterprise(session, "私有企业")


def test_kb_search_and_matching_on_each_database(db_url, session):
    """The same loading, search and matching on SQLite and PostgreSQL (``-m postgres``)."""
    demo.load(session)
    session.commit()
    hits = service.search_kb(session, "大额非敏感类项目情况报告表", k=3)
    assert hits[0]["slug"] == "ndrc-offshore-route"
    dated = service.search_kb(session, "备案", date_from="2017-01-01", date_to="2017-12-31", k=10)
    assert dated and all(h["date"].startswith("2017") for h in dated)
    result = service.match_enterprise(session, "Demo · Bavaria Automotive Lab", k=3)
    assert result["matches"][0]["name"] == "示例·临港智能驾驶数据"


def test_import_is_all_or_nothing(session, tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text("enterprises:\n  - {name: 甲, country: CN, is_local: true, offers: 语音, seeks: 渠道}\n"
                    "  - {name: B Corp, country: SG, offers: 渠道, seeks: 语音}\n", encoding="utf-8")
    assert service.import_enterprises(session, good) == {"imported": 2}
    bad = tmp_path / "bad.yaml"
    bad.write_text("enterprises:\n  - {name: 乙, country: CN}\n  - {name: C Corp, country: ZZ}\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        service.import_enterprises(session, bad)
    assert "bad.yaml" in info.value.zh and "enterprises[1]" in info.value.en and "ZZ" in info.value.en
    assert sorted(e.name for e in service.list_enterprises(session)) == ["B Corp", "甲"]


def test_matches_list_upcoming_roadshows(session):
    import datetime as dt

    from moli.events import service as events

    demo.load(session)
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(days=10)
    past = dt.datetime.now(dt.UTC) - dt.timedelta(days=10)
    events.create_event(session, {"slug": "sg-roadshow", "title": "新加坡出海路演", "starts_at": soon,
                                  "tags": ["roadshow"], "venue": "张江科学会堂"}, publish=True)
    events.create_event(session, {"slug": "old-roadshow", "title": "已结束的路演", "starts_at": past,
                                  "tags": ["roadshow"], "venue": "张江科学会堂"}, publish=True)
    events.create_event(session, {"slug": "meetup", "title": "普通沙龙", "starts_at": soon, "tags": ["meetup"], "online": True},
                        publish=True)
    events.create_event(session, {"slug": "draft-roadshow", "title": "草稿路演", "starts_at": soon,
                                  "tags": ["roadshow"], "venue": "张江科学会堂"})
    zh_tag = events.create_event(session, {"slug": "zh-roadshow", "title": "张江路演", "venue": "张江",
                                           "starts_at": soon + dt.timedelta(days=1), "tags": ["topic:路演"]},
                                 publish=True)
    with_slots = events.create_event(session, {"slug": "slot-show", "title": "带时段的推介会", "venue": "张江",
                                               "starts_at": soon + dt.timedelta(days=2)}, publish=True)
    events.add_slots(session, with_slots, soon + dt.timedelta(days=2), 20, 2)
    assert zh_tag.id
    result = service.match_enterprise(session, "示例·浦东智语大模型科技")
    assert [r["title"] for r in result["roadshows"]] == ["新加坡出海路演", "张江路演", "带时段的推介会"]
    assert result["roadshows"][0]["url"] == "/events/sg-roadshow"


def test_a_gb18030_directory_file_is_an_error_naming_it(session, tmp_path):
    f = tmp_path / "e.yaml"
    f.write_bytes("enterprises:\n  - {name: 审计甲, country: CN, is_local: true}\n".encode("gb18030"))
    with pytest.raises(InputError) as info:  # was a UnicodeDecodeError traceback
        service.import_enterprises(session, f)
    assert "e.yaml" in info.value.zh and "UTF-8" in info.value.zh and "byte offset" in info.value.en


def test_two_entries_of_one_name_refuse_the_file_naming_both(session, tmp_path):
    # Entries are keyed by name: the second replaced the first while the import reported 2.
    f = tmp_path / "dup.yaml"
    f.write_text("enterprises:\n  - {name: 审计甲, country: CN, is_local: true, offers: 语音}\n"
                 "  - {name: B Corp, country: SG}\n  - {name: 审计甲, country: CN, offers: 图像}\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        service.import_enterprises(session, f)
    err = info.value
    assert "审计甲" in err.zh and "enterprises[0]" in err.zh and "enterprises[2]" in err.zh and "重复" in err.zh
    assert "more than once" in err.en and err.field == "enterprises[2].name"
    assert service.list_enterprises(session) == []  # nothing written
