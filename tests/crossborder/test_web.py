"""Web pages: the guided form gives the same report as the CLI; uploads; the ledger per organisation."""

from __future__ import annotations

from moli.crossborder import service

from .conftest import write_csv

FORM = {"exporter_name": "临港智算科技", "registration": "lingang", "transfer_date": "2026-05-01",
        "recipient_name": "US Cloud", "recipient_country": "US", "activity": "other", "scenario": "none",
        "individuals": "150000", "sensitive_individuals": "0", "history": "2026-02-01, 5000, 0"}


def test_form_page_is_chinese_first(client):
    r = client.get("/crossborder")
    assert r.status_code == 200
    assert r.text.index("数据出境合规自检") < r.text.index("Cross-border data export check")
    assert 'name="csrf_token"' in r.text and 'enctype="multipart/form-data"' in r.text


def test_form_gives_the_same_report_as_the_function(client):
    r = client.post("/crossborder/assess", data=FORM)
    assert r.status_code == 200, r.text[:2000]
    assert 'data-path="standard_contract_or_certification"' in r.text
    assert "S01 第八条" in r.text and "155,000" in r.text
    plan = {"exporter": {"name": "临港智算科技", "registration": "lingang"},
            "transfer": {"date": "2026-05-01", "recipient": {"name": "US Cloud", "country": "US"}},
            "data": {"individuals": 150000}, "history": [{"date": "2026-02-01", "individuals": 5000}]}
    expected = service.run_assessment(service.plan_from_mapping(plan))
    api = client.post("/api/v1/crossborder/assess", json=plan).json()
    assert api["path"] == expected["path"] and api["rules"] == expected["rules"]
    assert api["counts"] == expected["counts"]


def test_bad_form_value_names_the_field(client):
    r = client.post("/crossborder/assess", data={**FORM, "individuals": "-5"})
    assert r.status_code == 400
    assert "data.individuals" in r.text and "不能为负数" in r.text


def test_upload_is_scanned_and_download(client, tmp_path, people):
    path = write_csv(tmp_path / "orders.csv", people.rows)
    with open(path, "rb") as fh:
        r = client.post("/crossborder/assess", data={**FORM, "individuals": "", "history": ""},
                        files=[("data", ("orders.csv", fh, "text/csv"))])
    assert r.status_code == 200, r.text[:2000]
    assert f"{people.individuals:,}" in r.text and "身份证号" in r.text
    with open(path, "rb") as fh:
        d = client.post("/crossborder/assess", data={**FORM, "format": "html"},
                        files=[("data", ("orders.csv", fh, "text/csv"))])
    assert d.status_code == 200 and "attachment" in d.headers["content-disposition"]
    assert d.text.startswith("<!doctype html>") and "@media print" in d.text
    # the downloaded file lays out its own page; the site's page keeps the site's layout (the report's
    # body rule had narrowed the whole page, navigation included, to 60rem)
    assert "max-width: 60rem" in d.text and "max-width: 60rem" not in r.text
    bad = client.post("/crossborder/assess", data=FORM, files=[("data", ("notes.docx", b"x", "application/octet-stream"))])
    assert bad.status_code == 400 and "notes.docx" in bad.text


def test_ledger_is_per_organisation(client, login):
    login(client, role="enterprise", org="Org A")
    r = client.post("/crossborder/assess", data={**FORM, "history": "", "individuals": "60000", "record": "1"})
    assert r.status_code == 200 and "download-html" in r.text
    r2 = client.post("/crossborder/assess", data={**FORM, "history": "", "individuals": "50000",
                                                  "transfer_date": "2026-06-01", "record": "1"})
    assert 'data-path="standard_contract_or_certification"' in r2.text  # 60,000 + 50,000 from the ledger
    page = client.get("/crossborder/assessments")
    assert page.status_code == 200 and page.text.count("临港智算科技") >= 2 and "110,000" in page.text
    ids = [a["id"] for a in client.get("/api/v1/crossborder/assessments").json()]
    assert len(ids) == 2
    assert client.get(f"/crossborder/assessments/{ids[0]}/download").status_code == 200
    client.post("/logout")
    login(client, role="enterprise", org="Org B")
    assert client.get("/api/v1/crossborder/assessments").json() == []
    assert client.get(f"/crossborder/assessments/{ids[0]}").status_code == 403
    r3 = client.post("/crossborder/assess", data={**FORM, "history": "", "individuals": "50000", "record": "1"})
    assert 'data-path="exempt"' in r3.text  # Org B's window does not hold Org A's exports


def test_record_needs_login(client):
    r = client.post("/api/v1/crossborder/assess?record=true",
                    json={"exporter": {"name": "x"}, "transfer": {"date": "2026-05-01", "recipient": {"country": "US"}}})
    assert r.status_code == 401


def test_background_job_scans_upload_and_shows_report(client, login, tmp_path, people):
    login(client, role="enterprise", org="Org A")
    path = write_csv(tmp_path / "orders.csv", people.rows)
    with open(path, "rb") as fh:
        r = client.post("/crossborder/assess", data={**FORM, "history": "", "background": "1", "record": "1"},
                        files=[("data", ("orders.csv", fh, "text/csv"))], follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/crossborder/jobs/")
    page = client.get(r.headers["location"])  # jobs run inline in tests (MOLI_JOBS_IMMEDIATE=1)
    assert page.status_code == 200 and 'id="report"' in page.text and f"{people.individuals:,}" in page.text
    assert len(client.get("/api/v1/crossborder/assessments").json()) == 1
    job_id = int(r.headers["location"].rsplit("/", 1)[1])
    home = tmp_path / "moli_home"
    assert home.is_dir() and not list(home.glob("crossborder_*"))  # the job removed its upload folder
    # a failing scan (unreadable file, no --allow-partial) marks the job failed with the reason
    with open(path, "rb") as fh:
        r2 = client.post("/crossborder/assess", data={**FORM, "background": "1"},
                         files=[("data", ("orders.csv", fh, "text/csv")), ("data", ("bad.parquet", b"nope", "x"))],
                         follow_redirects=False)
    failed = client.get(r2.headers["location"])
    assert "评估失败" in failed.text and "bad.parquet" in failed.text
    client.post("/logout")
    login(client, role="enterprise", org="Org B")
    assert client.get(f"/crossborder/jobs/{job_id}").status_code == 403


def test_form_column_lists_take_chinese_separators(client, tmp_path):
    from .conftest import write_jsonl

    rows = [{"手机号": f"138{i:08d}", "行程安排": "展会", "病情": "感冒"} for i in range(12)]
    path = write_jsonl(tmp_path / "staff.jsonl", rows)
    form = {**FORM, "individuals": "", "history": "", "sensitive_individuals": ""}

    def sensitive_count(**extra) -> str:
        with open(path, "rb") as fh:
            r = client.post("/crossborder/assess", data={**form, **extra}, files=[("data", ("staff.jsonl", fh, "x"))])
        assert r.status_code == 200, r.text[:2000]
        return r.text.split("本次敏感个人信息人数")[1].split("</td>")[0]

    assert sensitive_count().endswith(">12")  # 病情 and 行程安排 read as sensitive by their names
    assert sensitive_count(plain_columns="行程安排、病情").endswith(">0")
    assert sensitive_count(plain_columns="行程安排，").endswith(">12")


def test_gbk_upload_is_scanned_and_noted(client, tmp_path, people):
    """A CSV saved by Excel on Chinese Windows (GBK) is read, and the report says which encoding was used."""
    path = write_csv(tmp_path / "orders.csv", people.rows)
    gbk = path.read_text(encoding="utf-8").encode("gbk")
    r = client.post("/crossborder/assess", data={**FORM, "individuals": "", "history": ""},
                    files=[("data", ("订单.csv", gbk, "text/csv"))])
    assert r.status_code == 200, r.text[:2000]
    assert f"{people.individuals:,}" in r.text and "订单.csv（GB18030）" in r.text
    assert "不是有效的 UTF-8" not in r.text


def test_uploads_are_named_as_uploaded_never_by_server_path(client, login, tmp_path, people):
    home = str(tmp_path / "moli_home")
    good = write_csv(tmp_path / "x.csv", people.rows[:60]).read_bytes()
    corrupt = b"\xff\xfe\xfd,a\n1,2\n"
    form = {**FORM, "individuals": "", "history": ""}
    # anonymous, partial: the report names both files as uploaded
    r = client.post("/crossborder/assess", data={**form, "allow_partial": "1"},
                    files=[("data", ("good.csv", good, "text/csv")), ("data", ("corrupt.csv", corrupt, "text/csv"))])
    assert r.status_code == 200, r.text[:2000]
    assert "good.csv（60 行 rows）" in r.text and "corrupt.csv：" in r.text
    assert home not in r.text and "crossborder_" not in r.text and "00_good" not in r.text
    # not partial: the error names the upload, not the server file
    bad = client.post("/crossborder/assess", data=form, files=[("data", ("corrupt.csv", corrupt, "text/csv"))])
    assert bad.status_code == 400 and "corrupt.csv：" in bad.text and "字节偏移" in bad.text
    assert home not in bad.text and "00_corrupt" not in bad.text
    # the background job: its failure message and its parameters hold no server path
    login(client, role="enterprise", org="Org A")
    r2 = client.post("/crossborder/assess", data={**form, "background": "1"},
                     files=[("data", ("corrupt.csv", corrupt, "text/csv"))], follow_redirects=False)
    job_url = r2.headers["location"]
    failed = client.get(job_url)
    assert "corrupt.csv" in failed.text and home not in failed.text and "00_corrupt" not in failed.text
    job = client.get("/api/v1/jobs/" + job_url.rsplit("/", 1)[1]).json()
    assert job["status"] == "failed" and home not in repr(job)


def test_users_read_chinese_names_not_codes(client, login):
    form = client.get("/crossborder").text
    assert "个人信息保护法第二十八条 + GB/T 45574-2025（默认）" in form
    assert "GB/T 35273-2020 附录B 表B.1（从严）" in form
    assert ">pipl_gbt45574_2025<" not in form and ">gbt35273_2020_strict<" not in form
    login(client, role="enterprise", org="Org A")
    client.post("/crossborder/assess", data={**FORM, "history": "", "individuals": "150000", "record": "1"})
    client.post("/crossborder/assess", data={**FORM, "history": "", "individuals": "10", "record": "1",
                                             "transfer_date": "2026-01-05"})
    ledger = client.get("/crossborder/assessments").text
    # the site's table style, scrolling inside its wrapper on a phone
    assert ledger.count('<div class="table-wrap">') == 2 and '<table class="table" id="ledger">' in ledger
    assert '<table class="table" id="ledger-summary">' in ledger
    row = ledger.split('id="ledger"')[1]
    assert row.index("订立个人信息出境标准合同或通过个人信息保护认证") < row.index("standard contract or certification")
    assert "免予申报安全评估、订立标准合同和认证" in row
    assert "<code>standard_contract_or_certification</code></small>" in row  # the code only in small print
    # a failed job's status: Chinese first, as on /jobs
    r = client.post("/crossborder/assess", data={**FORM, "background": "1"},
                    files=[("data", ("bad.parquet", b"nope", "x"))], follow_redirects=False)
    page = client.get(r.headers["location"]).text
    assert '<strong id="job-status" class="status-failed">失败 failed</strong>' in page


def test_form_refuses_an_unknown_country_and_says_which_codes(client):
    assert "ISO 3166-1" in client.get("/crossborder").text
    r = client.post("/crossborder/assess", data={**FORM, "recipient_country": "ZZ"})
    assert r.status_code == 400
    assert "transfer.recipient.country" in r.text and "未知的国家或地区代码" in r.text
    r = client.post("/crossborder/assess", data={**FORM, "individuals": "100", "sensitive_individuals": "500"})
    assert r.status_code == 400 and "data.sensitive_individuals" in r.text
