"""The span filter: margins from the CRF, span features, the hashed classifier and its place in detect."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moli.core.errors import ConfigError
from moli.pii import detect
from moli.pii import model as M
from moli.pii import span_filter as SF
from moli.pii.train import load


def test_margins_agree_with_the_decoded_spans():
    crf = M.engine()
    texts = [r["text"] for r in load("peoples_daily_ner.jsonl", "dev")[:80] if r["text"]]
    dec = crf.decode(texts)
    assert dec.spans == crf.spans(texts)
    assert dec.margins.shape == (sum(map(len, texts)), len(crf.kind_names))
    per = crf.kind_names.index("PER")
    spans = [s for s in dec.spans if s[1] == "PER"]
    assert spans
    for seg, _, a, b in spans:
        mean, low, first, left, right = dec.margin_stats(seg, per, a, b)
        assert low <= mean and low <= first
        assert left == -9.0 if a == 0 else left == pytest.approx(float(dec.margins[dec.offsets[seg] + a - 1, per]))
        assert right == -9.0 if b == len(texts[seg]) else right == pytest.approx(
            float(dec.margins[dec.offsets[seg] + b, per]))
    # the model chose these spans: on average it prefers the name label inside them
    assert np.mean([dec.margin_stats(s, per, a, b)[0] for s, _, a, b in spans]) > 0


def test_span_features_read_words_brackets_and_recurrence():
    t = "电影《张三》上映，张三的父亲说。"
    codes = M.word_codes(t)
    a = t.index("张三")
    f = SF.span_features(t, codes, a, a + 2, (1.0, 0.5, 0.8, -2.0, -9.0))
    assert f["enclosed=《"] == 1.0 and f["surname=1"] == 1.0 and f["script=han"] == 1.0
    assert f["recurs"] == pytest.approx(np.log(2)) and f["margin-right"] == -5.0
    assert f["before=《"] == 1.0 and f["after=》"] == 1.0
    b = t.index("父亲")
    g = SF.span_features(t, codes, b, b + 2, (-0.5, -1.0, -0.5, 1.0, -1.0))
    assert "one-word=n" in g and g["aligned=11"] == 1.0 and g["margin-mean<0"] == 1.0
    assert "word-before=的" in g and g["recurs"] == 0.0
    latin = "玩家MagicYang说"
    assert SF.span_features(latin, M.word_codes(latin), 2, 11, (1, 1, 1, 0, 0))["script=latin"] == 1.0


def test_filter_round_trip_and_probabilities():
    rows = [{"bias": 1.0, "len=3": 1.0}, {"bias": 1.0, "len=2": 1.0, "margin-mean": 2.0}]
    coef = np.zeros(SF.N_FEATURES, dtype=np.float32)
    x = SF.vectorize(rows)
    assert x.shape == (2, SF.N_FEATURES) and x.nnz == 5
    coef[x[1].indices[x[1].data == 2.0]] = 1.0  # weight on margin-mean only
    flt = SF.SpanFilter(coef, -1.0, 0.4)
    again = SF.SpanFilter.from_bytes(flt.to_bytes())
    p = again.proba(rows)
    assert p == pytest.approx([1 / (1 + np.exp(1)), 1 / (1 + np.exp(-1))], abs=1e-3)
    assert again.threshold == pytest.approx(0.4) and len(again.proba([])) == 0


def test_detect_drops_the_names_the_filter_rejects(monkeypatch):
    t = "李明昨天在北京会见了来访的代表团。联系人：王建国，电话13945671234。"
    before = {(f.text, f.source) for f in detect(t, kinds={"PERSON"})}
    assert ("李明", "crf") in before
    reject_all = SF.SpanFilter(np.zeros(SF.N_FEATURES, dtype=np.float32), -20.0, 0.5)
    monkeypatch.setattr(SF, "_loaded", [reject_all])
    after = {(f.text, f.source) for f in detect(t, kinds={"PERSON"})}
    assert ("李明", "crf") not in after
    assert ("王建国", "cue") in after  # a cue is not the model's guess: it stays


def test_shipped_filter_scores_names_and_drops_plain_words(monkeypatch):
    assert SF.shipped() is not None and 0.0 < SF.shipped().threshold < 1.0
    found = detect("记者张晓燕报道，总经理陈志强表示，公司将继续投资。", kinds={"PERSON"})
    assert {"张晓燕", "陈志强"} <= {f.text for f in found}
    assert all(SF.shipped().threshold <= f.score <= 1.0 for f in found if f.source == "crf")
    # spans the CRF alone reads as names: film titles in Latin script
    for t in ("电影《阿凡达》（avatar）将于下月重映。", "美国电影《狩猎聚会》（thehuntingparty）上映。"):
        assert detect(t, kinds={"PERSON"}) == []
        monkeypatch.setattr(SF, "_loaded", [None])
        assert detect(t, kinds={"PERSON"}) != []
        monkeypatch.undo()


def test_training_writes_a_filter_with_a_threshold_from_its_grid(tmp_path):
    from moli.pii.fastcrf import FastCRF
    from moli.pii.train import THRESHOLD_GRID, train

    info = train(max_iterations=5, out_dir=tmp_path, limit=120, evaluate=False)
    flt = SF.SpanFilter.from_bytes((tmp_path / "span_filter.npz").read_bytes())
    sf = info["span_filter"]
    assert flt.threshold == sf["threshold"] and flt.threshold in THRESHOLD_GRID
    assert 0 < sf["true_names"] < sf["candidates"]  # jackknifed spans of the 4 folds, right and wrong
    grid = sf["tune_person_scores_by_threshold"]
    best_f2 = max(v["mean_f2"] for v in grid.values())
    near_best = [t for t in THRESHOLD_GRID if grid[str(t)]["mean_f2"] >= best_f2 - 0.005]
    assert flt.threshold == max(near_best)  # the fewest false alarms among the F2-equivalent thresholds
    crf = FastCRF((tmp_path / "ner.npz").read_bytes())
    assert crf.bias.keys() == {"PER", "ADDR"} and np.any(flt.coef != 0)


def test_refit_ships_every_split_with_the_holdout_models_biases_and_threshold(tmp_path, monkeypatch):
    from moli.pii import model as M
    from moli.pii.fastcrf import FastCRF
    from moli.pii.train import train

    info = train(max_iterations=5, out_dir=tmp_path / "ship", holdout_dir=tmp_path / "holdout", limit=150,
                 evaluate=False)
    held = json.loads((tmp_path / "holdout" / "ner_model.json").read_text("utf-8"))
    assert json.loads((tmp_path / "ship" / "ner_model.json").read_text("utf-8")) == info
    cluener = {d["file"]: d for d in info["training_data"]}["data/ner/cluener.jsonl"]
    held_cluener = {d["file"]: d for d in held["training_data"]}["data/ner/cluener.jsonl"]
    assert cluener["splits"] == ["train", "tune", "dev"] and held_cluener["splits"] == ["train"]
    assert cluener["sha256"] == held_cluener["sha256"]
    assert info["label_bias"] == held["label_bias"]
    assert info["span_filter"]["threshold"] == held["span_filter"]["threshold"]
    assert info["holdout"]["training_data"] == held["training_data"]
    shipped, holdout = (FastCRF((tmp_path / d / "ner.npz").read_bytes()) for d in ("ship", "holdout"))
    assert shipped.bias == holdout.bias
    # the detector reads whichever model $MOLI_PII_MODEL_DIR names
    monkeypatch.setenv(M.MODEL_DIR_ENV, str(tmp_path / "holdout"))
    monkeypatch.setattr(M, "_engine", None)
    monkeypatch.setattr(SF, "_loaded", [])
    held_filter = SF.SpanFilter.from_bytes((tmp_path / "holdout" / "span_filter.npz").read_bytes())
    assert np.array_equal(SF.shipped().coef, held_filter.coef) and SF.shipped().threshold == held_filter.threshold
    assert M.engine().bias == holdout.bias
    monkeypatch.setenv(M.MODEL_DIR_ENV, str(tmp_path / "nowhere"))
    monkeypatch.setattr(M, "_engine", None)
    with pytest.raises(ConfigError, match="nowhere"):
        M.engine()


def test_the_holdout_model_beside_the_benchmark_matches_the_shipped_one():
    """The benchmark measures benchmarks/models/pii when the shipped model learnt from the dev split:
    the two must come from one training run (same files, biases, threshold), the holdout never on dev."""
    from moli.pii.fastcrf import FastCRF
    from moli.pii.train import HOLDOUT_DIR

    shipped = json.loads(M.model_dir().joinpath("ner_model.json").read_text("utf-8"))
    assert "dev" in {d["file"]: d for d in shipped["training_data"]}["data/ner/cluener.jsonl"]["splits"]
    held = json.loads((HOLDOUT_DIR / "ner_model.json").read_text("utf-8"))
    assert held["training_data"] == shipped["holdout"]["training_data"]
    assert all("dev" not in d.get("splits", []) for d in held["training_data"])
    assert {d["file"]: d["sha256"] for d in held["training_data"]} == \
        {d["file"]: d["sha256"] for d in shipped["training_data"]}
    assert held["label_bias"] == shipped["label_bias"]
    assert held["span_filter"]["threshold"] == shipped["span_filter"]["threshold"]
    assert FastCRF((HOLDOUT_DIR / "ner.npz").read_bytes()).bias == M.engine().bias


def test_a_model_without_filter_removes_the_old_filter_and_leaves_no_temporary_files(tmp_path):
    from moli.pii.train import train

    (tmp_path / "span_filter.npz").write_bytes(b"a filter fitted to another CRF")
    info = train(max_iterations=3, out_dir=tmp_path, limit=60, evaluate=False, span_filter=False)
    assert info["span_filter"] is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ner.npz", "ner_model.json"]
    assert json.loads((tmp_path / "ner_model.json").read_text("utf-8")) == info


def _walk(codes: str, i: int) -> tuple[int, int, str]:
    """The word at ``i`` found by walking to its edges (the definition WordBounds must agree with)."""
    tag, pos = SF._code(codes, i)
    s = i
    while s > 0 and pos not in (0, 3):
        s -= 1
        pos = SF._code(codes, s)[1]
    e, pos = i, SF._code(codes, i)[1]
    while e < len(codes) - 1 and pos not in (2, 3):
        e += 1
        pos = SF._code(codes, e)[1]
    return s, e + 1, tag


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0x100, max_value=0x100 + 4 * 60 + 3), min_size=1, max_size=40))
def test_word_bounds_agree_with_walking_to_the_edges(values):
    codes = "".join(map(chr, values))  # any run of codes, malformed ones (B B, M without B) included
    bounds = SF.WordBounds(codes)
    assert [bounds.at(i) for i in range(len(codes))] == [_walk(codes, i) for i in range(len(codes))]


def test_word_bounds_of_real_text():
    text = "国务院总理李克强会见了美国国务卿约翰·克里和" + "1" * 300
    codes = M.word_codes(text)
    bounds = SF.WordBounds(codes)
    assert [bounds.at(i) for i in range(len(text))] == [_walk(codes, i) for i in range(len(text))]
