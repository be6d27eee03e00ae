"""Scoring functions shared by model evaluation (market) and competitions (events).

Text metrics work on characters, as Chinese has no spaces: ``char_f1`` is SQuAD-style F1 over
characters, ``rouge_l_char`` is ROUGE-L F over the longest common character subsequence. Before
comparing, both sides are normalised: NFKC (full-width → half-width), lower-case, whitespace and
punctuation removed.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np


def normalize_answer(text: str) -> str:
    text = unicodedata.normalize("NFKC", str(text)).lower()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] not in "PZSC")


def exact_match(pred: str, ref: str) -> float:
    return float(normalize_answer(pred) == normalize_answer(ref))


def char_f1(pred: str, ref: str) -> float:
    p, r = normalize_answer(pred), normalize_answer(ref)
    if not p and not r:
        return 1.0
    if not p or not r:
        return 0.0
    common = sum((Counter(p) & Counter(r)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(p), common / len(r)
    return 2 * precision * recall / (precision + recall)


def _lcs_length(a: str, b: str) -> int:
    if len(a) < len(b):
        a, b = b, a
    prev = [0] * (len(b) + 1)
    for ca in a:
        cur = [0]
        for j, cb in enumerate(b, 1):
            cur.append(prev[j - 1] + 1 if ca == cb else max(prev[j], cur[j - 1]))
        prev = cur
    return prev[-1]


def rouge_l_char(pred: str, ref: str) -> float:
    p, r = normalize_answer(pred), normalize_answer(ref)
    if not p and not r:
        return 1.0
    if not p or not r:
        return 0.0
    lcs = _lcs_length(p, r)
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(p), lcs / len(r)
    return 2 * precision * recall / (precision + recall)


def _encode(preds: Sequence, refs: Sequence) -> tuple[np.ndarray, np.ndarray, int]:
    if len(preds) != len(refs):
        raise ValueError(f"{len(preds)} predictions for {len(refs)} references")
    labels, inverse = np.unique(np.asarray([str(x) for x in list(refs) + list(preds)], dtype=object).astype(str),
                                return_inverse=True)
    n = len(refs)
    return inverse[n:], inverse[:n], len(labels)


def accuracy(preds: Sequence, refs: Sequence) -> float:
    """Share of labels predicted exactly (labels compared as strings, no normalisation)."""
    if len(preds) != len(refs):
        raise ValueError(f"{len(preds)} predictions for {len(refs)} references")
    if len(refs) == 0:
        return 0.0
    # a plain string comparison: ~50x faster than encoding labels with np.unique (bench_events_scoring)
    return sum(str(p) == str(r) for p, r in zip(preds, refs, strict=True)) / len(refs)


def macro_f1(preds: Sequence, refs: Sequence) -> float:
    """Unweighted mean of per-class F1 over the classes present in the references or predictions."""
    if len(refs) == 0:
        return 0.0
    p, r, k = _encode(preds, refs)
    tp = np.bincount(r[p == r], minlength=k).astype(float)
    pred_count = np.bincount(p, minlength=k).astype(float)
    ref_count = np.bincount(r, minlength=k).astype(float)
    denom = pred_count + ref_count
    f1 = np.divide(2 * tp, denom, out=np.zeros(k), where=denom > 0)
    present = denom > 0
    return float(f1[present].mean()) if present.any() else 0.0


def _mean_of(fn: Callable[[str, str], float]) -> Callable[[Sequence, Sequence], float]:
    def corpus_level(preds: Sequence, refs: Sequence) -> float:
        if len(preds) != len(refs):
            raise ValueError(f"{len(preds)} predictions for {len(refs)} references")
        if not refs:
            return 0.0
        return float(sum(fn(str(p), str(r)) for p, r in zip(preds, refs, strict=True)) / len(refs))

    corpus_level.__name__ = fn.__name__
    corpus_level.__doc__ = f"Mean of ``{fn.__name__}`` over all items."
    return corpus_level


# Name → corpus-level metric over lists of predictions and references (higher is better).
METRICS: dict[str, Callable[[Sequence, Sequence], float]] = {
    "accuracy": accuracy,
    "macro_f1": macro_f1,
    "exact_match": _mean_of(exact_match),
    "char_f1": _mean_of(char_f1),
    "rouge_l_char": _mean_of(rouge_l_char),
}


def bootstrap_interval(statistic: Callable[[np.ndarray], float], n: int, *, resamples: int = 1000,
                       level: float = 0.95, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of ``statistic(indices)`` over ``n`` independent units (documents,
    sentences): how far a figure measured on a few hundred items may sit from the same figure on
    another sample of the same sets."""
    if n == 0:
        return 0.0, 0.0
    rng = np.random.default_rng(seed)
    values = [statistic(rng.integers(0, n, n)) for _ in range(resamples)]
    tail = (1 - level) / 2
    return round(float(np.quantile(values, tail)), 4), round(float(np.quantile(values, 1 - tail)), 4)
