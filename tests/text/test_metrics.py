import numpy as np
import pytest

from moli.text.metrics import (
    METRICS,
    accuracy,
    bootstrap_interval,
    char_f1,
    exact_match,
    macro_f1,
    normalize_answer,
    rouge_l_char,
)


def test_normalize_folds_full_width_and_drops_punctuation():
    assert normalize_answer("ＡＢＣ，　１２３。") == "abc123"


def test_exact_match_ignores_punctuation_and_width():
    assert exact_match("北京。", "北京") == 1.0
    assert exact_match("北京市", "北京") == 0.0


def test_char_f1_by_hand():
    # pred 北京市 (3 chars), ref 北京 (2 chars), 2 in common: P=2/3, R=1, F1=0.8
    assert char_f1("北京市", "北京") == pytest.approx(0.8)
    assert char_f1("", "") == 1.0
    assert char_f1("上海", "") == 0.0


def test_rouge_l_char_uses_order():
    # LCS(上海浦东, 浦东新区) = 浦东 (2): P=R=0.5
    assert rouge_l_char("上海浦东", "浦东新区") == pytest.approx(0.5)
    # same characters, reversed order: char F1 is perfect, ROUGE-L is not
    assert char_f1("甲乙丙", "丙乙甲") == 1.0
    assert rouge_l_char("甲乙丙", "丙乙甲") == pytest.approx(1 / 3)


def test_accuracy_and_macro_f1_by_hand():
    preds, refs = ["a", "b", "a", "c"], ["a", "b", "b", "b"]
    assert accuracy(preds, refs) == 0.5
    # class a: tp1 fp1 fn0 → 2/3; class b: tp1 fp0 fn2 → 0.5; class c: tp0 fp1 → 0
    assert macro_f1(preds, refs) == pytest.approx((2 / 3 + 0.5 + 0) / 3)


def test_length_mismatch_is_an_error():
    with pytest.raises(ValueError):
        accuracy(["a"], ["a", "b"])
    with pytest.raises(ValueError):
        METRICS["char_f1"](["a"], [])


def test_registry_means():
    assert METRICS["exact_match"](["甲", "乙"], ["甲", "丙"]) == 0.5
    assert set(METRICS) == {"accuracy", "macro_f1", "exact_match", "char_f1", "rouge_l_char"}


def test_bootstrap_interval_brackets_the_figure_and_narrows_with_more_items():
    rng = np.random.default_rng(7)
    small = (rng.random(100) < 0.8).astype(float)
    large = (rng.random(10_000) < 0.8).astype(float)
    lo, hi = bootstrap_interval(lambda i: small[i].mean(), len(small))
    assert lo < small.mean() < hi
    assert (lo, hi) == bootstrap_interval(lambda i: small[i].mean(), len(small))  # same seed, same interval
    lo_l, hi_l = bootstrap_interval(lambda i: large[i].mean(), len(large))
    assert lo_l < large.mean() < hi_l
    assert hi_l - lo_l < (hi - lo) / 5  # 100x the items: about a tenth of the width
    assert bootstrap_interval(lambda i: 1.0, 0) == (0.0, 0.0)
