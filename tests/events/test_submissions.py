"""Submissions: validation, quotas (Asia/Shanghai days), teams, scoring once, leaderboards."""

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from moli.core.db import new_session
from moli.core.errors import InputError, PermissionDenied
from moli.events import service
from moli.events.models import Submission
from tests.conftest import make_user
from tests.events.helpers import jsonl, make_competition

NOW = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai, inside the phase


def test_invalid_submissions_are_rejected_with_reason_and_not_counted(session, tmp_path):
    comp, answers = make_competition(session, tmp_path, daily_limit=1)
    team = service.create_team(session, comp, "甲队")
    missing = dict(list(answers.items())[:-2])
    sub = service.submit(session, comp, team, jsonl(missing), now=NOW)
    assert sub.status == "rejected" and not sub.counted
    assert "2 ids have no prediction" in sub.reason and "缺少 2 个 id" in sub.reason_zh
    unknown = dict(answers) | {"zzz": "sports"}
    sub = service.submit(session, comp, team, jsonl(unknown), now=NOW)
    assert sub.status == "rejected" and "unknown ids (e.g. zzz)" in sub.reason
    dup = jsonl(answers) + jsonl({"q00001": "x"})
    sub = service.submit(session, comp, team, dup, now=NOW)
    assert sub.status == "rejected" and "line 41: duplicate id 'q00001'" in sub.reason
    sub = service.submit(session, comp, team, b"id,label\nq00001,sports\n", now=NOW)
    assert sub.status == "rejected" and "line 1 is not valid JSON" in sub.reason
    sub = service.submit(session, comp, team, "\ufeff".encode() + b"\xff\xfe", now=NOW)
    assert sub.status == "rejected" and "UTF-8" in sub.reason
    assert service.quota_left(session, comp, team, NOW)["today"] == 1  # none of them counted
    ok = service.submit(session, comp, team, jsonl(answers), now=NOW)
    assert ok.status == "queued" and ok.counted and ok.n_predictions == 40


def test_daily_quota_uses_shanghai_days_and_total_quota(session, tmp_path):
    comp, answers = make_competition(session, tmp_path, daily_limit=2, total_limit=3)
    team = service.create_team(session, comp, "乙队")
    late = datetime(2026, 6, 1, 15, 30, tzinfo=UTC)  # 23:30 Shanghai, June 1
    for _ in range(2):
        assert service.submit(session, comp, team, jsonl(answers), now=late).status == "queued"
    with pytest.raises(service.QuotaExceeded) as e:
        service.submit(session, comp, team, jsonl(answers), now=datetime(2026, 6, 1, 15, 59, tzinfo=UTC))
    assert "Asia/Shanghai" in e.value.en and "今日" in e.value.zh
    # 16:01 UTC is 00:01 on June 2 in Shanghai (still June 1 in UTC): a new day
    next_day = datetime(2026, 6, 1, 16, 1, tzinfo=UTC)
    assert service.submit(session, comp, team, jsonl(answers), now=next_day).status == "queued"
    with pytest.raises(service.QuotaExceeded) as e:
        service.submit(session, comp, team, jsonl(answers), now=datetime(2026, 6, 3, 4, 0, tzinfo=UTC))
    assert "all 3 submissions" in e.value.en
    assert session.scalar(select(func.count(Submission.id))) == 3  # refused ones leave no row


def test_failed_scoring_gives_the_quota_back(session, tmp_path):
    src = "def score(p, a):\n    raise RuntimeError('评分脚本坏了')\n"
    comp, answers = make_competition(session, tmp_path, metric="custom:myscorer:score", scorer=src, daily_limit=1)
    team = service.create_team(session, comp, "丙队")
    sub = service.submit(session, comp, team, jsonl(answers), now=NOW)
    assert service.quota_left(session, comp, team, NOW)["today"] == 0
    sub = service.score_submission(session, sub.id)
    assert sub.status == "failed" and "评分脚本坏了" in sub.reason and not sub.counted
    assert service.quota_left(session, comp, team, NOW)["today"] == 1


def test_closed_phase_refuses_submissions(session, tmp_path):
    comp, answers = make_competition(session, tmp_path)
    team = service.create_team(session, comp, "丁队")
    with pytest.raises(InputError) as e:
        service.submit(session, comp, team, jsonl(answers), now=datetime(2027, 1, 5, tzinfo=UTC))
    assert e.value.field == "phase"


def test_teams_members_invitations_one_team_per_competition(session, tmp_path):
    comp, answers = make_competition(session, tmp_path)
    alice, bob, carol = (make_user(org="Org A") for _ in range(3))
    team = service.create_team(session, comp, "星河队", alice)
    with pytest.raises(service.Conflict):
        service.create_team(session, comp, "第二支", alice)  # already in a team
    with pytest.raises(PermissionDenied):
        service.invite(session, team, carol.email, bob)  # only the captain invites
    inv = service.invite(session, team, bob.email, alice)
    with pytest.raises(PermissionDenied):
        service.accept_invitation(session, inv.token, carol)  # sent to bob, not carol
    service.accept_invitation(session, inv.token, bob)
    session.commit()
    assert {m.user_id for m in service.team_members(session, team)} == {alice.id, bob.id}
    other = service.create_team(session, comp, "月光队", carol)
    inv2 = service.invite(session, other, bob.email, carol)
    with pytest.raises(service.Conflict) as e:
        service.accept_invitation(session, inv2.token, bob)  # bob is in 星河队 already
    assert "one account, one team" in e.value.en
    with pytest.raises(PermissionDenied):
        service.submit(session, comp, other, jsonl(answers), user=bob, now=NOW)
    assert service.submit(session, comp, team, jsonl(answers), user=bob, now=NOW).status == "queued"


def test_scoring_is_claimed_once(session, tmp_path):
    comp, answers = make_competition(session, tmp_path)
    team = service.create_team(session, comp, "戊队")
    sub = service.submit(session, comp, team, jsonl(answers), now=NOW)
    assert service.claim(session, sub.id) is True
    assert service.claim(session, sub.id) is False
    assert service.score_submission(session, sub.id).status == "running"  # left to the first claimer


def test_leaderboard_best_public_and_private_visibility(session, tmp_path):
    comp, answers = make_competition(session, tmp_path, end="2026-07-01T00:00:00+08:00")
    keys = list(answers)
    good, bad = service.create_team(session, comp, "强队"), service.create_team(session, comp, "弱队")
    half = {k: (v if i % 2 else "wrong") for i, (k, v) in enumerate(answers.items())}
    for team, preds in ((good, answers), (bad, half), (bad, {k: "wrong" for k in keys})):
        s = service.submit(session, comp, team, jsonl(preds), now=NOW)
        service.score_submission(session, s.id)
    board = service.leaderboard(session, comp, now=NOW)
    assert [r["team"] for r in board["rows"]] == ["强队", "弱队"]
    assert board["rows"][0]["public_score"] == 1.0 and "private_score" not in board["rows"][0]
    assert board["rows"][1]["submissions"] == 2 and 0.2 < board["rows"][1]["public_score"] < 0.8
    viewer = make_user(org="Org B")
    with pytest.raises(PermissionDenied):
        service.leaderboard(session, comp, private=True, user=viewer, now=NOW)
    staff = make_user(role="staff", org=None)
    priv = service.leaderboard(session, comp, private=True, user=staff, now=NOW)
    assert priv["rows"][0]["private_score"] == 1.0
    after = datetime(2026, 7, 2, tzinfo=UTC)
    assert service.leaderboard(session, comp, private=True, user=viewer, now=after)["rows"][1]["private_score"] < 1


@pytest.mark.slow
def test_fifty_concurrent_submissions_none_lost_none_scored_twice(db_url, session, tmp_path):
    comp, answers = make_competition(session, tmp_path, daily_limit=100, total_limit=100)
    comp_id = comp.id
    teams = [service.create_team(session, comp, f"队{i}").id for i in range(10)]
    session.commit()
    ids, errors = [], []
    lock = threading.Lock()

    def one(i: int) -> None:
        s = new_session()
        try:
            c = s.get(type(comp), comp_id)
            t = s.get(service.Team, teams[i % 10])
            preds = {k: (v if (j + i) % 5 else "x") for j, (k, v) in enumerate(answers.items())}
            sub = service.submit(s, c, t, jsonl(preds), now=NOW)
            service.score_submission(s, sub.id)
            with lock:
                ids.append(sub.id)
        except Exception as exc:  # collected and asserted below
            with lock:
                errors.append(repr(exc))
        finally:
            s.close()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    session.expire_all()
    subs = session.scalars(select(Submission).where(Submission.competition_id == comp_id)).all()
    assert len(subs) == 50 and sorted(ids) == sorted(s.id for s in subs)
    assert all(s.status == "scored" and s.score_attempts == 1 for s in subs)
    assert all(0.7 <= s.public_score <= 0.9 for s in subs)


def test_quota_holds_under_concurrency(db_url, session, tmp_path):
    comp, answers = make_competition(session, tmp_path, daily_limit=3)
    team_id, comp_id = service.create_team(session, comp, "抢队").id, comp.id
    session.commit()
    results = []
    lock = threading.Lock()

    def one() -> None:
        s = new_session()
        try:
            sub = service.submit(s, s.get(type(comp), comp_id), s.get(service.Team, team_id), jsonl(answers), now=NOW)
            out = sub.status
        except service.QuotaExceeded:
            out = "quota"
        finally:
            s.close()
        with lock:
            results.append(out)

    threads = [threading.Thread(target=one) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["queued"] * 3 + ["quota"] * 7


def test_stuck_running_submission_is_recovered_once_and_scored(session, tmp_path):
    from datetime import timedelta

    comp, answers = make_competition(session, tmp_path)
    team = service.create_team(session, comp, "断电队")
    sub = service.submit(session, comp, team, jsonl(answers), now=NOW)
    assert service.claim(session, sub.id)  # a worker took it ... and died
    session.refresh(sub)
    started = service.aware(sub.started_at)
    assert service.recover_stuck(session, now=started + timedelta(seconds=30), requeue=False) == []  # still in time
    later = started + timedelta(seconds=60 + 1 + 60 + 1)
    assert service.recover_stuck(session, now=later, requeue=False) == [sub.id]
    assert service.recover_stuck(session, now=later, requeue=False) == []  # only once
    sub = service.score_submission(session, sub.id)
    assert sub.status == "scored" and sub.public_score == 1.0 and sub.score_attempts == 2


def test_leaderboard_per_phase(session, tmp_path):
    phases = [{"name": "dev", "start": "2026-01-01T00:00:00+08:00", "end": "2026-06-01T00:00:00+08:00"},
              {"name": "final", "start": "2026-06-01T00:00:00+08:00", "end": "2026-12-31T00:00:00+08:00"}]
    comp, answers = make_competition(session, tmp_path, extra={"phases": phases})
    team = service.create_team(session, comp, "两阶段队")
    wrong = {k: "wrong" for k in answers}
    s1 = service.submit(session, comp, team, jsonl(answers), now=datetime(2026, 3, 1, tzinfo=UTC))
    s2 = service.submit(session, comp, team, jsonl(wrong), now=datetime(2026, 7, 1, tzinfo=UTC))
    for s in (s1, s2):
        service.score_submission(session, s.id)
    assert service.leaderboard(session, comp, phase="dev")["rows"][0]["public_score"] == 1.0
    final = service.leaderboard(session, comp, phase="final")["rows"][0]
    assert final["public_score"] == 0.0 and final["submissions"] == 1
    assert service.leaderboard(session, comp)["rows"][0]["submissions"] == 2
    with pytest.raises(service.NotFound):
        service.leaderboard(session, comp, phase="nope")


def test_final_submission_selection_drives_the_private_board(session, tmp_path):
    from moli.events import scoring

    comp, answers = make_competition(session, tmp_path, n=40)
    team = service.create_team(session, comp, "选择队")
    pub = scoring.public_ids(comp.slug, answers, 0.5)
    good_public = {k: (v if k in pub else "x") for k, v in answers.items()}  # public 1.0, private 0.0
    good_private = {k: (v if k not in pub else "x") for k, v in answers.items()}  # public 0.0, private 1.0
    subs = [service.score_submission(session, service.submit(session, comp, team, jsonl(p), now=NOW).id)
            for p in (good_public, good_private, good_private)]
    staff = make_user(role="staff", org=None)
    row = service.leaderboard(session, comp, private=True, user=staff, now=NOW)["rows"][0]
    assert row["public_score"] == 1.0 and row["private_score"] == 0.0 and row["selected"] is False  # auto: best public
    service.select_submission(session, comp, team, subs[1].id)
    row = service.leaderboard(session, comp, private=True, user=staff, now=NOW)["rows"][0]
    assert row["public_score"] == 1.0 and row["private_score"] == 1.0 and row["private_submission_id"] == subs[1].id
    service.select_submission(session, comp, team, subs[0].id)
    with pytest.raises(service.Conflict) as e:
        service.select_submission(session, comp, team, subs[2].id)  # max_selected defaults to 2
    assert "at most 2" in e.value.en
    service.select_submission(session, comp, team, subs[1].id, selected=False)
    row = service.leaderboard(session, comp, private=True, user=staff, now=NOW)["rows"][0]
    assert row["private_score"] == 0.0  # only the public-best one is chosen now
    rejected = service.submit(session, comp, team, b"{oops}\n", now=NOW)
    with pytest.raises(InputError):
        service.select_submission(session, comp, team, rejected.id)


def test_team_names_fold_full_width_forms(session, tmp_path):
    comp, _ = make_competition(session, tmp_path)
    team = service.create_team(session, comp, "  星河　队Ａ ")
    assert team.name == "星河 队A"
    with pytest.raises(service.Conflict):
        service.create_team(session, comp, "星河 队A")
    assert service.get_or_create_team(session, comp, "星河　队Ａ").id == team.id
    with pytest.raises(InputError):
        service.create_team(session, comp, "　")
