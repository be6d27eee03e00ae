"""The pre-check form and knowledge-base search in Debian's Chromium (Playwright) against a real `moli serve`."""

from __future__ import annotations

import json

import pytest

from tests.support.browser import chromium_page, live_server, require_chromium

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require_chromium()
    tmp = tmp_path_factory.mktemp("outbound_browser")
    with live_server(tmp / "home", timeout=60) as base:
        yield base, tmp


def test_precheck_form_to_printable_checklist(server, request):
    base, tmp = server
    with chromium_page(base, request=request, timeout=20_000) as page:
        page.goto("/outbound")
        page.click("#go-precheck")
        assert page.is_hidden("fieldset[data-step='2']") and page.is_hidden("#precheck-submit")
        page.click("#step-next")  # the required name is empty: the step does not advance
        assert page.is_visible("fieldset[data-step='1']")
        page.fill("input[name=investor_name]", "浦东某大模型公司")
        page.click("#step-next")
        assert page.is_visible("fieldset[data-step='2']") and page.is_hidden("fieldset[data-step='1']")
        page.fill("input[name=date]", "2026-05-01")
        page.fill("input[name=amount_usd]", "20000000")
        page.select_option("select[name=destination_country]", "SG")
        page.fill("input[name=industry]", "人工智能大模型研发")
        page.click("#step-next")
        page.click("#step-next")
        page.check("input[name=tech_involved]")
        page.fill("textarea[name=tech_items]", "语音合成引擎许可")
        page.click("#step-next")
        assert page.get_by_text("第 5 / 5 步").is_visible()
        page.click("#precheck-submit")
        page.wait_for_selector("section.outbound-checklist")
        steps = page.eval_on_selector_all("ol.steps > li", "els => els.map(e => e.dataset.authority)")
        assert steps == ["TECH_EXPORT", "NDRC", "MOFCOM", "SAFE"]
        shown = json.loads(page.text_content("#result-json"))
        assert [p["action"] for p in shown["procedures"]] == ["filing", "approval", "registration", "license"]
        pdf = tmp / "checklist.pdf"
        page.emulate_media(media="print")
        page.pdf(path=str(pdf))
        assert pdf.stat().st_size > 10_000 and pdf.read_bytes()[:4] == b"%PDF"
        # Knowledge-base search from the same browser.
        page.goto("/outbound/kb")
        page.fill("input[name=q]", "语音合成技术出口需要许可吗")
        page.click("#kb-search button[type=submit]")
        page.wait_for_selector("li.kb-hit")
        assert page.eval_on_selector("li.kb-hit", "e => e.dataset.slug") == "tech-export-ai"
