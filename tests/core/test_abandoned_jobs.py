"""A job left "running" by a process that died is marked failed when a worker starts, and its feature
cleans up after it (evaluation rows, upload folders)."""

import socket
import subprocess
import sys

from moli.core import jobs
from moli.core.models import Job
from tests.conftest import make_user


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def _running(session, kind: str, runner: str, params: dict | None = None) -> Job:
    job = Job(kind=kind, title="t", status="running", params=params or {}, runner=runner)
    session.add(job)
    session.flush()
    return job


def test_only_jobs_whose_runner_died_on_this_host_are_failed(session, moli_home):
    host = socket.gethostname()
    dead = _running(session, "core.table_counts", f"{host}:{_dead_pid()}")
    alive = _running(session, "core.table_counts", jobs.runner_id())
    elsewhere = _running(session, "core.table_counts", "another-host:1")
    session.commit()
    assert jobs.recover_abandoned(session) == [dead.id]
    session.commit()
    session.expire_all()
    assert session.get(Job, dead.id).status == "failed" and "请重新提交" in session.get(Job, dead.id).message
    assert session.get(Job, alive.id).status == "running" and session.get(Job, elsewhere.id).status == "running"


def test_features_clean_up_after_an_abandoned_job(session, moli_home):
    from moli.market.models import MarketEvaluation, MarketOffering, MarketScenario

    user = make_user(org="Org A")  # before this session writes (SQLite takes one writer at a time)
    moli_home.mkdir(parents=True, exist_ok=True)
    upload = moli_home / "corpus_upload_x1"
    upload.mkdir()
    (upload / "a.txt").write_text("x")
    outside = moli_home.parent / "corpus_upload_not_ours"
    outside.mkdir()
    xb = moli_home / "crossborder_y2"
    xb.mkdir()
    runner = f"{socket.gethostname()}:{_dead_pid()}"
    build = _running(session, "corpus.build", runner, {"folder": str(upload)})
    stray = _running(session, "corpus.build", runner, {"folder": str(outside)})
    assess = _running(session, "crossborder.assess", runner, {"folder": xb.name})
    evaluate = _running(session, "market.evaluate", runner, {})
    scenario = MarketScenario(slug="s1", title="s", industry="general", data={}, owner_org_id=user.organisation_id)
    offering = MarketOffering(slug="o1", name="o", data={})
    session.add_all([scenario, offering])
    session.flush()
    session.add(MarketEvaluation(scenario_id=scenario.id, offering_id=offering.id, job_id=evaluate.id, status="running",
                                 primary_metric="exact_match", metrics={}, counts={}, items=[], error=""))
    session.commit()
    assert sorted(jobs.recover_abandoned(session)) == sorted([build.id, stray.id, assess.id, evaluate.id])
    session.commit()
    assert not upload.exists() and not xb.exists()
    assert outside.exists()  # never a folder outside MOLI_HOME, whatever the params say
    ev = session.query(MarketEvaluation).one()
    session.refresh(ev)
    assert ev.status == "failed" and "请重新提交" in ev.error
