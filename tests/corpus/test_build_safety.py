"""The build never damages what it did not write: output folders that hold the recipe, the inputs or
someone else's files are refused; a build does not read its own output back; leftovers of a killed
build are cleaned and never published; two builds of one output are refused; recipe errors in Chinese."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from moli.core.errors import ConfigError, InputError, MoliError
from moli.corpus.pipeline import build
from moli.corpus.recipe import load_recipe

from .conftest import write_recipe

TEXT = "浦东新区人民政府关于加强语料库建设的通知。各有关单位：为贯彻落实国家关于人工智能产业发展的决策部署，现就有关事项通知如下。"
STEPS = [{"normalize": {}}]


def _project(tmp_path: Path) -> Path:
    """A user's project: two input Parquet files in data/ and a README of their own."""
    proj = tmp_path / "proj"
    (proj / "data").mkdir(parents=True)
    for n in ("my_source_a", "my_source_b"):
        pq.write_table(pa.table({"id": [f"{n}{i}" for i in range(3)], "text": [f"{TEXT}{n}{i}" for i in range(3)]}),
                       proj / "data" / f"{n}.parquet")
    (proj / "README.md").write_text("# 我的项目说明 (precious)\n", encoding="utf-8")
    return proj


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("out", [".", "", "data", "..", "./data/.."])
def test_an_output_folder_holding_the_recipe_or_the_inputs_is_refused_and_nothing_is_touched(tmp_path, out):
    proj = _project(tmp_path)
    recipe = load_recipe(write_recipe(proj / "recipe.yaml", inputs=["data/*.parquet"], out=out, steps=STEPS))
    before = _snapshot(proj)
    with pytest.raises(InputError) as exc:
        build(recipe, workers=1)
    assert _snapshot(proj) == before  # inputs, README and recipe untouched, nothing added
    assert "output.path" in exc.value.zh or str(proj) in exc.value.zh
    assert exc.value.zh[0] not in "abcdefghijklmnopqrstuvwxyz"  # Chinese first


def test_a_non_empty_folder_that_is_not_an_earlier_output_is_refused(tmp_path):
    proj = _project(tmp_path)
    other = tmp_path / "someone-elses"
    other.mkdir()
    (other / "notes.txt").write_text("keep me", encoding="utf-8")
    recipe = load_recipe(write_recipe(proj / "recipe.yaml", inputs=["data/*.parquet"], out=str(other), steps=STEPS))
    with pytest.raises(InputError) as exc:
        build(recipe, workers=1)
    assert str(other) in exc.value.zh and "manifest.json" in exc.value.zh
    assert [p.name for p in other.iterdir()] == ["notes.txt"]


@pytest.mark.parametrize("out", ["README.md", "README.md/x", "/proc/moli-corpus-test"])
def test_an_output_path_that_is_a_file_or_unwritable_is_an_input_error(tmp_path, out):
    proj = _project(tmp_path)
    recipe = load_recipe(write_recipe(proj / "recipe.yaml", inputs=["data/*.parquet"], out=out, steps=STEPS))
    with pytest.raises(InputError) as exc:
        build(recipe, workers=1)
    assert "输出" in exc.value.zh
    assert (proj / "README.md").read_text(encoding="utf-8").startswith("# 我的项目说明")


def test_a_rebuild_deletes_only_what_builds_wrote(tmp_path):
    proj = _project(tmp_path)
    recipe = load_recipe(write_recipe(proj / "recipe.yaml", inputs=["data/*.parquet"], out="out/c", steps=STEPS))
    build(recipe, workers=1)
    out = proj / "out" / "c"
    assert not (out / ".moli-build.lock").exists() and not (out / ".moli-corpus").exists()
    mine = out / "data" / "my-notes.txt"
    mine.write_bytes(b"not ours")
    (out / "data" / "part-00042.parquet.bak").write_bytes(b"not ours either")
    tmp_left = out / "data" / ".part-00000.parquet.tmp-4242"  # left by a build killed with -9
    tmp_left.write_bytes(b"half a shard")
    build(recipe, workers=1)
    assert mine.read_bytes() == b"not ours" and (out / "data" / "part-00042.parquet.bak").exists()
    assert not tmp_left.exists()


def test_a_recursive_glob_does_not_read_the_build_s_own_output(tmp_path):
    proj = _project(tmp_path)
    recipe = load_recipe(write_recipe(proj / "recipe.yaml", inputs=["**/*.parquet"], out="out/c",
                                      steps=STEPS))
    kept = [build(recipe, workers=1).summary["kept"] for _ in range(3)]
    assert kept == [6, 6, 6]
    manifest = json.loads((proj / "out" / "c" / "manifest.json").read_text(encoding="utf-8"))
    assert all("/out/c/" not in i["url"] for i in manifest["inputs"])


def test_an_input_of_the_user_inside_an_earlier_output_is_refused(tmp_path):
    proj = _project(tmp_path)
    recipe = load_recipe(write_recipe(proj / "recipe.yaml", inputs=["**/*.parquet"], out="out/c", steps=STEPS))
    build(recipe, workers=1)
    extra = proj / "out" / "c" / "extra"
    extra.mkdir()
    pq.write_table(pa.table({"id": ["x"], "text": [TEXT]}), extra / "x.parquet")
    with pytest.raises(InputError) as exc:
        build(recipe, workers=1)
    assert "x.parquet" in exc.value.zh and (extra / "x.parquet").exists()


def test_a_second_build_of_the_same_output_is_refused_while_the_first_holds_it(tmp_path):
    proj = _project(tmp_path)
    recipe = load_recipe(write_recipe(proj / "recipe.yaml", inputs=["data/*.parquet"], out="out/c", steps=STEPS))
    from moli.corpus.pipeline import claim_output

    out = proj / "out" / "c"
    with claim_output(out):  # the first build (a real flock on OUT/.moli-build.lock)
        with pytest.raises(InputError) as exc:
            build(recipe, workers=1)
        assert f"另一个构建正在写入 {out}" in exc.value.zh
        assert (out / ".moli-build.lock").exists()
    assert build(recipe, workers=1).summary["kept"] == 6  # free again once the first ends


def test_publish_copies_only_what_the_manifest_lists(tmp_path):
    import fsspec

    from moli.corpus import service

    proj = _project(tmp_path)
    recipe = load_recipe(write_recipe(proj / "recipe.yaml", inputs=["data/*.parquet"], out="out/c", steps=STEPS))
    res = build(recipe, workers=1)
    out = res.out_dir
    (out / "data" / ".part-00001.parquet.tmp-777").write_bytes(b"half a shard")
    (out / "removed" / "stray.parquet").write_bytes(b"?")
    url = f"file://{tmp_path}/bucket/c"
    service.publish_output(out, url)
    fs, root = fsspec.core.url_to_fs(url)
    got = sorted(p[len(root.rstrip("/")) + 1:] for p in fs.find(root))
    listed = {f["path"] for f in res.manifest["files"]}
    assert set(got) == listed | {"manifest.json", "README.md", "croissant.json", "card.json"}


# --- recipe errors ------------------------------------------------------------------------------


def _recipe_text(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    p = tmp_path / "r.yaml"
    p.write_bytes(text.encode(encoding))
    return p


def test_a_gb18030_recipe_is_an_error_naming_the_byte_offset(tmp_path):
    p = _recipe_text(tmp_path, "name: 语料\ninput: {paths: [x]}\n", "gb18030")
    with pytest.raises(ConfigError) as exc:
        load_recipe(p)
    assert "字节偏移 6" in exc.value.zh and "UTF-8" in exc.value.zh


def test_a_misspelt_key_is_named_with_a_chinese_reason(tmp_path):
    p = _recipe_text(tmp_path, "name: p\ninput: {paths: [x]}\nsteps: [normalize]\noutptu: {path: out}\n")
    with pytest.raises(ConfigError) as exc:
        load_recipe(p)
    zh = exc.value.zh
    assert "outptu" in zh and "output" in zh and "未知的键" in zh and "缺少必填项" in zh
    assert "Field required" not in zh and "Extra inputs" not in zh
    assert "Field required" in exc.value.en and exc.value.field == "outptu"


def test_every_recipe_error_is_listed(tmp_path):
    p = _recipe_text(tmp_path, 'name: "a b"\ninput: {paths: x, foo: 1}\nsteps: [{quality: {bogus: 1}}, '
                               '{dedup_near: {threshold: high}}]\noutput: {path: out, shard_size: 0}\n')
    with pytest.raises(ConfigError) as exc:
        load_recipe(p)
    zh = exc.value.zh
    for where in ("steps[0].quality.bogus", "steps[1].dedup_near.threshold", "input.foo", "input.paths", "name",
                  "output.shard_size"):
        assert where in zh and where in exc.value.en
    assert "6 处错误" in zh and "应为列表" in zh and "须 ≥ 1" in zh and "应为数字" in zh
    assert "Input should" not in zh


# --- catalogue ------------------------------------------------------------------------------------


def test_show_of_a_missing_version_lists_the_versions_one_may_see(session):
    from moli.corpus import service
    from moli.corpus.models import Corpus

    session.add_all([Corpus(name="gov", version="1", access="public", location="/x"),
                     Corpus(name="gov", version="2", access="internal", location="/y"),
                     Corpus(name="secret", version="1", access="internal", location="/z")])
    session.flush()
    with pytest.raises(MoliError) as exc:
        service.get_corpus(session, "gov", "9")
    assert "没有版本 9" in exc.value.zh and "1" in exc.value.zh and "2" not in exc.value.zh.replace("没有版本 9", "")
    with pytest.raises(MoliError) as exc:
        service.get_corpus(session, "gov", "9", as_admin=True)
    assert "1、2" in exc.value.zh
    with pytest.raises(MoliError) as exc:  # an internal corpus's existence is not revealed
        service.get_corpus(session, "secret", "9")
    assert "没有名为 secret 的语料" in exc.value.zh
