"""End to end in Debian's Chromium: a real `moli serve`, the guided form, an upload, the report, PDF by print."""

from __future__ import annotations

import pytest

from tests.support.browser import chromium_page, live_server, register_in_page

from .conftest import make_people, write_csv

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    home = tmp_path_factory.mktemp("cb_browser") / "home"
    with live_server(home, env={"MOLI_JOBS_IMMEDIATE": "1"}) as base:
        yield base


@pytest.fixture
def page(server, request):
    """A Chromium page on the server; a screenshot in test-artifacts/ when the test fails."""
    with chromium_page(server, request=request, timeout=30_000) as pg:
        yield pg


def _assess(page, exporter: str, data) -> None:
    """Fill the rest of the form on /crossborder (a transfer to the US), upload ``data`` and wait for the report."""
    page.fill("input[name=exporter_name]", exporter)
    page.fill("input[name=transfer_date]", "2026-05-01")
    page.fill("input[name=recipient_country]", "US")
    page.set_input_files("input[name=data]", str(data))
    page.click("#assess-submit")
    page.wait_for_selector("#report")


def test_guided_form_upload_report_and_pdf(page, tmp_path):
    people = make_people(n_people=40, n_rows=120, seed=5, minors=2)
    data = write_csv(tmp_path / "orders.csv", people.rows)
    page.goto("/crossborder")
    assert page.locator("h1").inner_text().startswith("数据出境合规自检")
    # each checkbox sits on one line with its own words, not above the next field's label
    box = page.locator("input[name=is_ciio]").bounding_box()
    words = page.get_by_text("关键信息基础设施运营者").bounding_box()
    next_label = page.get_by_text("处理个人信息总人数").bounding_box()
    assert box["width"] < 40 and abs((box["y"] + box["height"] / 2) - (words["y"] + words["height"] / 2)) < 12
    assert next_label["y"] > words["y"] + words["height"] - 1
    page.select_option("select[name=registration]", "lingang")
    _assess(page, "浏览器测试科技", data)
    assert page.get_attribute("#report", "data-path") == "standard_contract_or_certification"
    text = page.inner_text("#report")
    assert "S01 第八条" in text and f"{people.individuals:,}" in text
    pdf = page.pdf(format="A4", print_background=True)  # what "save as PDF" gives, with the print CSS
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    (tmp_path / "report.pdf").write_bytes(pdf)


def test_report_and_ledger_fit_a_phone(page, tmp_path):
    """At 390 px the report (long source URLs) and the ledger (wide tables) do not widen the page."""
    register_in_page(page, "phone@example.com", "手机测试公司")
    page.set_viewport_size({"width": 390, "height": 800})
    people = make_people(n_people=20, n_rows=40, seed=3, minors=1)
    data = write_csv(tmp_path / "orders_with_a_rather_long_file_name_for_a_phone_screen.csv", people.rows)
    page.goto("/crossborder")
    page.check("input[name=record]")
    _assess(page, "手机测试科技", data)
    width = "document.documentElement.scrollWidth"
    assert page.evaluate(width) <= 390
    page.goto("/crossborder/assessments")
    assert page.evaluate(width) <= 390
    assert page.eval_on_selector("#ledger", "t => getComputedStyle(t).borderCollapse") == "collapse"  # site style
    page.click("#ledger a")
    page.wait_for_selector("#report")
    assert page.evaluate(width) <= 390
