"""Build a corpus from the web: upload documents, the ``corpus.build`` job runs the standard steps and
registers the corpus for the uploader's organisation (jobs run inline in tests)."""

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # a real build, the domain and PII models included

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "corpus" / "docs"
# a notice whose contact line must not be published
CONTACT = ("关于开展公共数据开放需求征集工作的通知\n各有关单位：为做好本区公共数据开放工作，现面向社会征集数据开放需求。"
           "请于本月底前通过电子邮件或电话反馈需求清单，写明所需数据的名称、用途、更新频率和字段说明。"
           "征集结果将作为年度开放计划的重要依据，相关部门将逐项研究答复。\n联系人：王建国，联系电话：13812345678。\n"
           "区数据局\n2024年3月1日")
FORM = {"name": "web-notices", "version": "1", "domain": "government_affairs", "licence": "公有领域（著作权法第五条）",
        "access": "internal", "description": "网页上传的通知", "text_field": "text"}


def _files(**extra):
    files = {name: (FIXTURES / name).read_bytes() for name in ("notice.txt", "report.md", "standard.docx")}
    files["copy-of-notice.txt"] = files["notice.txt"]
    files["contact.txt"] = CONTACT.encode()
    files.update(extra)
    return [("files", (name, data, "application/octet-stream")) for name, data in files.items()]


def test_upload_build_register_and_see_the_corpus(client, login, moli_home):
    assert client.get("/corpus/new", follow_redirects=False).status_code == 303  # log in first
    login(client, org="Org A")
    assert 'id="corpus-new-link"' in client.get("/corpus").text
    page = client.get("/corpus/new")
    assert page.status_code == 200 and "开始构建" in page.text
    broken = {"broken.pdf": b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage\n%%EOF"}
    r = client.post("/corpus/new", data=FORM, files=_files(**broken), follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/jobs/")
    job = client.get("/api/v1" + r.headers["location"]).json()
    assert job["status"] == "succeeded", job
    assert job["result"]["url"] == "/corpus/web-notices?version=1" and job["result"]["kept"] == 4
    # the copy of the notice is a duplicate; the corrupt PDF is reported and the build goes on
    assert job["result"]["removed"] == {"dedup_exact": 1, "read": 1}
    assert sum(job["result"]["read_errors"].values()) == 1
    assert 'href="/corpus/web-notices?version=1"' in client.get(r.headers["location"]).text
    corpus = client.get("/corpus/web-notices?version=1")
    assert corpus.status_code == 200 and "网页上传的通知" in corpus.text
    assert "<strong>政务</strong>" in corpus.text  # the domain by its name
    assert "政务 <small>government_affairs</small>" in client.get("/corpus").text
    assert "13812345678" not in corpus.text and "[PHONE]" in corpus.text  # redacted before publishing
    assert not list(moli_home.glob("corpus_upload_*"))  # the job removed the uploads
    # internal: the uploader's organisation sees it, another does not
    client.post("/logout")
    login(client, org="Org B")
    assert "web-notices" not in client.get("/corpus").text


def test_bad_form_or_file_is_refused_and_keeps_nothing(client, login, moli_home):
    login(client, org="Org A")
    r = client.post("/corpus/new", data={**FORM, "licence": " "}, files=_files())
    assert r.status_code == 400 and 'data-field="licence"' in r.text and "许可" in r.text
    assert 'value="web-notices"' in r.text  # the form keeps what was typed
    r = client.post("/corpus/new", data=FORM, files=_files(**{"setup.exe": b"MZ"}))
    assert r.status_code == 400 and "setup.exe" in r.text and 'data-field="files"' in r.text
    r = client.post("/corpus/new", data={**FORM, "name": "no spaces allowed"}, files=_files())
    assert r.status_code == 400 and 'data-field="name"' in r.text
    r = client.post("/corpus/new", data={**FORM, "version": "../x"}, files=_files())
    assert r.status_code == 400 and 'data-field="version"' in r.text
    r = client.post("/corpus/new", data=FORM)
    assert r.status_code == 400 and 'data-field="files"' in r.text
    assert not list(moli_home.glob("corpus_upload_*"))
    assert client.get("/api/v1/jobs").json()["jobs"] == []  # nothing was queued
    # the same name and version twice: the second is refused before anything is queued
    assert client.post("/corpus/new", data=FORM, files=_files(), follow_redirects=False).status_code == 303
    r = client.post("/corpus/new", data=FORM, files=_files())
    assert r.status_code == 400 and "已存在" in r.text and re.search(r'data-field="version"', r.text)
