import pytest

from moli.core.errors import ConfigError, InputError
from moli.market.evaluation import ResponseCache, Target, evaluate, resolve_scorers
from moli.market.schemas import TestItem, load_test_set


@pytest.fixture
def items(fixtures):
    return load_test_set(fixtures / "testset.jsonl")


def test_leaderboard_orders_models_and_reports_failures(answerer, items, tmp_path):
    targets = [Target("oracle", f"{answerer}/ok/v1", "oracle"), Target("half", f"{answerer}/ok/v1", "half"),
               Target("echo", f"{answerer}/ok/v1", "echo"), Target("hang", f"{answerer}/hang/v1", "oracle"),
               Target("garbage", f"{answerer}/garbage/v1", "oracle")]
    out = evaluate(items, targets, scoring=["exact_match", "char_f1", "rouge_l_char", "choice_accuracy"],
                   concurrency=8, timeout=0.5, retries=1, backoff=0.01, cache=ResponseCache(tmp_path / "c.sqlite"))
    board = {r["offering_id"]: r for r in out["leaderboard"]}
    assert [r["offering_id"] for r in out["leaderboard"]][:3] == ["oracle", "half", "echo"]
    assert board["oracle"]["metrics"] == {"exact_match": 1.0, "char_f1": 1.0, "rouge_l_char": 1.0, "choice_accuracy": 1.0}
    assert 0 < board["half"]["score"] < 1
    assert board["echo"]["score"] == 0.0 and board["echo"]["metrics"]["char_f1"] > 0  # echo shares characters
    for bad, kind in (("hang", "timeout"), ("garbage", "invalid_response")):
        assert board[bad]["counts"] == {"items": 12, "ok": 0, "failed": 12, "cached": 0}
        res = out["results"][bad]
        assert all(r["status"] == "failed" and r["error"].startswith(kind) for r in res)
    assert out["results"]["hang"][0]["attempts"] == 2  # one retry after the timeout
    assert out["results"]["garbage"][0]["attempts"] == 1  # a non-JSON answer is not retried
    # every (offering, item) pair has exactly one result, in test-set order
    for res in out["results"].values():
        assert [r["item"] for r in res] == list(range(12))


def test_rerun_is_served_from_the_cache(answerer, items, tmp_path):
    import httpx

    cache = ResponseCache(tmp_path / "c.sqlite")
    t = [Target("oracle", f"{answerer}/ok/v1", "oracle")]
    first = evaluate(items, t, cache=cache)
    before = httpx.get(f"{answerer}/stats").json().get("ok", 0)
    second = evaluate(items, t, cache=cache)
    after = httpx.get(f"{answerer}/stats").json().get("ok", 0)
    assert after == before  # no request sent
    assert second["leaderboard"][0]["counts"]["cached"] == 12
    assert second["leaderboard"][0]["metrics"] == first["leaderboard"][0]["metrics"]
    assert len(cache) == 12


def test_flaky_server_loses_and_duplicates_nothing(answerer, tmp_path):
    items = [TestItem(prompt=f"问题{i}", reference="不知道") for i in range(300)]
    out = evaluate(items, [Target("flaky", f"{answerer}/flaky/v1", "oracle")], concurrency=32, retries=6,
                   backoff=0.01, timeout=5)
    res = out["results"]["flaky"]
    assert sorted(r["item"] for r in res) == list(range(300))
    assert all(r["status"] == "ok" for r in res)
    assert any(r["attempts"] > 1 for r in res)  # some requests failed and were retried
    assert out["leaderboard"][0]["score"] == 1.0


def test_custom_scorer_and_its_guard(answerer, items):
    t = [Target("oracle", f"{answerer}/ok/v1", "oracle")]
    out = evaluate(items, t, scoring=["tests.market.scorers:contains_reference"])
    assert out["leaderboard"][0]["score"] == 1.0
    with pytest.raises(InputError):
        resolve_scorers(["tests.market.scorers:contains_reference"], allow_custom=False)
    with pytest.raises(ConfigError):
        resolve_scorers(["tests.market.scorers:nope"])


def test_choice_accuracy_reads_letters_and_option_text():
    from moli.market.evaluation import _choice_accuracy

    it = TestItem(prompt="哪个?", reference="B", choices=["北斗", "风云"])
    assert _choice_accuracy("B", it) == 1.0
    assert _choice_accuracy("（B）", it) == 1.0
    assert _choice_accuracy("风云", it) == 1.0
    assert _choice_accuracy("A", it) == 0.0
    it2 = TestItem(prompt="哪个?", reference="浦东新区", choices=["黄浦区", "浦东新区"])
    assert _choice_accuracy("b", it2) == 1.0 and _choice_accuracy("黄浦区", it2) == 0.0
