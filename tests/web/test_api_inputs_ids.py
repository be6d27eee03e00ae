"""Row ids in URL paths: an id no 64-bit INTEGER can hold is a bilingual 422 naming the parameter,
never a 500 (SQLite cannot bind such a Python int: OverflowError); an in-range id of no row is a 404.
The services the CLI and the views call say "not found" for such ids too."""

from __future__ import annotations

import pytest

HUGE = "99999999999999999999"          # > 2**64
JUST_OVER = str(2**63)                 # one past the largest 64-bit INTEGER
LARGEST = str(2**63 - 1)               # in range: a lookup that finds nothing

ANONYMOUS = [
    ("GET", "/outbound/directory/{}", "ent_id"),
    ("GET", "/api/v1/outbound/enterprises/{}/matches", "ent_id"),
]
LOGGED_IN = [
    ("GET", "/api/v1/jobs/{}", "job_id"),
    ("GET", "/api/v1/jobs/{}/events", "job_id"),
    ("GET", "/jobs/{}", "job_id"),
    ("GET", "/crossborder/assessments/{}", "assessment_id"),
    ("GET", "/crossborder/assessments/{}/download", "assessment_id"),
    ("GET", "/crossborder/jobs/{}", "job_id"),
    ("POST", "/events/slots/{}/cancel", "slot_id"),
    ("POST", "/events/slots/{}/book", "slot_id"),
    ("POST", "/account/sessions/{}/end", "session_id"),
]


def _check_refused(r, param: str) -> None:
    assert r.status_code == 422, (r.status_code, r.text[:300])
    if r.headers["content-type"].startswith("application/json"):
        body = r.json()
        assert body["field"] == param and body["error_zh"].startswith("提交的数据有误") and param in body["error"]
        assert "须 ≤" in body["error_zh"] or "须 ≥" in body["error_zh"]  # the reason in Chinese, not pydantic's English
        assert "Input should" not in body["error_zh"] and "Input should" in body["error"]
    else:  # the bilingual error page names the parameter
        assert "提交的数据有误" in r.text and param in r.text


@pytest.mark.parametrize("bad", [HUGE, JUST_OVER, "0", "-1"])
def test_out_of_range_ids_are_refused_by_name(client, login, bad):
    for method, url, param in ANONYMOUS:
        _check_refused(client.request(method, url.format(bad)), param)
    login(client)
    for method, url, param in LOGGED_IN:
        _check_refused(client.request(method, url.format(bad), headers={"accept": "application/json"}), param)
    # an HTML page says it in both languages too
    _check_refused(client.get(f"/jobs/{bad}", headers={"accept": "text/html"}), "job_id")


def test_the_largest_id_is_looked_up_and_not_found(client, login):
    for method, url, _ in ANONYMOUS:
        assert client.request(method, url.format(LARGEST)).status_code == 404
    login(client)
    for method, url, _ in LOGGED_IN:
        r = client.request(method, url.format(LARGEST), headers={"accept": "application/json"},
                           follow_redirects=False)
        # ending a session that is not there just goes back to the account page
        expected = 303 if url.startswith("/account/") else 404
        assert r.status_code == expected, (url, r.status_code, r.text[:300])


def test_competition_ids_in_paths_are_checked(client, login, tmp_path):
    from moli.core.db import session_scope
    from tests.events.helpers import make_competition

    with session_scope() as s:
        make_competition(s, tmp_path)
    login(client)
    r = client.post(f"/events/competitions/t-cls/submissions/{HUGE}/select", data={"selected": "1"},
                    headers={"accept": "application/json"})
    _check_refused(r, "submission_id")
    r = client.post(f"/events/competitions/t-cls/entries/{HUGE}/score", headers={"accept": "application/json"})
    _check_refused(r, "entry_id")


def test_services_say_not_found_for_ids_beyond_64_bits(session):
    from moli.core import accounts, jobs
    from moli.core.errors import NotFound
    from moli.crossborder import service as crossborder
    from moli.events import service as events
    from moli.outbound import service as outbound
    from tests.conftest import make_user

    user = make_user()
    staff = make_user(role="admin", org=None)
    for n in (10**20, 2**63, 0, -1):
        with pytest.raises(NotFound):
            jobs.get_job(session, n, staff)
        with pytest.raises(NotFound):
            crossborder.get_assessment(session, staff, n)
        with pytest.raises(NotFound):
            events.book_slot(session, n, user)
        with pytest.raises(NotFound):
            events.cancel_booking(session, n, user)
        assert accounts.end_session(session, user.id, session_id=n) is False
        with pytest.raises(NotFound):
            outbound.match_enterprise(session, n)
    for ref in (HUGE, JUST_OVER, "²", "0"):  # the CLI's argument: digits are an id, anything else a name
        with pytest.raises(NotFound):
            outbound.match_enterprise(session, ref)


def test_cli_match_with_a_huge_id_is_a_bilingual_error(moli_home, monkeypatch, capsys):
    import sys

    from moli.cli import main

    monkeypatch.setattr(sys, "argv", ["moli", "outbound", "match", HUGE])
    with pytest.raises(SystemExit) as exc:
        main()
    err = capsys.readouterr().err
    assert exc.value.code == 2 and f"名录中没有企业 {HUGE}" in err and f"no enterprise {HUGE}" in err
