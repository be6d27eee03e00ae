"""Ctrl-C during a 2-worker build: the command stops promptly (no hang in the process pool), says how
to resume, exits 130 without a traceback, leaves no worker behind, and the rerun gives the same output
as an uninterrupted build."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from moli.corpus.pipeline import build
from moli.corpus.recipe import load_recipe

from .conftest import write_recipe
from .test_pipeline import _table

LINE = "第{i}号文件。浦东新区人民政府关于加强语料库建设的通知。各有关单位：为贯彻落实国家关于人工智能产业发展的决策部署，现就有关事项通知如下。\n"


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.slow
def test_ctrl_c_stops_a_two_worker_build_which_then_resumes(tmp_path):
    (tmp_path / "in").mkdir()
    for i in range(300):
        (tmp_path / "in" / f"d{i:04d}.txt").write_text(LINE.format(i=i) * 20, encoding="utf-8")
    steps = [{"normalize": {}}, {"quality": {}}, {"dedup_exact": {}}]
    ref = write_recipe(tmp_path / "ref.yaml", inputs=["in/*.txt"], out="out/ref", steps=steps)
    run = write_recipe(tmp_path / "run.yaml", inputs=["in/*.txt"], out="out/run", steps=steps)
    build(load_recipe(ref), workers=1)

    env = {**os.environ, "MOLI_HOME": str(tmp_path / "home")}
    cmd = [sys.executable, "-c", "from moli.cli import main; main()", "corpus", "build", str(run), "--workers", "2",
           "--no-register"]  # with the progress bar: its queue manager is a process too
    proc = subprocess.Popen(cmd, env=env, start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    staging = tmp_path / "out" / "run" / ".staging"
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if staging.exists() and len(list(staging.glob("*/shard-*/done.json"))) >= 5:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the build finished before it could be interrupted"
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C: the terminal signals the whole foreground group
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail("the interrupted build hung")
    assert proc.returncode == 130, err
    assert "已中断，重新运行同一命令即可从断点继续" in err and "run the same command again to resume" in err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    for _ in range(50):  # the workers and the manager are gone too
        if not _group_alive(proc.pid):
            break
        time.sleep(0.1)
    assert not _group_alive(proc.pid), "worker processes were left running"
    out = tmp_path / "out" / "run"
    assert not (out / "manifest.json").exists()
    done_before = len(list(staging.glob("*/shard-*/done.json")))
    assert 5 <= done_before < 300  # staging kept for the resume

    res = subprocess.run([*cmd, "--no-progress"], env=env, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    refd = Path(tmp_path / "out" / "ref")
    assert _table(out / "data") == _table(refd / "data")
    assert _table(out / "removed") == _table(refd / "removed")
