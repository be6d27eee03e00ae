"""The scoring engine (评分引擎): read answers and predictions, validate, split public/private, score.

Everything here is pure and fast (100,000 predictions score in well under a second); the sandbox
(``moli.events.sandbox``) runs :func:`score_split` in a separate, limited process.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import xxhash

from moli.core.errors import InputError

MAX_PROBLEMS = 5  # problems listed in one rejection message


def _label(value, where_zh: str, where_en: str) -> str:
    if isinstance(value, bool) or value is None or isinstance(value, (dict, list)):
        raise InputError(f"{where_zh}：label 应为字符串或数字", f"{where_en}: label must be a string or a number",
                         field="label")
    return str(value)


def read_jsonl_labels(lines: Iterable[str | bytes], source: str) -> dict[str, str]:
    """Parse ``{"id", "label"}`` lines into an ordered dict; duplicate ids and bad lines are errors
    naming the line. Used for the hidden answers file (strict: first problem stops)."""
    out: dict[str, str] = {}
    first_line: dict[str, int] = {}
    try:
        # a byte-order mark at the start is dropped, as for submissions (utf-8-sig)
        numbered = [(n, (raw.decode("utf-8-sig" if n == 1 else "utf-8") if isinstance(raw, bytes) else
                         raw.removeprefix("\ufeff") if n == 1 else raw)) for n, raw in enumerate(lines, 1)]
    except UnicodeDecodeError:
        raise InputError(f"{source} 不是 UTF-8 编码", f"{source} is not UTF-8", field="answers") from None
    numbered = [(n, line) for n, line in numbered if line.strip()]
    parsed = _parse_all(numbered)
    for k, (n, line) in enumerate(numbered):
        wz, we = f"{source} 第 {n} 行", f"{source} line {n}"
        try:
            obj = parsed[k] if parsed is not None else json.loads(line)
        except json.JSONDecodeError:
            raise InputError(f"{wz} 不是有效的 JSON", f"{we} is not valid JSON", field=f"line {n}") from None
        if not isinstance(obj, dict) or "id" not in obj or "label" not in obj:
            raise InputError(f"{wz} 应为包含 id 和 label 的对象", f"{we} must be an object with id and label",
                             field=f"line {n}")
        key = str(obj["id"])
        if key in out:
            raise InputError(f"{wz}：id “{key}” 重复（首次出现在第 {first_line[key]} 行）",
                             f"{we}: duplicate id '{key}' (first on line {first_line[key]})", field=f"line {n}")
        out[key] = _label(obj["label"], wz, we)
        first_line[key] = n
    if not out:
        raise InputError(f"{source} 没有任何记录", f"{source} has no records", field="answers")
    return out


@dataclass
class Validation:
    predictions: dict[str, str]
    problems_zh: list[str]
    problems_en: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems_en

    def reason(self) -> tuple[str, str]:
        return "；".join(self.problems_zh), "; ".join(self.problems_en)


def _parse_all(numbered: list[tuple[int, str]]) -> list | None:
    """Fast path: parse all lines as one JSON array (about twice as fast as line by line). None when
    that fails or does not give exactly one object per line; the caller then parses line by line
    to name the bad lines."""
    try:
        out = json.loads("[" + ",".join(line for _, line in numbered) + "]")
    except json.JSONDecodeError:
        return None
    if len(out) != len(numbered) or not all(isinstance(o, dict) for o in out):
        return None
    return out


def validate_predictions(data: bytes | str, answer_ids: Iterable[str], source: str = "submission") -> Validation:
    """Check a submission against the answer ids: every line valid JSON with id and label, no
    duplicate, no unknown id, no missing id. Collects up to MAX_PROBLEMS problems (line numbers)."""
    zh: list[str] = []
    en: list[str] = []

    def problem(z: str, e: str) -> None:
        if len(en) < MAX_PROBLEMS:
            zh.append(z)
            en.append(e)

    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return Validation({}, ["文件不是 UTF-8 编码"], ["the file is not UTF-8"])
    expected = answer_ids if isinstance(answer_ids, (set, frozenset, dict)) else set(answer_ids)
    preds: dict[str, str] = {}
    first: dict[str, int] = {}
    unknown: list[str] = []
    n_bad = 0
    numbered = [(n, line) for n, line in enumerate(data.splitlines(), 1) if line.strip()]
    parsed = _parse_all(numbered)
    for k, (n, line) in enumerate(numbered):
        if parsed is not None:
            obj = parsed[k]
        else:
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                n_bad += 1
                problem(f"第 {n} 行不是有效的 JSON", f"line {n} is not valid JSON")
                continue
        if not isinstance(obj, dict) or "id" not in obj or "label" not in obj:
            n_bad += 1
            problem(f"第 {n} 行应为包含 id 和 label 的对象", f"line {n} must be an object with id and label")
            continue
        key = str(obj["id"])
        label = obj["label"]
        if isinstance(label, bool) or label is None or isinstance(label, (dict, list)):
            n_bad += 1
            problem(f"第 {n} 行 label 应为字符串或数字", f"line {n}: label must be a string or a number")
            continue
        if key in preds:
            problem(f"第 {n} 行 id “{key}” 重复（首次在第 {first[key]} 行）",
                    f"line {n}: duplicate id '{key}' (first on line {first[key]})")
            continue
        if key not in expected:
            unknown.append(key)
            continue
        preds[key] = str(label)
        first[key] = n
    if unknown:
        shown = ", ".join(unknown[:3])
        problem(f"{len(unknown)} 个未知 id（如 {shown}）", f"{len(unknown)} unknown ids (e.g. {shown})")
    if len(preds) < len(expected) and not n_bad:
        missing = [k for k in expected if k not in preds]
        shown = ", ".join(missing[:3])
        problem(f"缺少 {len(missing)} 个 id 的预测（如 {shown}）", f"{len(missing)} ids have no prediction (e.g. {shown})")
    if not preds and not en:
        problem("文件没有任何预测", "the file has no predictions")
    return Validation(preds, zh, en)


def public_mask(competition_id: str, ids: list[str], fraction: float) -> list[bool]:
    """Which ids the public board scores: the ``round(n * fraction)`` ids (at least one, and at
    least one left for the private board when n >= 2) with the smallest xxh64("<competition>:<id>").
    Deterministic, independent of file order, different per competition."""
    n = len(ids)
    if n == 0:
        return []
    k = round(n * fraction)
    k = max(1, min(k, n - 1)) if n >= 2 else 1
    import numpy as np

    prefix = (competition_id + ":").encode("utf-8")
    h = xxhash.xxh64_intdigest
    hashes = np.fromiter((h(prefix + i.encode("utf-8")) for i in ids), dtype=np.uint64, count=n)
    # a stable sort; equal 64-bit hashes (vanishingly rare) fall back to the ids' order
    order = np.argsort(hashes, kind="stable")
    mask = np.zeros(n, dtype=bool)
    mask[order[:k]] = True
    return mask.tolist()


def public_ids(competition_id: str, ids: Iterable[str], fraction: float) -> set[str]:
    ids = list(ids)
    return {i for i, m in zip(ids, public_mask(competition_id, ids, fraction), strict=True) if m}


def resolve_metric(metric: str) -> Callable[[dict[str, str], dict[str, str]], float]:
    """A function (predictions by id, references by id) -> float for a metric name."""
    if metric.startswith("custom:"):
        _, module, func = metric.split(":", 2)
        fn = getattr(importlib.import_module(module), func)
        return lambda preds, refs: float(fn(preds, refs))
    from moli.text.metrics import METRICS

    if metric not in METRICS:
        raise InputError(f"未知的评价指标 {metric}", f"unknown metric {metric}", field="metric")
    corpus_fn = METRICS[metric]

    def builtin(preds: dict[str, str], refs: dict[str, str]) -> float:
        keys = list(refs)
        return float(corpus_fn([preds.get(k, "") for k in keys], [refs[k] for k in keys]))

    return builtin


def score_split(metric: str, competition_id: str, public_fraction: float,
                answers: dict[str, str], predictions: dict[str, str], mask: list[bool] | None = None) -> dict:
    """Score one submission on the public and the private part of the answers."""
    ids = list(answers)
    mask = mask if mask is not None else public_mask(competition_id, ids, public_fraction)
    if metric.startswith("custom:"):
        fn = resolve_metric(metric)
        pub_refs = {k: answers[k] for k, m in zip(ids, mask, strict=True) if m}
        priv_refs = {k: answers[k] for k, m in zip(ids, mask, strict=True) if not m}
        public = fn(predictions, pub_refs)
        private = fn(predictions, priv_refs) if priv_refs else None
    else:
        return score_lists(metric, [answers[k] for k in ids], [predictions.get(k, "") for k in ids], mask)
    return _checked({"public_score": public, "private_score": private, "n_public": sum(mask),
                     "n_private": len(mask) - sum(mask)})


def score_lists(metric: str, refs: list[str], preds: list[str], mask: list[bool]) -> dict:
    """A built-in metric over aligned lists (the sandbox's fast path: no ids needed)."""
    from moli.text.metrics import METRICS

    if metric not in METRICS:
        raise InputError(f"未知的评价指标 {metric}", f"unknown metric {metric}", field="metric")
    corpus_fn = METRICS[metric]
    pub_p = [p for p, m in zip(preds, mask, strict=True) if m]
    pub_r = [r for r, m in zip(refs, mask, strict=True) if m]
    priv_p = [p for p, m in zip(preds, mask, strict=True) if not m]
    priv_r = [r for r, m in zip(refs, mask, strict=True) if not m]
    return _checked({"public_score": float(corpus_fn(pub_p, pub_r)),
                     "private_score": float(corpus_fn(priv_p, priv_r)) if priv_r else None,
                     "n_public": len(pub_r), "n_private": len(priv_r)})


def _checked(out: dict) -> dict:
    for key in ("public_score", "private_score"):
        v = out[key]
        if v is not None and not (v == v and abs(v) != float("inf")):  # NaN or inf
            raise ValueError(f"the scorer returned {v}")
    return out
