"""Evaluate model offerings on a scenario's own test set through their OpenAI-compatible endpoints.

Each (offering, test item) pair is one ``POST {endpoint}/chat/completions``, sent with async httpx
under a bounded concurrency, a timeout, and retries with exponential back-off on transport errors,
429 and 5xx. An endpoint that hangs past the timeout or answers something that is not a
chat-completions JSON is marked failed *for that item*; the run goes on and reports it.

Answers are cached (SQLite file in MOLI_HOME, keyed by endpoint + model + prompt hash), so a re-run
sends no request. Each pair yields exactly one :class:`ItemResult`.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import json
import os
import random
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from moli.core.errors import ConfigError, InputError
from moli.market.schemas import BUILTIN_METRICS, TestItem
from moli.text import metrics as tm

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class Target:
    """An offering's endpoint: ``base_url`` is OpenAI-compatible (``…/v1``)."""

    offering_id: str
    base_url: str
    model: str
    api_key_env: str | None = None  # name of the environment variable holding the key (never the key)
    cacheable: bool = True  # False for the platform's own baseline, whose answers follow its documents


@dataclass
class ItemResult:
    offering_id: str
    item: int
    status: str  # ok | failed
    prediction: str | None = None
    error: str | None = None
    attempts: int = 0
    cached: bool = False
    latency_ms: float = 0.0
    scores: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"offering_id": self.offering_id, "item": self.item, "status": self.status,
                "prediction": self.prediction, "error": self.error, "attempts": self.attempts, "cached": self.cached,
                "latency_ms": round(self.latency_ms, 3), "scores": dict(self.scores)}


# --- prompts ----------------------------------------------------------------------------------

LETTERS = "ABCDEFGHIJ"


def render_prompt(item: TestItem) -> str:
    """The user message: the prompt, and for multiple choice the lettered options."""
    if not item.choices:
        return item.prompt
    opts = "\n".join(f"{LETTERS[i]}. {c}" for i, c in enumerate(item.choices[: len(LETTERS)]))
    return f"{item.prompt}\n{opts}\n请只回答选项字母。Answer with the letter only."


# --- cache ------------------------------------------------------------------------------------

def cache_key(base_url: str, model: str, prompt: str) -> str:
    return hashlib.sha256(json.dumps([base_url, model, prompt], ensure_ascii=False).encode()).hexdigest()


class ResponseCache:
    """Answers already received: an SQLite file, one row per (endpoint, model, prompt) hash."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        with self._connect() as con:
            con.execute("CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, answer TEXT NOT NULL, "
                        "created REAL NOT NULL)")

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=30)
        con.execute("PRAGMA journal_mode=WAL")
        return con

    def get_many(self, keys: Sequence[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        keys = list(dict.fromkeys(keys))
        with self._lock, self._connect() as con:
            for i in range(0, len(keys), 500):
                chunk = keys[i:i + 500]
                q = f"SELECT key, answer FROM responses WHERE key IN ({','.join('?' * len(chunk))})"
                out.update(dict(con.execute(q, chunk).fetchall()))
        return out

    def put_many(self, pairs: Sequence[tuple[str, str]]) -> None:
        if not pairs:
            return
        now = time.time()
        with self._lock, self._connect() as con:
            con.executemany("INSERT OR REPLACE INTO responses (key, answer, created) VALUES (?, ?, ?)",
                            [(k, a, now) for k, a in pairs])

    def __len__(self) -> int:
        with self._connect() as con:
            return int(con.execute("SELECT COUNT(*) FROM responses").fetchone()[0])


# --- scoring ----------------------------------------------------------------------------------

def _choice_accuracy(pred: str, item: TestItem) -> float:
    """1 if the predicted option (a letter, or the option's text) is the reference option."""
    ref = item.reference.strip()
    choices = item.choices or []
    ref_letter = ref.upper() if len(ref) == 1 and ref.upper() in LETTERS else None
    if ref_letter is None:
        norm = tm.normalize_answer(ref)
        for i, c in enumerate(choices):
            if tm.normalize_answer(c) == norm:
                ref_letter = LETTERS[i]
    p = tm.normalize_answer(pred).upper()
    m = re.match(r"^\(?([A-J])\)?(?![A-Z])", p)
    if m:
        return float(m.group(1) == ref_letter)
    for i, c in enumerate(choices):
        if tm.normalize_answer(c) and tm.normalize_answer(c).upper() == p:
            return float(LETTERS[i] == ref_letter)
    return 0.0


def resolve_scorers(names: Sequence[str], *, allow_custom: bool = True) -> dict[str, Callable[[str, TestItem], float]]:
    """Scoring functions by name: built-ins, or ``module:function`` taking (prediction, reference, item)."""
    out: dict[str, Callable[[str, TestItem], float]] = {}
    builtin = {"exact_match": tm.exact_match, "char_f1": tm.char_f1, "rouge_l_char": tm.rouge_l_char}
    for name in names:
        if name in builtin:
            fn = builtin[name]
            out[name] = lambda p, it, fn=fn: fn(p, it.reference)
        elif name == "choice_accuracy":
            out[name] = _choice_accuracy
        else:
            if not allow_custom:
                raise InputError(f"此处只能使用内置评分方法（{', '.join(BUILTIN_METRICS)}），不能用 {name}",
                                 f"only built-in scoring ({', '.join(BUILTIN_METRICS)}) is allowed here, not {name}",
                                 field="scoring")
            mod, _, attr = name.partition(":")
            try:
                fn = getattr(importlib.import_module(mod), attr)
            except (ImportError, AttributeError) as exc:
                raise ConfigError(f"找不到评分函数 {name}：{exc}", f"scoring function {name} not found: {exc}",
                                  field="scoring") from None
            if not callable(fn):
                raise ConfigError(f"{name} 不是函数", f"{name} is not callable", field="scoring")
            out[name] = lambda p, it, fn=fn: float(fn(p, it.reference, it.model_dump()))
    return out


def score_prediction(pred: str, item: TestItem, scorers: dict[str, Callable[[str, TestItem], float]]) -> dict[str, float]:
    res = {}
    for name, fn in scorers.items():
        if not applies(name, item):
            continue
        v = float(fn(pred, item))
        if not 0.0 <= v <= 1.0:
            raise ConfigError(f"评分函数 {name} 返回 {v}，应在 0 到 1 之间", f"scorer {name} returned {v}, not in [0, 1]")
        res[name] = v
    return res


def applies(metric: str, item: TestItem) -> bool:
    """``choice_accuracy`` applies to multiple-choice items only; every other metric to all items."""
    return bool(item.choices) if metric == "choice_accuracy" else True


def summarise(results: Sequence[ItemResult], scorer_names: Sequence[str], items: Sequence[TestItem]) -> dict[str, Any]:
    """Mean of each metric over the items it applies to (a failed item scores 0), and the counts."""
    n = len(results)
    ok = [r for r in results if r.status == "ok"]
    metrics = {}
    for m in scorer_names:
        n_m = sum(applies(m, items[r.item]) for r in results)
        metrics[m] = sum(r.scores.get(m, 0.0) for r in ok) / n_m if n_m else None
    return {"metrics": metrics,
            "counts": {"items": n, "ok": len(ok), "failed": n - len(ok), "cached": sum(r.cached for r in results)}}


def failure_reasons(results: Sequence[ItemResult | dict[str, Any]]) -> list[dict[str, Any]]:
    """The distinct errors of the failed items with how many items each, most frequent first (then in the
    order first met): ``[{"error": "transport: 连接失败 / connection failed: …", "count": 12}]``. The
    messages are Chinese first, then English, as the client writes them."""
    counts: dict[str, int] = {}
    for r in results:
        status, error = (r.get("status"), r.get("error")) if isinstance(r, dict) else (r.status, r.error)
        if status == "failed":
            key = error or "未知错误 / unknown error"
            counts[key] = counts.get(key, 0) + 1
    return [{"error": e, "count": n} for e, n in sorted(counts.items(), key=lambda kv: -kv[1])]


# --- the client -------------------------------------------------------------------------------

class ItemFailed(Exception):
    """One item failed for good (after ``attempts`` requests); the message says why, in both languages."""

    def __init__(self, message: str, attempts: int):
        super().__init__(message)
        self.attempts = attempts


def _parse_answer(resp: httpx.Response) -> str:
    try:
        body = resp.json()
        content = body["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError):
        snippet = resp.text[:80].replace("\n", " ")
        raise ValueError(f"invalid_response: 不是 chat-completions JSON / not a chat-completions JSON: {snippet!r}") from None
    if not isinstance(content, str):
        raise ValueError("invalid_response: message.content 不是字符串 / message.content is not a string")
    return content


async def _ask(client: httpx.AsyncClient, target: Target, prompt: str, *, retries: int, backoff: float,
               rng: random.Random) -> tuple[str, int]:
    url = f"{target.base_url}/chat/completions"
    headers = {}
    if target.api_key_env and os.environ.get(target.api_key_env):
        headers["Authorization"] = f"Bearer {os.environ[target.api_key_env]}"
    payload = {"model": target.model, "messages": [{"role": "user", "content": prompt}], "temperature": 0}
    last: str = ""
    for attempt in range(retries + 1):
        if attempt:
            await asyncio.sleep(backoff * (2 ** (attempt - 1)) * (1 + rng.random()))
        try:
            resp = await client.post(url, json=payload, headers=headers)
        except httpx.TimeoutException:
            last = "timeout: 超时 / timed out"
            continue
        except httpx.TransportError as exc:
            detail = str(exc).strip()[:120]
            last = f"transport: 连接失败 / connection failed: {type(exc).__name__}" + (f" ({detail})" if detail else "")
            continue
        if resp.status_code == 429 or resp.status_code >= 500:
            last = f"http_{resp.status_code}: 服务端错误 / server error {resp.status_code}"
            continue
        if resp.status_code >= 400:
            raise ItemFailed(f"http_{resp.status_code}: 请求被拒绝 / request refused: {resp.text[:80]!r}", attempt + 1)
        try:
            return _parse_answer(resp), attempt + 1
        except ValueError as exc:
            raise ItemFailed(str(exc), attempt + 1) from None
    raise ItemFailed(f"{last}（重试 {retries} 次后 / after {retries} retries）", retries + 1)


async def run_evaluation(items: Sequence[TestItem], targets: Sequence[Target], *,
                         scorers: dict[str, Callable[[str, TestItem], float]],
                         concurrency: int = 16, timeout: float = 30.0, retries: int = 3, backoff: float = 0.5,
                         cache: ResponseCache | None = None, progress: Progress | None = None,
                         seed: int = 0, mounts: dict[str, httpx.AsyncBaseTransport] | None = None,
                         ) -> dict[str, list[ItemResult]]:
    """Results per offering id, one per test item, in test-set order. ``mounts`` routes URL prefixes
    to other transports (httpx's client ``mounts``): the platform-hosted baseline is reached in
    process, through the same HTTP request and parsing as any endpoint."""
    if concurrency < 1:
        raise InputError("并发数必须 ≥ 1", "concurrency must be at least 1", field="concurrency")
    prompts = [render_prompt(it) for it in items]
    keys = {(t.offering_id, i): cache_key(t.base_url, t.model, p) for t in targets for i, p in enumerate(prompts)}
    uncached = {t.offering_id for t in targets if not t.cacheable}
    cached = cache.get_many([k for (oid, _), k in keys.items() if oid not in uncached]) if cache is not None else {}
    results: dict[tuple[str, int], ItemResult] = {}
    total = len(keys)
    done = 0
    new_answers: list[tuple[str, str]] = []
    rng = random.Random(seed)

    def finish(r: ItemResult) -> None:
        nonlocal done
        if (r.offering_id, r.item) in results:  # never happens; guards the no-duplicate promise
            raise RuntimeError(f"duplicate result for {r.offering_id} item {r.item}")
        if r.status == "ok" and r.prediction is not None:
            r.scores = score_prediction(r.prediction, items[r.item], scorers)
        results[(r.offering_id, r.item)] = r
        done += 1
        if progress is not None:
            progress(done / total if total else 1.0, f"{done}/{total}")

    todo = []
    for (oid, i), key in keys.items():
        if key in cached:
            finish(ItemResult(oid, i, "ok", prediction=cached[key], cached=True))
        else:
            todo.append((oid, i))
    by_id = {t.offering_id: t for t in targets}
    queue: asyncio.Queue[tuple[str, int]] = asyncio.Queue()
    for pair in todo:
        queue.put_nowait(pair)

    # Built once, and only for https endpoints: loading the CA bundle costs ~0.1 s per context.
    ssl_context = httpx.create_ssl_context() if any(t.base_url.startswith("https") for t in targets) else False

    async def worker() -> None:
        # One client (one keep-alive connection) per worker: httpcore's shared pool spends
        # O(connections) per request event, which dominated at concurrency 32.
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(timeout=httpx.Timeout(timeout), limits=limits, trust_env=False,
                                     verify=ssl_context, mounts=mounts) as client:
            while True:
                try:
                    oid, i = queue.get_nowait()
                except asyncio.QueueEmpty:
                    return
                t0 = time.perf_counter()
                try:
                    answer, attempts = await _ask(client, by_id[oid], prompts[i], retries=retries,
                                                  backoff=backoff, rng=rng)
                except ItemFailed as exc:
                    finish(ItemResult(oid, i, "failed", error=str(exc), attempts=exc.attempts,
                                      latency_ms=(time.perf_counter() - t0) * 1000))
                    continue
                if oid not in uncached:
                    new_answers.append((keys[(oid, i)], answer))
                finish(ItemResult(oid, i, "ok", prediction=answer, attempts=attempts,
                                  latency_ms=(time.perf_counter() - t0) * 1000))
                if cache is not None and len(new_answers) >= 500:
                    batch = new_answers[:]
                    new_answers.clear()
                    cache.put_many(batch)

    await asyncio.gather(*(worker() for _ in range(min(concurrency, len(todo)))))
    if cache is not None:
        cache.put_many(new_answers)
    out: dict[str, list[ItemResult]] = {t.offering_id: [] for t in targets}
    for t in targets:
        out[t.offering_id] = [results[(t.offering_id, i)] for i in range(len(items))]
    return out


def _run_sync(coro: Any) -> Any:
    """``asyncio.run``, or in a helper thread when called from inside a running event loop
    (an async web view running the job inline, as in immediate mode)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coro)
        except BaseException as exc:  # handed back to the caller's thread
            box["error"] = exc

    t = threading.Thread(target=target, name="moli-market-eval")
    t.start()
    t.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


def rank_key(row: dict[str, Any]) -> tuple:
    """Leaderboard order: the primary metric, then the scenario's other metrics in order, then fewer
    failed items — a model that answered nothing must not outrank one that answered, on a tie at 0."""
    others = [-(v or 0.0) for k, v in (row.get("metrics") or {}).items() if k != row.get("primary_metric")]
    return (-(row.get("score") or 0.0), *others, (row.get("counts") or {}).get("failed", 0), row["offering_id"])


def evaluate(items: Sequence[TestItem], targets: Sequence[Target], *, scoring: Sequence[str] = ("exact_match",),
             allow_custom_scorers: bool = True, **kwargs: Any) -> dict[str, Any]:
    """Run the evaluation and summarise it: ``{"leaderboard": [...], "results": {offering: [...]}}``."""
    scorers = resolve_scorers(scoring, allow_custom=allow_custom_scorers)
    per = _run_sync(run_evaluation(items, targets, scorers=scorers, **kwargs))
    primary = list(scoring)[0]
    board = []
    for oid, res in per.items():
        s = summarise(res, list(scorers), items)
        board.append({"offering_id": oid, "primary_metric": primary, "score": s["metrics"][primary] or 0.0, **s,
                      "failures": failure_reasons(res)})
    board.sort(key=rank_key)
    for rank, row in enumerate(board, 1):
        row["rank"] = rank
    return {"leaderboard": board, "results": {k: [r.to_dict() for r in v] for k, v in per.items()}}
