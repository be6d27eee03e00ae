"""Publish a scenario, see explained matches, upload a test set, evaluate in the background and read the
leaderboard — in Debian's Chromium (Playwright) against a real `moli serve` + `moli worker`."""

from __future__ import annotations

import json
import time

import pytest

from tests.market.conftest import FIXTURES, start_answerer
from tests.support.browser import (
    chromium_page,
    live_server,
    moli_env,
    require_chromium,
    run_moli,
    stop_processes,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PASSWORD = "market-browser-password"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require_chromium()
    tmp = tmp_path_factory.mktemp("market_browser")
    answerer, abase = start_answerer(FIXTURES / "testset.jsonl")
    try:
        env = moli_env(tmp / "home")
        offs = tmp / "offerings.jsonl"
        rows = []
        for line in (FIXTURES / "offerings.jsonl").read_text(encoding="utf-8").splitlines():
            o = json.loads(line)
            o["endpoint"] = f"{abase}/ok/v1"
            o["api_model"] = "oracle" if o["id"] == "med-private" else "half"
            rows.append(json.dumps(o, ensure_ascii=False))
        # the platform's own baseline, evaluated in the worker through the hosted /v1 API
        rows.append(json.dumps({"id": "moli-retrieval-baseline", "name": "模力检索基线", "hosted": True,
                                "tasks": ["question-answering"]}, ensure_ascii=False))
        offs.write_text("\n".join(rows) + "\n", encoding="utf-8")
        for args in (("market", "import-offerings", str(offs)),
                     ("users", "create", "--email", "owner@example.com", "--org", "张江药企", "--password", PASSWORD)):
            r = run_moli(env, *args)
            assert r.returncode == 0, r.stderr
        with live_server(tmp / "home", worker=True, env={"MOLI_MODEL_ENDPOINT_NETWORKS": "127.0.0.0/8"}) as base:
            yield base, tmp
    finally:
        stop_processes(answerer)


def test_publish_match_upload_evaluate_leaderboard(server, request):
    base, _ = server
    with chromium_page(base, request=request, timeout=30_000) as page:
        page.goto("/login?next=/market/scenarios/new")
        page.fill("input[name=email]", "owner@example.com")
        page.fill("input[name=password]", PASSWORD)
        page.click("#login-submit")
        page.wait_for_url("**/market/scenarios/new")
        page.fill("input[name=id]", "drug-qa")
        page.fill("input[name=title]", "新药研发文献问答")
        page.fill("textarea[name=description]", "需要回答临床试验和药物研发文献问题、生成文献摘要的医学大模型。")
        page.select_option("select[name=industry]", "biomedicine")
        # the task checkboxes stand in columns, several to a row
        first, second = (page.locator("input[name=tasks]").nth(i).bounding_box() for i in (0, 1))
        assert abs(first["y"] - second["y"]) < 2 and second["x"] > first["x"]
        page.check("input[name=tasks][value=question-answering]")
        page.check("input[name=tasks][value=summarization]")
        page.check("input[name=deployment][value=private]")
        page.fill("input[name=data_must_stay_in]", "CN")
        page.click("#scenario-form button[type=submit]")
        page.wait_for_url("**/market/scenarios/drug-qa")
        matches = page.text_content("#matches")
        assert "med-private" in matches and "描述匹配词" in matches
        excluded = page.text_content("#excluded")
        assert "med-api-us" in excluded and "部署方式不符" in excluded

        page.set_input_files("#testset-form input[name=file]", str(FIXTURES / "testset.jsonl"))
        page.click("#testset-form button[type=submit]")
        page.wait_for_selector("#testset-preview")
        page.check("#evaluate-form input[value=med-private]")
        page.check("#evaluate-form input[value=general-cheap]")
        assert "平台托管" in page.text_content("#evaluate-form")
        page.check("#evaluate-form input[value=moli-retrieval-baseline]")
        page.click("#evaluate-form button[type=submit]")
        page.wait_for_url("**/jobs/*")
        deadline = time.time() + 90
        while time.time() < deadline:
            body = page.text_content("main")
            if "succeeded" in body or "failed" in body:
                break
            time.sleep(1)
            page.reload()
        assert "succeeded" in page.text_content("main")
        page.goto("/market/scenarios/drug-qa")
        board = page.text_content("#leaderboard")
        assert board.index("医研大模型") < board.index("通用对话模型")
        assert "exact_match = 1.000" in board
        assert board.index("医研大模型") < board.index("模力检索基线")  # the oracle beats the floor
        assert page.locator("#leaderboard .baseline-tag").count() == 1


def test_offering_facets_lay_their_values_in_rows(server, request):
    base, _ = server
    with chromium_page(base, request=request, timeout=30_000) as page:
        page.goto("/market/offerings")
        links = page.locator("#facet-task a")
        assert links.count() >= 3
        tops = [links.nth(i).bounding_box()["y"] for i in range(links.count())]
        # values share rows (a column of links, one per line, filled a screen)
        assert len(set(round(t) for t in tops)) < len(tops)
        task = page.locator("#facet-task").bounding_box()
        domain = page.locator("#facet-domain").bounding_box()
        assert abs(task["y"] - domain["y"]) < 2 and domain["x"] > task["x"] + task["width"] - 1  # side by side
        links.first.click()
        page.wait_for_url("**task=*")
        assert page.locator("#facet-task a.active").count() == 1
