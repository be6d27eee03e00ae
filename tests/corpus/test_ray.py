import json
import os

import pyarrow.parquet as pq
import pytest

from moli.corpus.pipeline import build
from moli.corpus.recipe import load_recipe

from .conftest import write_recipe


def _rows(folder):
    out = []
    for p in sorted(folder.glob("*.parquet")):
        out.extend(pq.read_table(p).to_pylist())
    return out


@pytest.fixture(scope="module")
def ray_cluster():
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.mark.ray
@pytest.mark.slow
def test_ray_executor_keeps_the_same_ids_as_local(ray_cluster, bad_docs, tmp_path):
    # a file named in GBK (as zips made on Windows name them): read by its real name on the workers too
    gbk_name = os.fsdecode(os.fsencode(str(bad_docs)) + b"/" + "浦东通知二.txt".encode("gbk"))
    with open(gbk_name, "w", encoding="utf-8") as fh:
        fh.write("浦东新区科技和经济委员会关于加强语料库建设的通知。各有关单位：为落实本区支持大模型产业发展的措施，"
                 "现就政务语料和行业语料的汇聚、清洗、标注与开放工作通知如下。一、建立语料目录，明确数据来源和授权。"
                 "二、对涉及个人信息的内容先行脱敏，再进入训练数据集。三、按季度报送语料建设进展和使用情况。\n")
    local = load_recipe(write_recipe(tmp_path / "l.yaml", inputs=["docs/*"], out="out/local"))
    on_ray = load_recipe(write_recipe(tmp_path / "r.yaml", inputs=["docs/*"], out="out/ray"))
    build(local, workers=1)
    res = build(on_ray, executor="ray")
    l_data, r_data = _rows(tmp_path / "out" / "local" / "data"), _rows(tmp_path / "out" / "ray" / "data")
    assert [r["id"] for r in r_data] == [r["id"] for r in l_data] and len(r_data) > 5
    assert r_data == l_data
    assert any("浦东通知二" in r["id"] for r in r_data)
    l_rem, r_rem = _rows(tmp_path / "out" / "local" / "removed"), _rows(tmp_path / "out" / "ray" / "removed")
    assert {(r["id"], r["removed_by"], r["reason"], r["duplicate_of"]) for r in r_rem} == {
        (r["id"], r["removed_by"], r["reason"], r["duplicate_of"]) for r in l_rem}
    assert res.manifest["executor"] == "ray"
    local_stats = json.loads((tmp_path / "out" / "local" / "stats.json").read_text(encoding="utf-8"))
    l_steps = [(s["name"], s["in"], s["out"], s["removed"]) for s in local_stats["steps"]]
    assert [(s["name"], s["in"], s["out"], s["removed"]) for s in res.stats["steps"]] == l_steps


def test_ray_batch_function_keeps_fixed_width_keys_without_a_cluster():
    """The map_batches function itself: an exact key ending in NUL bytes must keep its 16 bytes."""
    import pyarrow as pa

    from moli.corpus.dedup import exact_key
    from moli.corpus.ray_executor import _apply_batch
    from moli.corpus.steps import DedupExact

    text = next(t for t in (f"第{i}条 数据安全。" for i in range(100000)) if exact_key(t).endswith(b"\x00"))
    batch = pa.table({"shard": [0, 0], "row": [0, 1], "id": ["a", "b"], "text": [text, "第二条 其他。"],
                      "source": ["s", "s"], "meta": ["{}", "{}"], "removed_by": [None, None], "reason": [None, None]})
    out = _apply_batch(batch, [DedupExact()]).to_pylist()
    assert [len(r["p0"]) for r in out] == [16, 16] and out[0]["p0"] == exact_key(text)
