import hashlib
import itertools
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from moli.corpus.pipeline import build
from moli.corpus.recipe import load_recipe

from .conftest import write_recipe


def _table(folder: Path) -> list[dict]:
    rows = []
    for p in sorted(folder.glob("*.parquet")):
        rows.extend(pq.read_table(p).to_pylist())
    return rows


def test_build_writes_the_contract_outputs(bad_docs, tmp_path):
    recipe = load_recipe(write_recipe(tmp_path / "r.yaml", inputs=["docs/*"], out="out/c"))
    res = build(recipe, workers=1)
    out = tmp_path / "out" / "c"
    data = _table(out / "data")
    removed = _table(out / "removed")
    assert set(pq.read_schema(next((out / "data").glob("*.parquet"))).names) == {"id", "text", "meta"}
    assert pq.ParquetFile(next((out / "data").glob("*.parquet"))).metadata.row_group(0).column(0).compression == "ZSTD"
    ids = {r["id"] for r in data}
    assert {"law-93a3acc412b9", "law-b4f94f25bbe4", "law-3c6bed4e0060", "pii-1", "csv-1", "standard.docx",
            "notice.txt"} <= ids
    why = {r["id"]: (r["removed_by"], r["reason"], r["duplicate_of"]) for r in removed}
    assert why["dup-exact"] == ("dedup_exact", "exact_duplicate", "law-b4f94f25bbe4")
    assert why["dup-near"] == ("dedup_near", "near_duplicate", "law-3c6bed4e0060")
    # the HTML page carries the same law as a JSONL record read earlier
    assert why["page.html"][0] in ("dedup_exact", "dedup_near") and why["page.html"][2] == "law-affb8ffe54ed"
    assert why["nav-1"][0] == "quality" and why["en-1"] == ("language", "language_en", None)
    assert why["corrupt.pdf"][0] == "read" and why["encrypted.docx"][1] == "encrypted_or_ole"
    assert why["empty.html"][1] == "no_text" and why["binary.txt"][1] == "binary_file"
    assert not ids & set(why)  # nothing both kept and removed
    # the pii step redacted and the traditional text was converted
    pii = next(r for r in data if r["id"] == "pii-1")
    assert "13812345678" not in pii["text"] and json.loads(pii["meta"])["pii_counts"]["PHONE"] == 1
    assert "國" not in next(r for r in data if r["id"] == "notice.txt")["text"]
    # shard_size 4 → several data files; manifest lists each with its sha256
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert len(list((out / "data").glob("*.parquet"))) == -(-len(data) // 4)
    for f in manifest["files"]:
        assert hashlib.sha256((out / f["path"]).read_bytes()).hexdigest() == f["sha256"]
    assert manifest["recipe_hash"] == recipe.hash() and manifest["moli_version"]
    assert manifest["counts"]["kept"] == len(data) and manifest["counts"]["removed"] == len(removed)
    stats = json.loads((out / "stats.json").read_text(encoding="utf-8"))
    near = next(s for s in stats["steps"] if s["name"] == "dedup_near")
    n_near = sum(1 for r in removed if r["removed_by"] == "dedup_near")
    assert n_near >= 1 and near["removed"] == {"near_duplicate": n_near} and near["in"] - near["out"] == n_near
    assert stats["read"]["errors"]["binary_file"] == 1 and stats["kept"] == len(data)
    assert res.summary["read_errors"]["no_text"] == 1
    assert not (out / ".staging").exists()
    # no temp files left behind
    assert not [p for p in out.rglob(".*tmp*")]


@pytest.mark.slow
def test_two_workers_give_the_same_output_as_one(docs_dir, tmp_path):
    r1 = load_recipe(write_recipe(tmp_path / "r1.yaml", inputs=["docs/*"], out="out/one"))
    r2 = load_recipe(write_recipe(tmp_path / "r2.yaml", inputs=["docs/*"], out="out/two"))
    build(r1, workers=1)
    build(r2, workers=2)
    one, two = tmp_path / "out" / "one", tmp_path / "out" / "two"
    assert _table(one / "data") == _table(two / "data")
    assert _table(one / "removed") == _table(two / "removed")


def _big_input(folder: Path, n_files: int, docs_per_file: int) -> None:
    folder.mkdir(parents=True)
    base = "第{i}条　为了规范数据处理活动，保障数据安全，促进数据开发利用，保护个人、组织的合法权益。第{j}款　本法适用于境内数据处理活动。"
    for f in range(n_files):
        with open(folder / f"part-{f:03d}.jsonl", "w", encoding="utf-8") as fh:
            for d in range(docs_per_file):
                n = f * docs_per_file + d
                text = "\n".join(base.format(i=n * 7 + k, j=n % 13 + k) for k in range(6))
                if n % 10 == 3:  # an exact duplicate of the previous document
                    n_prev = n - 1
                    text = "\n".join(base.format(i=n_prev * 7 + k, j=n_prev % 13 + k) for k in range(6))
                fh.write(json.dumps({"id": f"d{n}", "text": text}, ensure_ascii=False) + "\n")


@pytest.mark.slow
def test_killed_build_resumes_with_nothing_missing_or_doubled(tmp_path):
    _big_input(tmp_path / "in", n_files=12, docs_per_file=60)
    steps = [{"normalize": {}}, {"quality": {}}, {"dedup_exact": {}}, {"dedup_near": {}}]
    ref = write_recipe(tmp_path / "ref.yaml", inputs=["in/*.jsonl"], out="out/ref", steps=steps)
    rec = write_recipe(tmp_path / "run.yaml", inputs=["in/*.jsonl"], out="out/run", steps=steps,
                       batch_size=20)
    build(load_recipe(ref), workers=1)
    env = {**os.environ, "MOLI_HOME": str(tmp_path / "home")}
    cmd = [sys.executable, "-c", "from moli.cli import main; main()", "corpus", "build", str(rec), "--workers", "1", "--no-register",
           "--no-progress"]
    proc = subprocess.Popen(cmd, env=env, start_new_session=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    staging = tmp_path / "out" / "run" / ".staging"
    deadline = time.time() + 120
    done = []
    while time.time() < deadline and proc.poll() is None:
        done = list(staging.glob("*/shard-*/done.json")) if staging.exists() else []
        if len(done) >= 3:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the build finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    killed_at = len(list(staging.glob("*/shard-*/done.json")))
    assert 3 <= killed_at < 12
    assert not (tmp_path / "out" / "run" / "manifest.json").exists()
    res = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    run, refd = tmp_path / "out" / "run", tmp_path / "out" / "ref"
    got, want = _table(run / "data"), _table(refd / "data")
    assert [r["id"] for r in got] == [r["id"] for r in want] and got == want
    assert _table(run / "removed") == _table(refd / "removed")
    assert len({r["id"] for r in got}) == len(got)
    assert json.loads((run / "manifest.json").read_text())["counts"]["records_read"] == 720


def test_progress_callbacks_report_batches_and_shards(docs_dir, tmp_path):
    from moli.corpus.pipeline import _progress, run_local
    from moli.corpus.readers import expand_inputs

    recipe = load_recipe(write_recipe(tmp_path / "r.yaml", inputs=["docs/*"], out="out/p",
                                      steps=[{"normalize": {}}], batch_size=2))
    files = expand_inputs(recipe.input.paths, base_dir=recipe.base)
    batches, shards = [], []
    run_local(recipe, files, tmp_path / "staging", workers=1,
              on_shard=lambda f, done: shards.append((f.url, done["n_read"])),
              on_batch=lambda url, n, b: batches.append((url, n, b)))
    assert [u for u, _ in shards] == [f.url for f in files]
    jsonl = next(f.url for f in files if f.url.endswith(".jsonl.gz"))
    assert len([b for b in batches if b[0] == jsonl]) >= 5  # batches of 2 inside one file
    assert all(n >= 1 and b > 0 for _, n, b in batches)
    bar = _progress(files)
    with bar:
        for url, n, b in batches:
            bar.on_batch(url, n, b)
        for f in files:
            bar.on_shard(f, {"n_read": dict(shards)[f.url]})
    task = bar.progress.tasks[0]
    assert task.completed == task.total == sum(f.size for f in files)
    assert task.fields["docs"] == sum(n for _, n in shards) and task.fields["files"] == len(files)


def test_a_changed_input_file_is_processed_again_on_resume(docs_dir, tmp_path):
    from moli.corpus.pipeline import run_local, shard_done
    from moli.corpus.readers import expand_inputs

    recipe = load_recipe(write_recipe(tmp_path / "r.yaml", inputs=["docs/*.md", "docs/*.txt"], out="out/m",
                                      steps=[{"normalize": {}}]))
    files = expand_inputs(recipe.input.paths, base_dir=recipe.base)
    staging = tmp_path / "staging"
    run_local(recipe, files, staging, workers=1)
    assert all(shard_done(staging, i, f) for i, f in enumerate(files))
    target = next(f for f in files if f.url.endswith("notice.txt"))
    os.utime(target.url, (time.time() + 100, time.time() + 100))
    again = expand_inputs(recipe.input.paths, base_dir=recipe.base)
    assert [shard_done(staging, i, f) is None for i, f in enumerate(again)] == [f.url == target.url for f in again]


@pytest.mark.parametrize("scheme", ["file", "memory"])
def test_build_to_an_fsspec_url_publishes_the_finished_output(docs_dir, tmp_path, moli_home, scheme):
    """An output URL: the build runs in a local working copy, then every file goes to the URL and the
    manifest last; shards an earlier build left there are removed."""
    import fsspec

    url = f"file://{tmp_path}/bucket/corpus" if scheme == "file" else f"memory://bucket-{tmp_path.name}/corpus"
    fs, root = fsspec.core.url_to_fs(url)
    fs.makedirs(f"{root}/data", exist_ok=True)
    fs.pipe_file(f"{root}/data/part-99999.parquet", b"stale shard of an earlier build")
    fs.pipe_file(f"{root}/manifest.json", b"{}")
    recipe = load_recipe(write_recipe(tmp_path / "r.yaml", inputs=["docs/*"], out=url))
    res = build(recipe, workers=1)

    assert res.summary["published_to"] == url and res.out_dir.is_relative_to(moli_home)
    manifest = json.loads(fs.cat_file(f"{root}/manifest.json"))
    assert manifest["recipe_hash"] == recipe.hash() and manifest["counts"]["kept"] >= 5
    for f in manifest["files"]:  # every listed file arrived whole
        assert hashlib.sha256(fs.cat_file(f"{root}/{f['path']}")).hexdigest() == f["sha256"]
    assert not fs.exists(f"{root}/data/part-99999.parquet")
    assert fs.exists(f"{root}/croissant.json") and fs.exists(f"{root}/README.md")
    assert not [p for p in fs.find(root) if ".staging" in p]
    local = sorted(p.relative_to(res.out_dir).as_posix() for p in res.out_dir.rglob("*") if p.is_file())
    assert sorted(p[len(root.rstrip("/")) + 1:] for p in fs.find(root)) == local


def test_an_unusable_output_url_fails_before_reading(docs_dir, tmp_path, moli_home):
    from moli.core.errors import ConfigError

    recipe = load_recipe(write_recipe(tmp_path / "r.yaml", inputs=["docs/*"], out="nosuchproto://x/y"))
    with pytest.raises(ConfigError) as e:
        build(recipe, workers=1)
    assert "nosuchproto://x/y" in str(e.value) and e.value.field == "output.path"
    assert not (moli_home / "corpus-builds").exists() or not any((moli_home / "corpus-builds").rglob("*.parquet"))


def test_cli_publishes_a_finished_folder_and_refuses_a_damaged_one(docs_dir, tmp_path, moli_home, monkeypatch,
                                                                   capsys):
    from typer.testing import CliRunner

    from moli.cli import app

    recipe = load_recipe(write_recipe(tmp_path / "r.yaml", inputs=["docs/*"], out="out/c"))
    build(recipe, workers=1)
    out, share = tmp_path / "out" / "c", tmp_path / "share"
    res = CliRunner().invoke(app, ["corpus", "publish", str(out), f"file://{share}/c"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["published_to"] == f"file://{share}/c"
    assert (share / "c" / "manifest.json").read_bytes() == (out / "manifest.json").read_bytes()
    assert _table(share / "c" / "data") == _table(out / "data")
    # a shard that no longer matches its sha256: refused, naming the file, nothing copied
    shard = next((out / "data").glob("*.parquet"))
    shard.write_bytes(shard.read_bytes()[:-10])
    from moli.cli import main

    monkeypatch.setattr(sys, "argv", ["moli", "corpus", "publish", str(out), f"file://{share}/d"])
    with pytest.raises(SystemExit) as exc:
        main()
    err = capsys.readouterr().err
    assert exc.value.code == 2 and shard.name in err and "sha256" in err and "未发布任何文件" in err
    assert not (share / "d").exists()


def test_a_failed_upload_keeps_the_build_and_publish_finishes_it(docs_dir, tmp_path, moli_home):
    from moli.core.errors import ConfigError
    from moli.corpus.service import publish_output

    root = tmp_path / "share" / "c"
    (root / "README.md").mkdir(parents=True)  # something in the way of one file: its upload fails
    (root / "README.md" / "x").write_text("blocker")
    recipe = load_recipe(write_recipe(tmp_path / "r.yaml", inputs=["docs/*"], out=f"file://{root}"))
    with pytest.raises(ConfigError) as e:
        build(recipe, workers=1)
    assert "moli corpus publish" in str(e.value) and not (root / "manifest.json").exists()
    kept = next((moli_home / "corpus-builds").iterdir())
    assert (kept / "manifest.json").exists()
    (root / "README.md" / "x").unlink()
    (root / "README.md").rmdir()
    assert publish_output(kept, f"file://{root}")["published_to"] == f"file://{root}"
    assert (root / "manifest.json").read_bytes() == (kept / "manifest.json").read_bytes()


def test_step_counts_chain_when_map_steps_follow_global_ones(bad_docs, tmp_path):
    # Map steps after a dedup step run in the map phase on the documents dedup removes later; the
    # stats must still read as a funnel: each step takes in what the step before let out.
    steps = [{"normalize": {"t2s": True}}, {"dedup_exact": {}}, {"language": {}}, {"quality": {}},
             {"dedup_near": {"threshold": 0.8, "num_perm": 128, "ngram": 5}},
             {"pii": {"mode": "tag", "kinds": ["PHONE"]}}]
    recipe = load_recipe(write_recipe(tmp_path / "r.yaml", inputs=["docs/*"], out="out/c", steps=steps))
    build(recipe, workers=1)
    out = tmp_path / "out" / "c"
    stats = json.loads((out / "stats.json").read_text(encoding="utf-8"))
    s = stats["steps"]
    assert s[0]["in"] == stats["read"]["documents"] and s[-1]["out"] == stats["kept"]
    for prev, cur in itertools.pairwise(s):
        assert cur["in"] == prev["out"], (prev["name"], cur["name"])
    for step in s:
        assert step["in"] - step["out"] == sum(step["removed"].values()), step
    by_step = {step["name"]: sum(step["removed"].values()) for step in s if step["removed"]}
    assert by_step == {k: v for k, v in stats["removed"].items() if k != "read"}
    assert by_step["dedup_exact"] >= 1 and by_step["dedup_near"] >= 1
