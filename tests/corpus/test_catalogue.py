"""Catalogue: registration, access levels, CLI, web pages and the demo corpus."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from moli.corpus import service
from moli.corpus.pipeline import build
from moli.corpus.recipe import load_recipe

from .conftest import write_recipe


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One build of the fixture documents, shared by the tests of this module."""
    from .conftest import copy_fixture_docs

    tmp = tmp_path_factory.mktemp("catalogue")
    copy_fixture_docs(tmp / "docs")
    recipe = load_recipe(write_recipe(tmp / "r.yaml", inputs=["docs/*"], out="out/cat"))
    return recipe, build(recipe, workers=1)


def _with_access(recipe, access):
    return recipe.model_copy(update={"catalogue": recipe.catalogue.model_copy(update={"access": access})})


def _register(recipe, result, access="public", owner=None):
    from moli.core.db import ensure_database, session_scope

    ensure_database()
    with session_scope() as s:
        return service.register(s, _with_access(recipe, access), result, owner_org_id=owner).id


def test_register_is_an_upsert_and_lists(session, built):
    recipe, result = built
    a = service.register(session, recipe, result)
    b = service.register(session, _with_access(recipe, "public"), result)
    assert a.id == b.id and b.access == "public"
    rows = service.list_corpora(session, None)
    assert [c.name for c in rows] == ["test-corpus"]
    summary = service.corpus_summary(rows[0])
    assert summary["documents"] == result.summary["kept"] and summary["recipe_hash"] == recipe.hash()


def test_access_levels(session, built):
    from moli.core import accounts

    recipe, result = built
    org_a = accounts.get_or_create_org(session, "Org A")
    org_b = accounts.get_or_create_org(session, "Org B")
    session.flush()
    corpus = service.register(session, _with_access(recipe, "internal"), result, owner_org_id=org_a.id)

    class U:  # the attributes moli.core.access reads
        def __init__(self, org, role="enterprise"):
            self.organisation_id, self.role = org, role

    assert service.list_corpora(session, None) == []
    assert service.list_corpora(session, U(org_b.id)) == []
    assert service.list_corpora(session, U(org_a.id)) == [corpus]
    assert service.list_corpora(session, U(None, "staff")) == [corpus]
    service.set_access(session, corpus, "restricted", as_admin=True)
    assert service.list_corpora(session, None) == [] and service.list_corpora(session, U(org_b.id)) == [corpus]
    assert not service.can_see_documents(U(org_b.id), corpus) and service.can_see_documents(U(org_a.id), corpus)


def test_corpus_page_shows_charts_samples_with_pii_and_removed(client, built):
    recipe, result = built
    _register(recipe, result, "public")
    page = client.get("/corpus")
    assert page.status_code == 200 and "语料目录" in page.text and "/corpus/test-corpus" in page.text
    r = client.get("/corpus/test-corpus")
    assert r.status_code == 200
    html = r.text
    assert '<script src="/corpus/static/plotly.min.js"></script>' in html and "cdn" not in html.lower()
    for chart in ("chart-steps", "chart-removed", "chart-lengths", "chart-pii"):
        assert f'id="{chart}"' in html
    assert '<mark class="pii" title="PHONE">[PHONE]</mark>' in html
    assert "dup-exact" in html and "exact_duplicate" in html and "law-b4f94f25bbe4" in html
    only_quality = client.get("/corpus/test-corpus?removed_by=quality").text
    table = only_quality.split('id="removed-table"')[1].split("</table>")[0]
    assert "nav-1" in table and "exact_duplicate" not in table
    js = client.get("/corpus/static/plotly.min.js")
    assert js.status_code == 200 and "javascript" in js.headers["content-type"] and len(js.content) > 1_000_000


def test_restricted_and_internal_pages_respect_the_owner(client, built, login):
    recipe, result = built
    user_a = login(client, org="Org A")
    _register(recipe, result, "internal", owner=user_a.organisation_id)
    assert "[PHONE]" in client.get("/corpus/test-corpus").text
    assert client.get("/api/v1/corpus/test-corpus/samples").status_code == 200
    client.post("/logout")
    client.headers["X-CSRF-Token"] = client.cookies.get("moli_csrf")
    assert client.get("/corpus/test-corpus").status_code == 404  # anonymous: not even listed
    assert "test-corpus" not in client.get("/api/v1/corpus").text
    login(client, org="Org B")
    assert client.get("/corpus/test-corpus").status_code == 404
    _register(recipe, result, "restricted", owner=user_a.organisation_id)
    page = client.get("/corpus/test-corpus")
    assert page.status_code == 200 and 'id="documents-restricted"' in page.text and "[PHONE]" not in page.text
    assert client.get("/api/v1/corpus/test-corpus/samples").status_code == 403
    assert 'id="access-form"' not in page.text
    assert client.post("/corpus/test-corpus/access", data={"access": "public"}).status_code == 403


def test_owner_changes_the_access_level_through_the_form(client, built, login):
    recipe, result = built
    user_a = login(client, org="Org A")
    _register(recipe, result, "internal", owner=user_a.organisation_id)
    assert 'id="access-form"' in client.get("/corpus/test-corpus").text
    r = client.post("/corpus/test-corpus/access", data={"access": "public", "version": "1"}, follow_redirects=False)
    assert r.status_code == 303
    bad = client.post("/corpus/test-corpus/access", data={"access": "secret"})
    assert bad.status_code == 400 and "access" in bad.text
    client.post("/logout")
    client.headers["X-CSRF-Token"] = client.cookies.get("moli_csrf")
    assert "[PHONE]" in client.get("/corpus/test-corpus").text  # now public


def test_cli_build_list_show(moli_home, docs_dir, tmp_path):
    from moli.cli import app

    recipe = write_recipe(tmp_path / "r.yaml", inputs=["docs/*"], out="out/cli",
                          steps=[{"normalize": {}}, {"quality": {}}, {"dedup_exact": {}}])
    runner = CliRunner()
    res = runner.invoke(app, ["corpus", "build", str(recipe), "--workers", "1", "--no-progress"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.output[res.output.index("{"):])
    assert summary["catalogue"]["name"] == "test-corpus" and summary["removed"]["dedup_exact"] == 1
    listed = json.loads(runner.invoke(app, ["corpus", "list", "--json"]).output)
    assert [c["name"] for c in listed] == ["test-corpus"] and listed[0]["documents"] == summary["kept"]
    shown = json.loads(runner.invoke(app, ["corpus", "show", "test-corpus", "--samples", "2"]).output)
    assert len(shown["samples"]) == 2 and shown["manifest"]["counts"]["kept"] == summary["kept"]


def test_cli_bad_recipe_exits_2_with_both_languages(moli_home, tmp_path, monkeypatch, capsys):
    import sys

    from moli.cli import main

    bad = write_recipe(tmp_path / "bad.yaml", inputs=["nowhere/*"], out="o", steps=[{"dedupe": {}}])
    monkeypatch.setattr(sys, "argv", ["moli", "corpus", "build", str(bad)])
    with pytest.raises(SystemExit) as exc:
        main()
    err = capsys.readouterr().err
    assert exc.value.code == 2 and "dedupe" in err and "未知的步骤" in err and "unknown step" in err


def test_demo_load_is_idempotent(session):
    from moli.corpus import demo

    first = demo.load(session)
    session.commit()
    again = demo.load(session)
    assert first["corpora"] == 1 and first["documents"] >= 10 and again == {"corpora": 0, "unchanged": ["pudong-gov-demo"]}
    corpus = service.get_corpus(session, "pudong-gov-demo")
    assert corpus.access == "public"
    assert Path(corpus.location).parts[-3:] == ("corpora", "pudong-gov-demo", corpus.version)  # as web builds
    ids = {d["id"] for d in service.sample_documents(corpus, n=100)}
    assert "seed_000_95235587940dae1c.txt" in ids
    removed = {r["id"]: (r["removed_by"], r["duplicate_of"]) for r in service.removed_documents(corpus, n=100)}
    assert removed["demo-copy-data-security-law"] == ("dedup_exact", "law-27e7ff6505f2")
    assert removed["demo-repost-seed"] == ("dedup_near", "seed_000_95235587940dae1c.txt")
    assert removed["demo-navigation"][0] == "quality"
    notice = next(d for d in service.sample_documents(corpus, n=100) if d["id"] == "demo-notice-pii")
    assert "[PHONE]" in notice["text"] and "13812345678" not in notice["text"]
    import pyarrow.parquet as pq

    full = {r["id"]: r["text"] for f in sorted(Path(corpus.location).glob("data/*.parquet"))
            for r in pq.read_table(f, columns=["id", "text"]).to_pylist()}
    seed = full["seed_000_95235587940dae1c.txt"]
    assert "卿逸男" not in seed and "联系人姓名：[PERSON]" in seed  # the seed's contact person (names: cued)
    assert "习近平" in "".join(full.values()) and "数据安全法" in full["law-27e7ff6505f2"]  # body names stay
    # labelled: every kept document has a domain, the laws span several; screened for safety
    from moli.corpus.domain import DOMAINS
    from moli.corpus.views_labels import labels_panel

    domains = {r["id"]: json.loads(r["meta"])["domain"] for f in sorted(Path(corpus.location).glob("data/*.parquet"))
               for r in pq.read_table(f, columns=["id", "meta"]).to_pylist()}
    assert set(domains.values()) <= set(DOMAINS) and len(set(domains.values())) >= 3
    panel = labels_panel(corpus.location)
    assert sum(panel["domain_chart"]["data"][0]["y"]) == len(full) and panel["safety"] is not None


def test_a_build_published_to_a_url_shows_where(client, tmp_path):
    import shutil

    from .conftest import FIXTURES

    shutil.copytree(FIXTURES / "docs", tmp_path / "docs")
    url = f"file://{tmp_path}/share/published"
    recipe = load_recipe(write_recipe(tmp_path / "r.yaml", inputs=["docs/*"], out=url))
    _register(recipe, build(recipe, workers=1), "public")
    assert f"<code>{url}</code>" in client.get("/corpus/test-corpus").text
    entry = next(c for c in client.get("/api/v1/corpus").json()["corpora"] if c["name"] == "test-corpus")
    assert entry["published_to"] == url and (tmp_path / "share" / "published" / "manifest.json").exists()
    assert "[PHONE]" in client.get("/corpus/test-corpus").text  # samples come from the local working copy
