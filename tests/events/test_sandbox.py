"""The sandbox: real child processes with time, memory and network limits."""

import http.server
import random
import threading

import pytest

from moli.events import scoring
from moli.events.sandbox import Limits, ScoringFailed, netns_available, run_scorer
from moli.text.metrics import accuracy, macro_f1
from tests.events.helpers import FIXTURES

ANS = {f"i{i}": ["a", "b", "c"][i % 3] for i in range(60)}


def _custom(source: str, **limits):
    return run_scorer("custom:myscorer:score", "c1", 0.5, ANS, dict(ANS),
                      limits=Limits(**({"time_s": 10, "memory_mb": 512} | limits)), scorer_source=source)


def test_builtin_metrics_score_public_and_private_parts():
    preds = {k: (v if i % 4 else "x") for i, (k, v) in enumerate(ANS.items())}
    res = run_scorer("accuracy", "c1", 0.5, ANS, preds)
    pub = scoring.public_ids("c1", ANS, 0.5)
    pub_keys = [k for k in ANS if k in pub]
    priv_keys = [k for k in ANS if k not in pub]
    assert res["n_public"] == 30 and res["n_private"] == 30
    assert res["public_score"] == pytest.approx(accuracy([preds[k] for k in pub_keys], [ANS[k] for k in pub_keys]))
    assert res["private_score"] == pytest.approx(accuracy([preds[k] for k in priv_keys], [ANS[k] for k in priv_keys]))
    assert res["public_score"] < 1.0
    res = run_scorer("macro_f1", "c1", 0.5, ANS, preds)
    assert res["public_score"] == pytest.approx(macro_f1([preds[k] for k in pub_keys], [ANS[k] for k in pub_keys]))


def test_custom_scorer_runs_from_stored_source():
    res = _custom((FIXTURES / "scorer_ok.py").read_text())
    assert res["public_score"] == 1.0 and res["private_score"] == 1.0


def test_socket_is_refused_by_the_audit_hook_without_namespace():
    with pytest.raises(ScoringFailed) as e:
        _custom((FIXTURES / "scorer_socket.py").read_text(), use_netns=False)
    assert "socket" in e.value.en and "not allowed" in e.value.en


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.mark.skipif(not netns_available(), reason="unshare -n is not permitted here")
def test_network_namespace_alone_cuts_off_a_real_local_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Quiet)
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        src = ("import urllib.request\n"
               "def score(p, a):\n"
               f"    urllib.request.urlopen('http://127.0.0.1:{port}/', timeout=3).read()\n"
               "    return 1.0\n")
        # the same scorer reaches the server when neither layer is on ...
        assert _custom(src, use_netns=False, audit_hook=False)["public_score"] == 1.0
        # ... and fails inside the fresh network namespace with the audit hook off
        with pytest.raises(ScoringFailed) as e:
            _custom(src, use_netns=True, audit_hook=False)
        assert "URLError" in e.value.en or "unreachable" in e.value.en.lower()
    finally:
        server.shutdown()


def test_looping_scorer_is_stopped():
    src = "def score(p, a):\n    while True:\n        pass\n"
    with pytest.raises(ScoringFailed) as e:
        _custom(src, time_s=1.5)
    assert "time" in e.value.en and "stopped" in e.value.en and "终止" in e.value.zh


def test_sleeping_scorer_hits_the_wall_clock_limit():
    src = "import time\ndef score(p, a):\n    time.sleep(30)\n    return 1.0\n"
    with pytest.raises(ScoringFailed) as e:
        _custom(src, time_s=1.0)
    assert "timed out" in e.value.en


def test_crashing_scorer_reports_the_error():
    src = "def score(p, a):\n    return 1 / 0\n"
    with pytest.raises(ScoringFailed) as e:
        _custom(src)
    assert "ZeroDivisionError" in e.value.en


def test_memory_hog_is_stopped():
    src = "def score(p, a):\n    x = bytearray(2_000_000_000)\n    return len(x)\n"
    with pytest.raises(ScoringFailed) as e:
        _custom(src, memory_mb=256)
    assert "memory" in e.value.en and "256 MB" in e.value.en


def test_nan_score_is_a_failure():
    with pytest.raises(ScoringFailed) as e:
        _custom("def score(p, a):\n    return float('nan')\n")
    assert "nan" in e.value.en


def test_hundred_thousand_predictions_score_correctly():
    rng = random.Random(3)
    labels = [f"类{i}" for i in range(10)]
    answers = {f"d{i:06d}": rng.choice(labels) for i in range(100_000)}
    preds = {k: (v if rng.random() < 0.8 else rng.choice(labels)) for k, v in answers.items()}
    res = run_scorer("accuracy", "big", 0.5, answers, preds)
    assert res["n_public"] == 50_000
    assert 0.8 < res["public_score"] < 0.85 and 0.8 < res["private_score"] < 0.85


def test_scorer_may_not_read_server_files_or_write(tmp_path):
    secret = tmp_path / "other_answers.jsonl"
    secret.write_text('{"id": "x", "label": "SECRET"}\n')
    src = f"def score(p, a):\n    return len(open({str(secret)!r}).read())\n"
    with pytest.raises(ScoringFailed) as e:
        _custom(src)
    assert "reading" in e.value.en and "not allowed" in e.value.en
    src = f"def score(p, a):\n    open({str(tmp_path / 'out.txt')!r}, 'w').write('x')\n    return 1.0\n"
    with pytest.raises(ScoringFailed) as e:
        _custom(src)
    assert "writing files is not allowed" in e.value.en
    assert not (tmp_path / "out.txt").exists()
    # ordinary scorers that import the standard library still work
    src = ("import statistics, collections, math, json\n"
           "def score(p, a):\n"
           "    return statistics.mean(1.0 if p.get(k) == v else 0.0 for k, v in a.items())\n")
    assert _custom(src)["public_score"] == 1.0


def test_failure_reason_does_not_echo_hidden_labels():
    answers = {f"id-{i}": f"SECRET-{i}" for i in range(10)}
    src = "def score(p, a):\n    k = sorted(a)[0]\n    raise ValueError(f'bad row {k}: expected {a[k]}')\n"
    with pytest.raises(ScoringFailed) as e:
        run_scorer("custom:myscorer:score", "c1", 0.5, answers, {k: "x" for k in answers},
                   limits=Limits(time_s=10, memory_mb=512), scorer_source=src)
    assert "ValueError: bad row ***: expected ***" in e.value.en and "SECRET" not in e.value.en
