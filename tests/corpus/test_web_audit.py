"""Defects a browser audit found on the corpus pages: a name taken over by another organisation, an
upload where nothing could be read, server paths shown to users, raw English codes, a wide card."""

import json

import pytest

from moli.corpus import service
from moli.corpus.pipeline import build
from moli.corpus.recipe import load_recipe
from moli.corpus.safety import assessment_report

from .conftest import FIXTURES, copy_fixture_docs, write_recipe

FORM = {"name": "shared-name", "version": "2", "domain": "government_affairs", "licence": "公有领域",
        "access": "internal", "description": "另一个组织的语料", "text_field": "text"}
CORRUPT_PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage\n%%EOF"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One build of the fixture documents plus a corrupt PDF (no safety step), shared by the module."""
    tmp = tmp_path_factory.mktemp("audit")
    copy_fixture_docs(tmp / "docs")
    (tmp / "docs" / "00_bad.pdf").write_bytes(CORRUPT_PDF)
    recipe = load_recipe(write_recipe(tmp / "r.yaml", inputs=["docs/*"], out="out/audit"))
    result = build(recipe, workers=1)
    assessment_report(result.out_dir)  # no safety step: technical not_run, human pending
    return recipe, result, tmp / "docs"


def _register(recipe, result, *, name="shared-name", version="1", access="public", owner=None):
    from moli.core.db import ensure_database, session_scope

    ensure_database()
    cat = recipe.catalogue.model_copy(update={"access": access, "version": version})
    with session_scope() as s:
        return service.register(s, recipe.model_copy(update={"name": name, "catalogue": cat}), result,
                                owner_org_id=owner).id


def _form_files():
    return [("files", ("notice.txt", (FIXTURES / "docs" / "notice.txt").read_bytes(), "text/plain"))]


def test_another_organisation_cannot_take_over_a_name(client, login, moli_home, built):
    recipe, result, _ = built
    _register(recipe, result)  # the public v1 of a name nobody owns (as the demo corpus)
    login(client, org="Org B")
    r = client.post("/corpus/new", data=FORM, files=_form_files())
    assert r.status_code == 400 and 'data-field="name"' in r.text
    assert "属于其他组织" in r.text and "belongs to another organisation" in r.text
    assert r.text.index("属于其他组织") < r.text.index("belongs to another organisation")  # Chinese first
    assert 'value="shared-name"' in r.text and "另一个组织的语料" in r.text  # the form keeps the input
    assert client.get("/api/v1/jobs").json()["jobs"] == []
    assert not list(moli_home.glob("corpus_upload_*"))


def test_a_private_name_is_refused_like_any_other_name(client, login, moli_home, built, session):
    recipe, result, _ = built
    owner = login(client, org="Org A")
    _register(recipe, result, name="private-name", access="internal", owner=owner.organisation_id)
    client.post("/logout")
    client.headers["X-CSRF-Token"] = client.cookies.get("moli_csrf")
    other = login(client, org="Org B")
    r = client.post("/corpus/new", data={**FORM, "name": "private-name", "version": "1"}, files=_form_files())
    assert r.status_code == 400 and "属于其他组织" in r.text and "已存在" not in r.text  # nothing about privacy
    # the owner may add versions (but not build over one); staff always may
    from moli.core.errors import InputError
    from tests.conftest import make_user

    service.ensure_may_build(session, "private-name", "2", owner)
    with pytest.raises(InputError) as exc:
        service.ensure_may_build(session, "private-name", "1", owner)
    assert exc.value.field == "version" and "已存在" in exc.value.zh
    service.ensure_may_build(session, "private-name", "2", make_user(role="staff", org=None))
    with pytest.raises(InputError):
        service.ensure_may_build(session, "private-name", "2", other)
    service.ensure_may_build(session, "unused-name", "1", other)


def test_unversioned_urls_show_the_latest_version_the_viewer_may_read(client, login, built):
    recipe, result, _ = built
    _register(recipe, result, version="1", access="public")
    user_b = login(client, org="Org B")
    _register(recipe, result, version="2", access="internal", owner=user_b.organisation_id)  # newer
    assert client.get("/api/v1/corpus/shared-name").json()["version"] == "2"  # its owner sees v2
    client.post("/logout")
    client.headers["X-CSRF-Token"] = client.cookies.get("moli_csrf")
    page = client.get("/corpus/shared-name")
    assert page.status_code == 200 and "<small>v1</small>" in page.text
    assert client.get("/api/v1/corpus/shared-name").json()["version"] == "1"
    assert client.get("/api/v1/corpus/shared-name?version=2").status_code == 404
    assert client.get("/corpus/no-such-name").status_code == 404


@pytest.mark.slow  # a real job through the standard steps
def test_an_upload_where_nothing_could_be_read_fails_and_adds_nothing(client, login, moli_home):
    login(client, org="Org A")
    form = {**FORM, "name": "unreadable", "version": "1"}
    files = [("files", ("00_bad.pdf", CORRUPT_PDF, "application/pdf")),
             ("files", ("empty.txt", b"", "text/plain"))]
    r = client.post("/corpus/new", data=form, files=files, follow_redirects=False)
    assert r.status_code == 303
    job = client.get("/api/v1" + r.headers["location"]).json()
    assert job["status"] == "failed", job
    message = job["message"]
    assert message.startswith("没有读到任何文档") and "no document could be read" in message
    assert "00_bad.pdf" in message and "PDF 已损坏" in message and "empty.txt" in message
    assert "corpus_upload_" not in message and str(moli_home) not in message  # names, not server paths
    assert "unreadable" not in client.get("/corpus").text
    assert client.get("/api/v1/corpus").json()["corpora"] == []
    assert not (moli_home / "corpora" / "unreadable").exists()  # no half-written output
    assert not list(moli_home.glob("corpus_upload_*"))


def test_users_never_see_server_paths(client, login, built):
    recipe, result, docs = built
    _register(recipe, result, access="public")
    root = str(docs)
    page = client.get("/corpus/shared-name")
    assert page.status_code == 200
    assert 'id="corpus-location"' not in page.text and str(result.out_dir) not in page.text
    assert root not in page.text and "00_bad.pdf" in page.text  # the removed table names the file
    card = client.get("/corpus/shared-name/card?version=1")
    assert card.status_code == 200 and root not in card.text and str(result.out_dir) not in card.text
    assert "<code>00_bad.pdf</code>" in card.text  # the inputs table by file names
    for url in ("/api/v1/corpus/shared-name", "/api/v1/corpus", "/api/v1/corpus/shared-name/removed",
                "/api/v1/corpus/shared-name/samples", "/api/v1/corpus/shared-name/safety"):
        body = client.get(url)
        assert body.status_code == 200 and root not in body.text and str(result.out_dir) not in body.text, url
    assert client.get("/api/v1/corpus/shared-name").json()["location"] is None
    # staff see where it is stored
    login(client, role="staff")
    page = client.get("/corpus/shared-name")
    assert 'id="corpus-location"' in page.text and str(result.out_dir) in page.text
    assert client.get("/api/v1/corpus/shared-name").json()["location"] == str(result.out_dir)


def test_the_card_names_inputs_relative_to_the_input_folder(built):
    _, result, docs = built
    readme = (result.out_dir / "README.md").read_text(encoding="utf-8")
    assert str(docs) not in readme and "`notice.txt`" in readme and "`00_bad.pdf`" in readme
    croissant = json.loads((result.out_dir / "croissant.json").read_text(encoding="utf-8"))
    assert croissant["conformsTo"] == "http://mlcommons.org/croissant/1.0" and str(docs) not in json.dumps(croissant)


def test_codes_on_the_corpus_page_are_chinese_first(client, login, built):
    recipe, result, _ = built
    owner = login(client, org="Org A")
    _register(recipe, result, access="internal", owner=owner.organisation_id)
    page = client.get("/corpus/shared-name").text
    assert "<strong>内部 <small>internal</small></strong>" in page
    assert '<strong id="safety-result">待人工抽检 <small>pending</small></strong>' in page
    assert "<td>未运行 <small>not_run</small></td>" in page and "<td>待人工抽检 <small>pending</small></td>" in page


def test_the_card_tables_scroll_inside_the_page(client, built):
    recipe, result, _ = built
    _register(recipe, result, access="public")
    card = client.get("/corpus/shared-name/card").text
    assert card.count('<div class="table-wrap"><table class="table">') >= 3 and "<table>" not in card
    assert card.count("<table") == card.count('<div class="table-wrap"><table')
    assert "overflow-wrap: anywhere" in card  # long hashes and names wrap
