"""The platform's reference baseline: the retrieval answerer, its OpenAI-compatible /v1 API, and
evaluating it on a scenario's test set like any other offering (in process, through the same HTTP path)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from moli.corpus import service as corpus_service
from moli.corpus.pipeline import build
from moli.corpus.recipe import load_recipe
from moli.market import service
from moli.market.baseline import NO_ANSWER, RetrievalBaseline, Source, sentences, short_answer, split_choices
from moli.market.evaluation import render_prompt
from moli.market.schemas import BASELINE_MODEL, Offering, Scenario, TestItem
from moli.outbound.service import sync_knowledge_base
from tests.corpus.conftest import write_recipe

LAWS = [
    Source("pipl", "# 中华人民共和国个人信息保护法",
           "# 中华人民共和国个人信息保护法\n第一条 为了保护个人信息权益，制定本法。\n第七十四条 本法自2021年11月1日起施行。"),
    Source("dsl", "中华人民共和国数据安全法",
           "# 中华人民共和国数据安全法\n第一条 为了规范数据处理活动，保障数据安全，制定本法。\n第五十五条 本法自2021年9月1日起施行。"),
    Source("weather", "气象灾害防御条例", "气象灾害防御条例\n台风、暴雨预警信号由气象主管机构所属的气象台站统一发布；其他组织和个人不得向社会发布。"),
]


def test_sentences_split_on_cjk_punctuation_and_cut_long_runs():
    assert sentences("# 数据安全法\n第一句。第二句！第三句？短\n") == ["数据安全法", "第一句。", "第二句！", "第三句？"]
    long = "长" * 700
    assert [len(s) for s in sentences(long)] == [300, 300, 100]


def test_multiple_choice_prompts_are_read_back_from_the_rendered_prompt():
    item = TestItem(prompt="哪部法律先施行？", reference="A", choices=["数据安全法", "个人信息保护法"])
    question, options = split_choices(render_prompt(item))
    assert question == "哪部法律先施行？" and options == [("A", "数据安全法"), ("B", "个人信息保护法")]
    assert split_choices("没有选项的问题") == ("没有选项的问题", [])


def test_the_title_context_picks_the_right_laws_sentence():
    baseline = RetrievalBaseline(LAWS)
    a = baseline.best("《中华人民共和国数据安全法》自哪一天起施行？")
    assert (a.text, a.source) == ("第五十五条 本法自2021年9月1日起施行。", "dsl")
    # the question asks for a date: the answer is that span of the sentence
    assert baseline.answer("《中华人民共和国数据安全法》自哪一天起施行？") == (a.__class__("2021年9月1日", "dsl", a.score))
    # traditional characters are matched in simplified form
    b = baseline.best("《數據安全法》自哪一天起施行？")
    assert (b.text, b.source) == (a.text, a.source)
    weather = baseline.answer("谁统一发布台风预警信号？")  # not a date or number question: the sentence
    assert weather.source == "weather" and weather.text.startswith("台风、暴雨预警信号由气象主管机构")
    # the heading alone is never the answer, and nothing relevant gives the fixed no-answer text
    assert all(s != "中华人民共和国个人信息保护法" for s in baseline._sentences)
    assert baseline.answer("量子色动力学").text == NO_ANSWER


def test_a_question_for_a_year_date_or_number_gets_that_span():
    assert short_answer("本法自哪一天起施行？", "第五十五条 本法自2021年9月1日起施行。") == "2021年9月1日"
    assert short_answer("“一网通办”是哪一年提出的？", "上海于2018年率先提出“一网通办”改革。") == "2018年"
    assert short_answer("市民服务热线的号码是多少？", "上海市民服务热线12345全天候受理诉求。") == "12345"
    assert short_answer("何时起施行", "本法自二〇二一年九月一日起施行") == "二〇二一年九月一日"
    assert short_answer("谁负责发布预警？", "气象台站统一发布。") is None  # not such a question
    assert short_answer("何时起施行", "本法自公布之日起施行。") is None  # no date in the sentence
    # of two dates, the one the question's words stand beside
    both = "《企业境外投资管理办法》（国家发展改革委令第11号）2017年12月26日发布，2018年3月1日起施行。"
    assert short_answer("发改委11号令何时起施行？", both) == "2018年3月1日"
    assert short_answer("发改委11号令何时发布？", both) == "2017年12月26日"


def test_multiple_choice_answers_a_letter():
    baseline = RetrievalBaseline(LAWS)
    item = TestItem(prompt="由哪类机构统一发布台风预警信号？", reference="B",
                    choices=["交通运输主管部门", "气象主管机构所属的气象台站", "任何个人"])
    assert baseline.answer(render_prompt(item)).text == "B"
    nothing = TestItem(prompt="量子色动力学", reference="A", choices=["夸克", "胶子"])
    assert baseline.answer(render_prompt(nothing)).text == "A"  # a fixed guess when nothing matches


def test_only_the_platform_model_may_be_marked_hosted():
    assert Offering(id=BASELINE_MODEL, name="基线", hosted=True).hosted
    with pytest.raises(ValidationError, match="cannot be marked hosted"):
        Offering(id="someone-else", name="冒充", hosted=True)


@pytest.fixture
def public_corpus(tmp_path):
    """A public corpus of two documents, built by the real pipeline and registered in the catalogue."""
    docs = tmp_path / "docs"
    docs.mkdir()
    with (docs / "laws.jsonl").open("w", encoding="utf-8") as fh:
        for i, src in enumerate(LAWS[:2]):
            fh.write(json.dumps({"id": f"d{i}", "text": src.text}, ensure_ascii=False) + "\n")
    recipe = load_recipe(write_recipe(tmp_path / "r.yaml", inputs=["docs/*"], out=str(tmp_path / "out"),
                                      steps=[{"normalize": {}}], catalogue={"access": "public"}))
    return recipe, build(recipe, workers=1)


def test_the_api_answers_from_public_corpora_and_policy_documents(client, session, public_corpus):
    recipe, result = public_corpus
    corpus_service.register(session, recipe, result)
    sync_knowledge_base(session)
    session.commit()
    assert client.get("/v1/models").json()["data"][0]["id"] == BASELINE_MODEL
    r = client.post("/v1/chat/completions", json={
        "model": BASELINE_MODEL, "messages": [{"role": "system", "content": "你是助手"},
                                              {"role": "user", "content": "数据安全法自哪一天起施行？"}]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["object"] == "chat.completion" and body["choices"][0]["finish_reason"] == "stop"
    assert body["choices"][0]["message"]["content"] == "2021年9月1日"
    assert body["moli"]["source"] == "test-corpus@1/d1"
    assert body["usage"]["prompt_tokens"] == len("数据安全法自哪一天起施行？")
    # a content list of text parts, answered from the outbound policy library
    r = client.post("/v1/chat/completions", json={"model": BASELINE_MODEL, "messages": [
        {"role": "user", "content": [{"type": "text", "text": "企业境外投资管理办法（发改委11号令）何时起施行？"}]}]})
    assert r.status_code == 200 and r.json()["moli"]["source"] == "ndrc-order-11"
    assert "2018年3月1日" in r.json()["choices"][0]["message"]["content"]


def test_an_unreadable_shard_is_skipped(session, public_corpus):
    recipe, result = public_corpus
    corpus = corpus_service.register(session, recipe, result)
    (Path(corpus.location) / "data" / "zz-broken.parquet").write_bytes(b"PAR1 not really")
    texts = corpus_service.public_texts(session, max_chars=10_000)
    assert [t[0] for t in texts] == ["test-corpus@1/d0", "test-corpus@1/d1"]
    assert [t[0] for t in corpus_service.public_texts(session, max_chars=30)] == ["test-corpus@1/d0"]  # the budget


def test_a_corpus_made_internal_leaves_the_baseline(client, session, public_corpus):
    recipe, result = public_corpus
    corpus = corpus_service.register(session, recipe, result)
    session.commit()
    ask = {"model": BASELINE_MODEL, "messages": [{"role": "user", "content": "数据安全法自哪一天起施行？"}]}
    assert client.post("/v1/chat/completions", json=ask).json()["moli"]["source"] == "test-corpus@1/d1"
    corpus_service.set_access(session, corpus, "internal", user=service.OPERATOR)
    session.commit()
    assert not client.post("/v1/chat/completions", json=ask).json()["moli"]["source"].startswith("test-corpus")


@pytest.mark.parametrize(("body", "status", "param"), [
    (b"{not json", 400, None),
    (b"[1, 2]", 400, None),
    (json.dumps({"model": "gpt-4o", "messages": [{"role": "user", "content": "你好"}]}).encode(), 404, "model"),
    (json.dumps({"model": BASELINE_MODEL, "stream": True,
                 "messages": [{"role": "user", "content": "你好"}]}).encode(), 400, "stream"),
    (json.dumps({"model": BASELINE_MODEL, "messages": []}).encode(), 400, "messages"),
    (json.dumps({"model": BASELINE_MODEL, "messages": [{"role": "assistant", "content": "你好"}]}).encode(), 400,
     "messages"),
    (json.dumps({"model": BASELINE_MODEL, "messages": [{"role": "user", "content": [{"type": "image_url"}]}]}).encode(),
     400, "messages"),
])
def test_bad_requests_get_openai_shaped_errors_in_both_languages(client, body, status, param):
    r = client.post("/v1/chat/completions", content=body, headers={"content-type": "application/json"})
    assert r.status_code == status
    err = r.json()["error"]
    assert err["param"] == param and " / " in err["message"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in err["message"])
    if status == 404:
        assert err["code"] == "model_not_found"


def test_evaluating_the_baseline_goes_through_the_hosted_api_uncached(db_url, session, public_corpus):
    recipe, result = public_corpus
    corpus_service.register(session, recipe, result)
    service.publish_offering(session, Offering(id=BASELINE_MODEL, name="基线", tasks=["question-answering"],
                                               hosted=True), service.OPERATOR)
    items = [TestItem(prompt="数据安全法第一条为了什么而制定？", reference="为了规范数据处理活动，保障数据安全"),
             TestItem(prompt="《数据安全法》何时起施行？", reference="2021年9月1日")]
    scenario = Scenario(id="law-qa", title="法律问答", description="回答法律何时起施行", industry="government_affairs",
                        tasks=["question-answering"], scoring=["exact_match", "char_f1"])
    service.publish_scenario(session, scenario, service.OPERATOR, test_set=items)
    session.commit()
    assert [r.slug for r in service.evaluable_offerings(session, service.OPERATOR)] == [BASELINE_MODEL]
    for run in (1, 2):
        out = service.run_evaluation(session, "law-qa", [BASELINE_MODEL], service.OPERATOR, retries=0)
        session.commit()
        row = out["leaderboard"][0]
        assert row["offering_id"] == BASELINE_MODEL and row["counts"]["failed"] == 0
        assert row["metrics"]["exact_match"] == pytest.approx(0.5)  # the date exactly, the purpose as a sentence
        assert 0.5 < row["metrics"]["char_f1"] < 1.0
        ev = service.evaluations_of(session, "law-qa", service.OPERATOR)[0]
        assert [i["cached"] for i in ev.items] == [False, False], run  # answers follow the documents: never cached
        assert ev.items[1]["prediction"] == "2021年9月1日"
        assert ev.items[0]["prediction"].startswith("第一条为了规范数据处理活动")
    board = service.leaderboard(session, "law-qa", service.OPERATOR)
    assert [(r["offering_id"], r["baseline"]) for r in board] == [(BASELINE_MODEL, True)]


def test_the_offering_page_gives_the_hosted_endpoint(client, session):
    service.publish_offering(session, Offering(id=BASELINE_MODEL, name="模力检索基线", hosted=True), service.OPERATOR)
    session.commit()
    page = client.get(f"/market/offerings/{BASELINE_MODEL}").text
    assert '<code id="hosted-endpoint">http://testserver/v1</code>' in page and "平台托管" in page


def test_editing_the_baselines_card_keeps_it_hosted(client, session, login):
    service.publish_offering(session, Offering(id=BASELINE_MODEL, name="基线", hosted=True), service.OPERATOR)
    session.commit()
    login(client, role="staff")
    r = client.post("/market/offerings", data={"id": BASELINE_MODEL, "name": "模力检索基线（改）", "tasks": ["question-answering"],
                                               "is_public": "1"}, follow_redirects=False)
    assert r.status_code == 303
    session.expire_all()
    row = service.get_offering(session, BASELINE_MODEL, service.OPERATOR)
    assert row.name == "模力检索基线（改）" and row.data["hosted"] is True
    assert service.is_evaluable(service.offering_of(row))
