import pytest

from moli.core import jobs
from moli.core.errors import InputError, NotFound, PermissionDenied
from tests.conftest import make_user


@jobs.job_handler("test.sum")
def _sum(job_id, params, progress):
    total = 0
    for i, x in enumerate(params["numbers"]):
        total += x
        progress((i + 1) / len(params["numbers"]), f"{i + 1}")
    return {"sum": total}


@jobs.job_handler("test.fail")
def _fail(job_id, params, progress):
    progress(0.5, "half")
    raise ValueError("数据坏了 bad data")


def test_immediate_job_succeeds_with_result(session, db_url):
    user = make_user(org="Org A")
    job = jobs.submit_job(session, "test.sum", "求和", {"numbers": [1, 2, 3, 4]}, user)
    assert job.status == "succeeded" and job.result == {"sum": 10} and job.progress == 1.0
    assert job.owner_org_id == user.organisation_id and job.finished_at is not None


def test_failing_handler_marks_job_failed_with_message(session):
    user = make_user(org="Org A")
    job = jobs.submit_job(session, "test.fail", "会失败", {}, user)
    assert job.status == "failed"
    assert "ValueError" in job.message and "bad data" in job.message
    assert job.result is None


def test_unknown_kind_is_refused(session):
    with pytest.raises(InputError):
        jobs.submit_job(session, "no.such.kind", "x", {}, None)


def test_job_visibility_follows_organisation(session):
    a, b, staff = make_user(org="Org A"), make_user(org="Org B"), make_user(role="staff", org=None)
    job = jobs.submit_job(session, "test.sum", "A's job", {"numbers": [1]}, a)
    assert jobs.get_job(session, job.id, a).id == job.id
    assert jobs.get_job(session, job.id, staff).id == job.id
    with pytest.raises(PermissionDenied):
        jobs.get_job(session, job.id, b)
    assert [j.id for j in jobs.list_jobs(session, b)] == []
    with pytest.raises(NotFound):
        jobs.get_job(session, 999999, staff)


def test_builtin_table_counts_job(session):
    user = make_user(org="Org A")
    job = jobs.submit_job(session, "core.table_counts", "统计", {}, user)
    assert job.status == "succeeded", job.message
    assert job.result["tables"]["users"] == 1 and job.result["tables"]["organisations"] == 1


def test_queued_job_runs_in_huey_worker(session, monkeypatch):
    """Without immediate mode the job is queued in SqliteHuey and run by a real consumer."""
    import threading
    import time

    from huey.consumer import Consumer

    from moli.core.settings import reset_settings

    monkeypatch.setenv("MOLI_JOBS_IMMEDIATE", "0")
    reset_settings()
    user = make_user(org="Org A")
    job = jobs.submit_job(session, "test.sum", "排队", {"numbers": [5, 6]}, user)
    assert job.status == "queued"
    huey = jobs.get_huey()
    assert len(huey) == 1  # one pending task in the SQLite queue
    consumer = Consumer(huey, workers=1, worker_type="thread", periodic=False, check_worker_health=False)
    consumer._set_signal_handlers = lambda: None  # signals can only be set in the main thread
    t = threading.Thread(target=consumer.run, daemon=True)
    t.start()
    try:
        deadline = time.time() + 20
        while time.time() < deadline:
            session.expire_all()
            if session.get(type(job), job.id).status in ("succeeded", "failed"):
                break
            time.sleep(0.2)
    finally:
        consumer.stop(graceful=True)
        t.join(5)
    session.expire_all()
    done = session.get(type(job), job.id)
    assert done.status == "succeeded" and done.result == {"sum": 11}


def test_unreachable_queue_marks_the_job_failed(session, monkeypatch):
    """With the Redis queue down, the job is failed with the reason instead of queued forever."""
    from moli.core.settings import reset_settings

    monkeypatch.setenv("MOLI_JOBS_IMMEDIATE", "0")
    monkeypatch.setenv("MOLI_REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens on port 1
    reset_settings()
    jobs.reset_huey()
    user = make_user(org="Org A")
    cleaned = []
    monkeypatch.setitem(jobs.ABANDONED, "test.sum", lambda job_id, params: cleaned.append((job_id, params)))
    job = jobs.submit_job(session, "test.sum", "x", {"numbers": [1]}, user)
    assert job.status == "failed" and "could not queue" in job.message and job.finished_at is not None
    assert cleaned == [(job.id, {"numbers": [1]})]  # the job's own uploads are removed: nothing will run it


def test_a_job_shows_no_server_path(session, moli_home):
    user = make_user(org="Org A")
    folder = f"{moli_home.resolve()}/corpus_upload_x1"
    job = jobs.submit_job(session, "test.sum", "求和", {"numbers": [1], "folder": folder, "files": [f"{folder}/a.pdf"]},
                          user)
    shown = jobs.job_dict(job)
    assert shown["params"]["folder"] == "MOLI_HOME/corpus_upload_x1"
    assert shown["params"]["files"] == ["MOLI_HOME/corpus_upload_x1/a.pdf"] and str(moli_home) not in str(shown)
    assert job.params["folder"] == folder  # the job itself still knows where its files are
