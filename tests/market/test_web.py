"""Pages and JSON API end to end: publish, browse with facets, match with reasons, evaluate, leaderboard."""

import json

from moli.core.db import session_scope
from moli.market import demo


def _offering_form(**kw):
    data = {"id": "port-llm", "name": "港航大模型", "vendor": "临港数科",
            "description": "面向港口调度、航运物流和交通事故报告分析的行业大模型。", "tasks": ["classification", "summarization"],
            "domains": ["transportation"], "deployment": ["private", "edge"], "languages": "zh", "context_length": "32768",
            "license": "Apache-2.0", "commercial_use": "1", "filing_status": "filed", "filing_number": "沪-2024-01",
            "data_residency": "CN", "price_per_million_tokens_cny": "4", "is_public": "1"}
    data.update(kw)
    return data


def test_publish_browse_match_and_reasons(client, login):
    login(client, org="Org A")
    with session_scope() as s:
        demo.load(s)
    r = client.post("/market/offerings", data=_offering_form(price_per_million_tokens_cny="-3"))
    assert r.status_code == 400 and "不能小于" in r.text and "price_per_million_tokens_cny" in r.text
    assert "港航大模型" in r.text  # the form keeps what was typed
    r = client.post("/market/offerings", data=_offering_form(), follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/market/offerings/port-llm"

    page = client.get("/market/offerings?domain=transportation")
    assert page.status_code == 200 and "港航大模型" in page.text and "Qwen2.5-7B-Instruct" not in page.text
    assert 'id="facet-filing"' in page.text and "已备案" in page.text

    r = client.post("/market/scenarios", data={
        "id": "port-reports", "title": "港口事故报告分类", "description": "洋山港需要对交通事故报告和港口调度日志进行分类和摘要。",
        "industry": "transportation", "tasks": ["classification", "summarization"], "languages": "zh",
        "deployment": ["private"], "requires_filing": "1", "data_must_stay_in": "CN", "is_public": "1",
        "scoring": ["exact_match", "char_f1"]}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get("/market/scenarios/port-reports")
    assert page.status_code == 200
    matches = page.text.split('id="matches"')[1].split('id="excluded"')[0]
    assert "port-llm" in matches and "描述匹配词" in matches and "已完成生成式人工智能服务备案" in matches
    excluded = page.text.split('id="excluded"')[1]
    assert "qwen2.5-7b-instruct" in excluded and "未备案" in excluded  # demo models declare no filing

    api = client.get("/api/v1/market/scenarios/port-reports/matches").json()
    assert api["matches"][0]["offering_id"] == "port-llm"
    back = client.get("/api/v1/market/offerings/port-llm/scenarios").json()
    assert {"port-reports", "demo-smart-transport"} <= {m["scenario_id"] for m in back["matches"]}

    # more eligible offerings than the page lists: it says so and links to all of them
    for i in range(11):
        r = client.post("/market/offerings", data=_offering_form(id=f"port-llm-{i}", name=f"港航模型{i}"),
                        follow_redirects=False)
        assert r.status_code == 303
    page = client.get("/market/scenarios/port-reports").text
    assert "显示得分最高的 10 个" in page and "/api/v1/market/scenarios/port-reports/matches?top=12" in page
    assert len(client.get("/api/v1/market/scenarios/port-reports/matches?top=12").json()["matches"]) == 12


def test_web_refuses_custom_scorers_and_others_cannot_edit(client, login):
    login(client, org="Org A")
    r = client.post("/api/v1/market/scenarios", json={"id": "s1", "title": "T", "scoring": ["os:system"]})
    assert r.status_code == 400 and "内置评分" in r.json()["error_zh"]
    r = client.post("/api/v1/market/scenarios", json={"id": "s1", "title": "T"})
    assert r.status_code == 201
    client.post("/logout")
    login(client, org="Org B")
    r = client.post("/api/v1/market/scenarios", json={"id": "s1", "title": "改掉 Changed"})
    assert r.status_code == 403
    assert client.get("/api/v1/market/scenarios/s1").json()["title"] == "T"


def test_test_set_upload_evaluation_job_and_privacy(db_url, client, login, answerer, fixtures):
    owner = login(client, org="Org A")
    for oid, model in (("oracle-model", "oracle"), ("half-model", "half")):
        r = client.post("/api/v1/market/offerings", json={
            "id": oid, "name": oid, "description": "问答", "tasks": ["question-answering"],
            "endpoint": f"{answerer}/ok/v1", "api_model": model})
        assert r.status_code == 201, r.text
    client.post("/api/v1/market/offerings", json={"id": "broken", "name": "broken", "endpoint": f"{answerer}/garbage/v1"})
    r = client.post("/api/v1/market/scenarios", json={"id": "qa", "title": "政务问答", "tasks": ["question-answering"],
                                                      "scoring": ["exact_match", "char_f1"]})
    assert r.status_code == 201
    before = client.get("/market/scenarios/qa").text
    assert 'id="evaluate-hint"' in before and "请先上传私有测试集" in before  # the button is disabled, and why
    bad = b'{"prompt": "a", "reference": "b"}\n{"reference": "c"}\n'
    r = client.post("/market/scenarios/qa/testset", files={"file": ("mine.jsonl", bad, "application/jsonl")})
    assert r.status_code == 400 and "mine.jsonl:2" in r.text and "缺少 prompt" in r.text
    good = (fixtures / "testset.jsonl").read_bytes()
    r = client.post("/market/scenarios/qa/testset", files={"file": ("testset.jsonl", good, "application/jsonl")},
                    follow_redirects=False)
    assert r.status_code == 303
    page = client.get("/market/scenarios/qa")
    assert "12 条" in page.text and 'id="evaluate-form"' in page.text and 'id="evaluate-hint"' not in page.text

    r = client.post("/market/scenarios/qa/evaluate", data={"offering": ["oracle-model", "half-model", "broken"]},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/jobs/")
    jobpage = client.get(r.headers["location"])
    assert jobpage.status_code == 200
    board = client.get("/api/v1/market/scenarios/qa/leaderboard").json()["leaderboard"]
    assert [b["offering_id"] for b in board] == ["oracle-model", "half-model", "broken"]
    assert board[2]["counts"]["failed"] == 12
    page = client.get("/market/scenarios/qa")
    lb = page.text.split('id="leaderboard"')[1]
    assert lb.index("oracle-model") < lb.index("half-model") and "invalid_response" in page.text
    assert "已完成 <small>succeeded</small>" in page.text  # the run's status, Chinese first
    assert 'class="muted failure-reason"' in lb and "invalid_response" in lb  # why items failed, by the model

    # Another organisation sees the scenario but neither the test set nor the results.
    client.post("/logout")
    login(client, org="Org B")
    page = client.get("/market/scenarios/qa")
    assert page.status_code == 200 and "世纪大道" not in page.text and 'id="leaderboard"' not in page.text
    assert client.get("/api/v1/market/scenarios/qa/leaderboard").status_code == 403
    r = client.post("/api/v1/market/scenarios/qa/evaluations", json={"offerings": ["oracle-model"]})
    assert r.status_code == 403
    assert owner.organisation_id is not None
    assert json.dumps(board, ensure_ascii=False)


def test_pages_render_demo_content_and_edit_forms(client, login):
    with session_scope() as s:
        demo.load(s)
    page = client.get("/market")
    assert page.status_code == 200 and "一网通办政策问答" in page.text and "供需对接" in page.text
    assert "私有化部署/端侧部署" in page.text and "部署 private" not in page.text  # constraints by name
    page = client.get("/market/offerings/deepseek-v3")
    assert page.status_code == 200 and "https://huggingface.co/deepseek-ai/DeepSeek-V3" in page.text
    assert 'id="scenario-matches"' in page.text
    page = client.get("/market/scenarios/demo-government-services")
    assert page.status_code == 200 and 'id="leaderboard"' not in page.text  # anonymous: no private part
    excluded = page.text.split('id="excluded"')[1]
    assert "llama-3.1-8b-instruct" in excluded and "不支持所需语言" in excluded
    assert client.get("/market/offerings/new", follow_redirects=False).status_code in (401, 303)
    login(client, role="staff")
    for url in ("/market/offerings/new", "/market/scenarios/new", "/market/offerings/qwen2.5-7b-instruct/edit",
                "/market/scenarios/demo-meteorology/edit"):
        r = client.get(url)
        assert r.status_code == 200 and "csrf_token" in r.text, url
    r = client.get("/market/offerings/qwen2.5-7b-instruct/edit")
    assert 'value="Qwen2.5-7B-Instruct"' in r.text and "readonly" in r.text
    r = client.get("/market/scenarios/demo-meteorology/edit")
    assert 'name="requires_filing" value="1" checked' in r.text
    page = client.get("/market/scenarios/demo-government-services")  # staff sees the private part
    assert "6 条" in page.text and 'id="leaderboard"' in page.text


def test_editing_through_the_form_keeps_the_fields_the_form_does_not_show(client, login):
    from moli.market import service
    from moli.market.schemas import Evaluation, Offering, Scenario

    with session_scope() as s:
        service.publish_offering(s, Offering(id="port-llm", name="港航大模型", sources={"model_card": "https://example.org/card"},
                                             evaluations=[Evaluation(benchmark="C-Eval", score=71.2, source="https://example.org")],
                                             release="2025-03", api_model="port-llm-v1"), service.OPERATOR)
        service.publish_scenario(s, Scenario(id="port-reports", title="港口事故报告", benchmarks=["C-Eval"]), service.OPERATOR)
    login(client, role="staff")
    r = client.post("/market/offerings", data=_offering_form(description="新的描述"), follow_redirects=False)
    assert r.status_code == 303
    r = client.post("/market/scenarios", data={"id": "port-reports", "title": "港口事故报告分类", "tasks": ["classification"],
                                               "is_public": "1"}, follow_redirects=False)
    assert r.status_code == 303
    with session_scope() as s:
        off = service.offering_of(service.get_offering(s, "port-llm", service.OPERATOR))
        scn = service.get_scenario(s, "port-reports", service.OPERATOR).data
    assert off.description == "新的描述" and off.vendor == "临港数科"  # the form's fields changed
    assert off.sources == {"model_card": "https://example.org/card"} and off.release == "2025-03"
    assert [(e.benchmark, e.score) for e in off.evaluations] == [("C-Eval", 71.2)]
    assert scn["title"] == "港口事故报告分类" and scn["benchmarks"] == ["C-Eval"]
    # a field the form does show, left blank, is cleared rather than restored
    assert "api_model" not in off.model_dump()


def test_the_publish_form_never_overwrites_a_taken_id_and_keeps_what_was_typed(client, login):
    from moli.market import service
    from moli.market.schemas import Scenario

    with session_scope() as s:
        service.publish_scenario(s, Scenario(id="port-reports", title="港口事故报告"), service.OPERATOR)
    login(client, org="Org A")
    typed = {"id": "port-reports", "title": "另一个场景", "new": "1", "max_price_per_million_tokens_cny": "20",
             "min_context_length": "8000", "tasks": ["classification"]}
    r = client.post("/market/scenarios", data=typed)
    assert r.status_code == 400 and "已被使用" in r.text and "另一个场景" in r.text
    assert 'value="20"' in r.text and 'name="new" value="1"' in r.text  # still the publish form, nothing lost
    r = client.post("/market/offerings", data=_offering_form(id="port-llm", new="1"), follow_redirects=False)
    assert r.status_code == 303
    r = client.post("/market/offerings", data=_offering_form(id="port-llm", name="抢注的名字", new="1"))
    assert r.status_code == 400 and "已被使用" in r.text and "抢注的名字" in r.text
    with session_scope() as s:
        assert service.get_scenario(s, "port-reports", service.OPERATOR).title == "港口事故报告"
        assert service.get_offering(s, "port-llm", service.OPERATOR).name == "港航大模型"
    # a validation error on the budget keeps the other constraints, and the budget itself
    r = client.post("/market/scenarios", data={**typed, "id": "fresh-one", "min_context_length": "abc"})
    assert r.status_code == 400 and 'value="20"' in r.text and 'value="abc"' in r.text
