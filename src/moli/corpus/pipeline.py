"""Corpus build (语料构建): recipe → shards, with resumable staging and atomic outputs.

Phases:

1. **map** (per input shard = one input file, in worker processes or Ray tasks): read documents in
   batches, run the recipe's steps in order. Map steps keep or drop documents; a global step only
   ``prepare``s (hash key, MinHash signature) the documents that reached it. Each shard's results are
   written to ``OUT/.staging/<recipe-hash>/shard-NNNNNN/`` and a ``done.json`` marker is written last,
   so a killed run resumes from the shards already done.
2. **global** (driver): each global step collects the prepared rows of every shard in input order,
   minus rows an earlier global step removed, and decides which rows go (the earliest input is kept).
3. **write** (driver): stream the staged documents into ``OUT/data/part-*.parquet`` and
   ``OUT/removed/part-*.parquet`` (zstd), then ``stats.json`` and finally ``manifest.json``;
   after it the dataset card ``README.md`` and ``croissant.json`` (``moli.corpus.card``).

A removed document is attributed to the first step (in recipe order) that removed it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from moli.core.errors import ConfigError, InputError
from moli.corpus.document import Document, Removed
from moli.corpus.readers import InputFile, expand_inputs, read_file
from moli.corpus.recipe import Recipe
from moli.corpus.steps import GlobalStep, Step
from moli.corpus.writers import (
    DATA_SCHEMA,
    REMOVED_SCHEMA,
    AtomicParquetWriter,
    ShardedWriter,
    atomic_write_bytes,
    atomic_write_json,
    sha256_file,
)

STAGED_KEPT = pa.schema([("row", pa.int64()), ("id", pa.string()), ("text", pa.string()),
                         ("source", pa.string()), ("meta", pa.string())])
STAGED_REMOVED = pa.schema([("row", pa.int64()), ("id", pa.string()), ("text", pa.string()),
                            ("source", pa.string()), ("meta", pa.string()), ("removed_by", pa.string()),
                            ("reason", pa.string()), ("duplicate_of", pa.string()), ("step", pa.int32())])
READ_STEP = -1  # step index of documents removed by the reader


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, default=str)


# ---------------------------------------------------------------------------------------------
# map phase


@dataclass
class BatchResult:
    kept: list[tuple[int, Document]]
    removed: list[tuple[int, int, Removed]]  # (row, step index, removed)
    prepared: dict[int, list[tuple[np.ndarray, np.ndarray]]]  # step index -> [(rows, payload)]
    counts: dict[int, dict[str, Any]]
    seconds: dict[int, float]


def apply_steps(steps: list[Step], items: list[tuple[int, Document]]) -> BatchResult:
    """Run ``steps`` over one batch of (row, document); global steps only prepare."""
    removed: list[tuple[int, int, Removed]] = []
    prepared: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {}
    counts: dict[int, dict[str, Any]] = {}
    seconds: dict[int, float] = {}
    for k, step in enumerate(steps):
        t0 = time.perf_counter()
        if not items:
            counts[k] = {"in": 0, "out": 0, "removed": {}}
            seconds[k] = 0.0
            continue
        if step.is_global:
            assert isinstance(step, GlobalStep)
            payload = step.prepare([d for _, d in items])
            rows = np.fromiter((r for r, _ in items), dtype=np.int64, count=len(items))
            prepared.setdefault(k, []).append((rows, payload))
            counts[k] = {"in": len(items), "out": len(items), "removed": {}}
        else:
            row_of = {id(d): r for r, d in items}
            kept_docs, gone = step.process([d for _, d in items])
            items = [(row_of[id(d)], d) for d in kept_docs]
            reasons: Counter[str] = Counter()
            for rem in gone:
                removed.append((row_of[id(rem.document)], k, rem))
                reasons[rem.reason] += 1
            counts[k] = {"in": len(row_of), "out": len(items), "removed": dict(reasons)}
        seconds[k] = time.perf_counter() - t0
    return BatchResult(items, removed, prepared, counts, seconds)


def _merge_counts(into: dict[int, dict[str, Any]], add: dict[int, dict[str, Any]]) -> None:
    for k, c in add.items():
        cur = into.setdefault(k, {"in": 0, "out": 0, "removed": {}})
        cur["in"] += c["in"]
        cur["out"] += c["out"]
        for reason, n in c["removed"].items():
            cur["removed"][reason] = cur["removed"].get(reason, 0) + n


def _uncount(counts: dict[int, dict[str, Any]], steps: list[Step], *, after: int, until: int,
             removed_for: str | None = None) -> None:
    """Take out of the map steps' counts a document that global step ``after`` removed.

    In the map phase a map step placed after a global step runs on every document, the ones the
    global step will remove included (its decision comes later). Counted as they ran, step k's "in"
    would exceed step k-1's "out" (a demo showed 22 documents entering the domain step after the
    near-duplicate step let 20 through). The document passed the map steps between ``after`` and
    ``until``; at ``until`` (when it is a step) a map step removed it for ``removed_for``, a
    removal the write phase attributes to the global step instead."""
    for k in range(after + 1, min(until, len(steps))):
        if not steps[k].is_global and k in counts:
            counts[k]["in"] -= 1
            counts[k]["out"] -= 1
    if removed_for is not None and until < len(steps) and until in counts:
        c = counts[until]
        c["in"] -= 1
        c["removed"][removed_for] -= 1
        if not c["removed"][removed_for]:
            del c["removed"][removed_for]


def _kept_row(row: int, d: Document) -> dict[str, Any]:
    return {"row": row, "id": d.id, "text": d.text, "source": d.source, "meta": _dumps(d.meta)}


def _removed_row(row: int, step: int, r: Removed) -> dict[str, Any]:
    d = r.document
    return {"row": row, "id": d.id, "text": d.text, "source": d.source, "meta": _dumps(d.meta),
            "removed_by": r.removed_by, "reason": r.reason, "duplicate_of": r.duplicate_of, "step": step}


def _columns(rows: list[dict[str, Any]], schema: pa.Schema) -> dict[str, list]:
    return {name: [r[name] for r in rows] for name in schema.names}


class ShardStager:
    """Writes one shard's staged results; ``finish`` writes ``done.json`` last."""

    def __init__(self, shard_dir: Path, steps: list[Step]):
        self.dir = shard_dir
        shard_dir.mkdir(parents=True, exist_ok=True)
        (shard_dir / "done.json").unlink(missing_ok=True)
        self.kept = AtomicParquetWriter(shard_dir / "kept.parquet", STAGED_KEPT)
        self.removed = AtomicParquetWriter(shard_dir / "removed.parquet", STAGED_REMOVED)
        self.steps = steps
        self.prepared: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {}
        self.counts: dict[int, dict[str, Any]] = {}
        self.seconds: dict[int, float] = {}
        self.read_errors: Counter[str] = Counter()
        self.n_read = 0
        self.n_docs = 0
        self.text_bytes = 0

    def add_read_error(self, row: int, rem: Removed) -> None:
        self.read_errors[rem.reason] += 1
        self.removed.write(_columns([_removed_row(row, READ_STEP, rem)], STAGED_REMOVED))

    def add(self, result: BatchResult) -> None:
        self.kept.write(_columns([_kept_row(r, d) for r, d in result.kept], STAGED_KEPT))
        if result.removed:
            self.removed.write(_columns([_removed_row(r, k, rem) for r, k, rem in result.removed], STAGED_REMOVED))
        for k, parts in result.prepared.items():
            self.prepared.setdefault(k, []).extend(parts)
        _merge_counts(self.counts, result.counts)
        for k, s in result.seconds.items():
            self.seconds[k] = self.seconds.get(k, 0.0) + s

    def finish(self, f: InputFile) -> dict[str, Any]:
        self.kept.close()
        self.removed.close()
        for k in range(len(self.steps)):
            if not self.steps[k].is_global:
                continue
            parts = self.prepared.get(k, [])
            rows = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, dtype=np.int64)
            payload = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0)
            import io

            buf = io.BytesIO()
            np.savez(buf, rows=rows, payload=payload)
            atomic_write_bytes(self.dir / f"g{k}.npz", buf.getvalue())
        done = {
            "url": f.url, "size": f.size, "mtime": f.mtime, "n_read": self.n_read, "n_docs": self.n_docs,
            "text_bytes": self.text_bytes, "read_errors": dict(self.read_errors),
            "counts": {str(k): v for k, v in self.counts.items()},
            "seconds": {str(k): v for k, v in self.seconds.items()},
        }
        atomic_write_json(self.dir / "done.json", done)
        return done

    def abort(self) -> None:
        self.kept.abort()
        self.removed.abort()


def process_shard(recipe: Recipe, f: InputFile, shard_dir: str, progress: Any = None) -> dict[str, Any]:
    """Map phase for one input file (runs in a worker process).

    ``progress`` (a queue, or anything with ``put``) receives ``(url, documents, text bytes)`` after
    each batch, so the progress bar moves inside large files too."""
    stager = ShardStager(Path(shard_dir), recipe.steps)

    def run(batch: list[tuple[int, Document]]) -> None:
        stager.add(apply_steps(recipe.steps, batch))
        if progress is not None:
            progress.put((f.url, len(batch), sum(len(d.text.encode("utf-8")) for _, d in batch)))

    try:
        batch: list[tuple[int, Document]] = []
        row = 0
        spec = recipe.input
        for item in read_file(f, text_field=spec.text_field, id_field=spec.id_field,
                              html_extractor=spec.html_extractor):
            if isinstance(item, Removed):
                stager.add_read_error(row, item)
            else:
                batch.append((row, item))
                stager.n_docs += 1
                stager.text_bytes += len(item.text.encode("utf-8"))
                if len(batch) >= recipe.batch_size:
                    run(batch)
                    batch = []
            row += 1
        if batch:
            run(batch)
        stager.n_read = row
        return stager.finish(f)
    except BaseException:
        stager.abort()
        raise


def shard_dir_for(staging: Path, index: int) -> Path:
    return staging / f"shard-{index:06d}"


def shard_done(staging: Path, index: int, f: InputFile) -> dict[str, Any] | None:
    marker = shard_dir_for(staging, index) / "done.json"
    if not marker.exists():
        return None
    try:
        done = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    if done.get("url") != f.url or done.get("size") != f.size or done.get("mtime") != f.mtime:
        return None  # the input changed since this shard was processed
    return done


# ---------------------------------------------------------------------------------------------
# executors (local here, Ray in moli.corpus.ray_executor)

ProgressFn = Callable[[InputFile, dict[str, Any]], None]
BatchFn = Callable[[str, int, int], None]


class _DirectQueue:
    """``put`` calls the callback at once (inline runs)."""

    def __init__(self, fn: BatchFn):
        self.fn = fn

    def put(self, item: tuple[str, int, int]) -> None:
        self.fn(*item)


def run_local(recipe: Recipe, files: list[InputFile], staging: Path, *, workers: int | None = None,
              on_shard: ProgressFn | None = None, on_batch: BatchFn | None = None) -> None:
    """Run the map phase for every pending shard, one worker process per core."""
    pending = []
    for i, f in enumerate(files):
        done = shard_done(staging, i, f)
        if done is None:
            pending.append((i, f))
        elif on_shard:  # resumed: already done in an earlier run
            on_shard(f, done)
    n_workers = max(1, min(workers or recipe.workers or os.cpu_count() or 1, len(pending)))
    if n_workers <= 1:
        direct = _DirectQueue(on_batch) if on_batch else None
        for i, f in pending:
            done = process_shard(recipe, f, str(shard_dir_for(staging, i)), direct)
            if on_shard:
                on_shard(f, done)
        return
    import multiprocessing as mp
    import queue as queue_mod
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    ctx = mp.get_context("spawn")
    manager = None
    if on_batch:
        from multiprocessing.managers import SyncManager

        manager = SyncManager(ctx=ctx)
        manager.start(_ignore_sigint)  # Ctrl-C reaches the whole process group: only the driver handles it
    progress_q = manager.Queue() if manager else None

    def drain() -> None:
        while progress_q is not None:
            try:
                on_batch(*progress_q.get_nowait())
            except (queue_mod.Empty, OSError, EOFError):
                return

    pool = ProcessPoolExecutor(max_workers=n_workers, mp_context=ctx, initializer=_ignore_sigint)
    try:
        # Keep at most 2 shards per worker in flight: memory stays bounded by the shards being read.
        queue = list(pending)
        running: dict[Any, InputFile] = {}
        while queue or running:
            while queue and len(running) < 2 * n_workers:
                i, f = queue.pop(0)
                running[pool.submit(process_shard, recipe, f, str(shard_dir_for(staging, i)), progress_q)] = f
            finished, _ = wait(list(running), timeout=0.25, return_when=FIRST_COMPLETED)
            drain()
            for fut in finished:
                f = running.pop(fut)
                done = fut.result()
                if on_shard:
                    on_shard(f, done)
        drain()
    except BaseException:
        # Ctrl-C (KeyboardInterrupt), SIGTERM (SystemExit) or a failed shard: stop at once. Waiting for the
        # pool could hang for ever (workers blocked on the call queue); staging is left for the rerun.
        _stop_pool(pool)
        raise
    else:
        pool.shutdown(wait=True)
    finally:
        if manager is not None:
            try:
                manager.shutdown()
            except Exception:  # noqa: BLE001 - the manager may already be gone
                pass


def _ignore_sigint() -> None:
    """Worker initializer: Ctrl-C is the driver's to handle (it stops the workers itself)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _stop_pool(pool: Any) -> None:
    """Cancel what has not started and end the worker processes without waiting on them."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    try:
        pool.shutdown(wait=False, cancel_futures=True)
    except Exception:  # noqa: BLE001
        pass
    for p in procs:
        try:
            p.terminate()
        except Exception:  # noqa: BLE001
            pass
    for p in procs:
        p.join(timeout=5)
        if p.is_alive():
            p.kill()
            p.join(timeout=5)


# ---------------------------------------------------------------------------------------------
# global + write phases


@dataclass
class BuildResult:
    out_dir: Path
    manifest: dict[str, Any]
    stats: dict[str, Any]
    summary: dict[str, Any] = field(default_factory=dict)


def _iter_parquet(path: Path, columns: list[str] | None = None, batch_size: int = 2000) -> Iterable[dict]:
    pf = pq.ParquetFile(path)
    for batch in pf.iter_batches(batch_size=batch_size, columns=columns):
        yield from batch.to_pylist()


def _texts_of_rows(shard_dir: Path, local_rows: np.ndarray, chunk: int = 4096):
    """The staged texts of ``local_rows`` (increasing), in chunks of ``(positions, texts)``: a merge
    of the shard's kept and removed files, both sorted by row, so memory stays one chunk."""
    def stream(name: str):
        path = shard_dir / name
        if path.exists():
            for rec in _iter_parquet(path, ["row", "text"]):
                yield rec["row"], rec["text"]

    import heapq

    merged = heapq.merge(stream("kept.parquet"), stream("removed.parquet"), key=lambda x: x[0])
    pos: list[int] = []
    texts: list[str] = []
    j = 0
    for row, text in merged:
        if j < len(local_rows) and local_rows[j] < row:
            raise RuntimeError(f"row {int(local_rows[j])} of {shard_dir} has no staged text")
        if j < len(local_rows) and local_rows[j] == row:
            pos.append(j)
            texts.append(text)
            j += 1
            if len(pos) >= chunk:
                yield np.asarray(pos), texts
                pos, texts = [], []
    if j < len(local_rows):
        raise RuntimeError(f"row {int(local_rows[j])} of {shard_dir} has no staged text")
    if pos:
        yield np.asarray(pos), texts


def _length_stats(lengths: np.ndarray) -> dict[str, Any]:
    if len(lengths) == 0:
        return {"count": 0}
    edges = [0, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000, 10**9]
    hist, _ = np.histogram(lengths, bins=edges)
    return {
        "count": int(len(lengths)), "total_chars": int(lengths.sum()), "min": int(lengths.min()),
        "mean": round(float(lengths.mean()), 1), "p50": int(np.percentile(lengths, 50)),
        "p90": int(np.percentile(lengths, 90)), "max": int(lengths.max()),
        "histogram": {"edges": edges, "counts": [int(x) for x in hist]},
    }


def finalize(recipe: Recipe, files: list[InputFile], staging: Path, out: Path, *, executor: str,
             map_seconds: float) -> BuildResult:
    t0 = time.perf_counter()
    previous = _manifest_files(out)  # the shards an earlier build wrote: the only ones it may replace
    (out / "manifest.json").unlink(missing_ok=True)  # no manifest until the outputs are complete
    dones = []
    for i, f in enumerate(files):
        done = shard_done(staging, i, f)
        if done is None:
            raise RuntimeError(f"shard {i} ({f.url}) was not processed")
        dones.append(done)
    bases = np.cumsum([0] + [d["n_read"] for d in dones])
    steps = recipe.steps
    counts: dict[int, dict[str, Any]] = {}
    seconds: dict[int, float] = {}
    read_errors: Counter[str] = Counter()
    for d in dones:
        _merge_counts(counts, {int(k): v for k, v in d["counts"].items()})
        for k, s in d["seconds"].items():
            seconds[int(k)] = seconds.get(int(k), 0.0) + s
        read_errors.update(d["read_errors"])

    # global phase
    removed_global: dict[int, tuple[int, str, str, int | None]] = {}
    for k, step in enumerate(steps):
        if not step.is_global:
            continue
        assert isinstance(step, GlobalStep)
        tg = time.perf_counter()
        work = staging / f"work-{k}"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        step.begin(work)
        gone = np.fromiter(sorted(removed_global), dtype=np.int64, count=len(removed_global))
        n_in = 0
        for i in range(len(files)):
            with np.load(shard_dir_for(staging, i) / f"g{k}.npz", allow_pickle=False) as z:
                rows, payload = z["rows"] + bases[i], z["payload"]
            if len(gone):
                mask = ~np.isin(rows, gone)
                rows, payload = rows[mask], payload[mask]
            n_in += len(rows)
            if len(rows) and step.needs_texts:
                for pos, texts in _texts_of_rows(shard_dir_for(staging, i), rows - bases[i]):
                    step.collect(rows[pos], payload[pos], texts)
            elif len(rows):
                step.collect(rows, payload)
        decided = step.decide()
        reasons: Counter[str] = Counter()
        for r, (reason, kept) in decided.items():
            removed_global.setdefault(int(r), (k, step.name, reason, kept))
            reasons[reason] += 1
        counts[k] = {"in": n_in, "out": n_in - len(decided), "removed": dict(reasons)}
        seconds[k] = seconds.get(k, 0.0) + (time.perf_counter() - tg)
        shutil.rmtree(work, ignore_errors=True)

    # ids of kept rows that duplicates point to
    need = {v[3] for v in removed_global.values() if v[3] is not None}
    id_of: dict[int, str] = {}
    if need:
        for i in range(len(files)):
            lo, hi = bases[i], bases[i + 1]
            if not any(lo <= r < hi for r in need):
                continue
            for name in ("kept.parquet", "removed.parquet"):
                for rec in _iter_parquet(shard_dir_for(staging, i) / name, ["row", "id"]):
                    if rec["row"] + lo in need:
                        id_of[rec["row"] + lo] = rec["id"]

    # write phase
    for sub in ("data", "removed"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    data_w = ShardedWriter(out / "data", DATA_SCHEMA, recipe.output.shard_size)
    rem_w = ShardedWriter(out / "removed", REMOVED_SCHEMA, recipe.output.shard_size)
    lengths: list[np.ndarray] = []
    removed_total: Counter[str] = Counter()
    pii_counts: Counter[str] = Counter()
    try:
        for i in range(len(files)):
            base = int(bases[i])
            sd = shard_dir_for(staging, i)
            shard_lengths = []
            for rec in _iter_parquet(sd / "kept.parquet"):
                row = rec["row"] + base
                g = removed_global.get(row)
                if g is not None:
                    rem_w.add(_removed_out(rec, g[1], g[2], id_of.get(g[3]) if g[3] is not None else None))
                    removed_total[g[1]] += 1
                    _uncount(counts, steps, after=g[0], until=len(steps))
                    continue
                meta = json.loads(rec["meta"])
                meta.setdefault("source", rec["source"])
                data_w.add({"id": rec["id"], "text": rec["text"], "meta": _dumps(meta)})
                shard_lengths.append(len(rec["text"]))
                for kind, n in (meta.get("pii_counts") or {}).items():
                    pii_counts[kind] += n
            lengths.append(np.array(shard_lengths, dtype=np.int64))
            for rec in _iter_parquet(sd / "removed.parquet"):
                row = rec["row"] + base
                g = removed_global.get(row)
                if g is not None and rec["step"] != READ_STEP and g[0] < rec["step"]:
                    rem_w.add(_removed_out(rec, g[1], g[2], id_of.get(g[3]) if g[3] is not None else None))
                    removed_total[g[1]] += 1
                    _uncount(counts, steps, after=g[0], until=rec["step"], removed_for=rec["reason"])
                else:
                    rem_w.add(_removed_out(rec, rec["removed_by"], rec["reason"], rec["duplicate_of"]))
                    removed_total[rec["removed_by"]] += 1
        data_files = data_w.close()
        removed_files = rem_w.close()
    except BaseException:
        data_w.abort()
        rem_w.abort()
        raise
    _remove_stale_shards(out, {f"data/{p.name}" for p, _ in data_files} | {f"removed/{p.name}" for p, _ in removed_files},
                         previous)

    n_read = int(bases[-1])
    n_kept = sum(n for _, n in data_files)
    in_bytes = sum(f.size for f in files)
    write_seconds = time.perf_counter() - t0
    total_seconds = map_seconds + write_seconds
    stats = {
        "name": recipe.name,
        "read": {"files": len(files), "bytes": in_bytes, "records": n_read,
                 "documents": sum(d["n_docs"] for d in dones), "errors": dict(read_errors)},
        "steps": [
            {"index": k, "name": s.name, "global": s.is_global, "params": s.model_dump(mode="json"),
             **counts.get(k, {"in": 0, "out": 0, "removed": {}}), "seconds": round(seconds.get(k, 0.0), 3)}
            for k, s in enumerate(steps)
        ],
        "kept": n_kept,
        "removed": dict(removed_total),
        "lengths": _length_stats(np.concatenate(lengths) if lengths else np.zeros(0, dtype=np.int64)),
        "pii": dict(pii_counts),
        "throughput": {
            "executor": executor, "seconds": round(total_seconds, 3), "map_seconds": round(map_seconds, 3),
            "global_and_write_seconds": round(write_seconds, 3),
            "docs_per_second": round(n_read / total_seconds, 1) if total_seconds else None,
            "mb_per_second": round(in_bytes / 1e6 / total_seconds, 3) if total_seconds else None,
        },
    }
    atomic_write_json(out / "stats.json", stats)
    from moli import __version__

    manifest = {
        "name": recipe.name,
        "recipe_hash": recipe.hash(),
        "moli_version": __version__,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "executor": executor,
        "recipe": recipe.canonical(),
        "inputs": [{"url": f.url, "bytes": f.size} for f in files],
        "counts": {"input_files": len(files), "records_read": n_read, "kept": n_kept,
                   "removed": sum(removed_total.values()), "read_errors": sum(read_errors.values())},
        "files": [
            {"path": f"{sub}/{p.name}", "rows": n, "bytes": p.stat().st_size, "sha256": sha256_file(p)}
            for sub, group in (("data", data_files), ("removed", removed_files)) for p, n in group
        ] + [{"path": "stats.json", "bytes": (out / "stats.json").stat().st_size,
              "sha256": sha256_file(out / "stats.json")}],
    }
    atomic_write_json(out / "manifest.json", manifest)
    if not recipe.output.keep_staging:
        shutil.rmtree(staging, ignore_errors=True)
        try:
            (out / ".staging").rmdir()
        except OSError:
            pass
    summary = {"kept": n_kept, "removed": dict(removed_total), "read_errors": dict(read_errors),
               "records_read": n_read, "output": str(out), "seconds": round(total_seconds, 2)}
    return BuildResult(out, manifest, stats, summary)


def _removed_out(rec: dict, removed_by: str, reason: str, duplicate_of: str | None) -> dict[str, Any]:
    return {"id": rec["id"], "text": rec["text"], "meta": rec["meta"], "source": rec["source"],
            "removed_by": removed_by, "reason": reason, "duplicate_of": duplicate_of}


# ---------------------------------------------------------------------------------------------
# the output folder: checked before the build, locked while it runs, only our own files replaced

MARKER = ".moli-corpus"  # written into an output folder the first time a build claims it
LOCK = ".moli-build.lock"
CARD_FILES = ("README.md", "croissant.json", "card.json")
_TOP_FILES = ("manifest.json", "stats.json", MARKER, LOCK, *CARD_FILES)
_OUR_SUBDIRS = ("data", "removed", ".staging")
_PART = re.compile(r"^part-\d{5}\.parquet$")
_PART_TMP = re.compile(r"^\.part-\d{5}\.parquet\.tmp-\d+$")  # AtomicParquetWriter's temporary names


def _manifest_files(out: Path) -> set[str]:
    try:
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        return {f["path"] for f in manifest.get("files", []) if isinstance(f, dict) and "path" in f}
    except (OSError, ValueError, AttributeError, TypeError):
        return set()


def _remove_stale_shards(out: Path, keep: set[str], previous: set[str]) -> None:
    """Delete what an earlier build of ours left in ``data/`` and ``removed/`` and this one did not write:
    shards the previous manifest names, shards named like ours in a folder carrying our marker, and our
    temporary names (``.part-00000.parquet.tmp-PID`` left by a killed build). Nothing else."""
    marked = (out / MARKER).exists()
    for sub in ("data", "removed"):
        folder = out / sub
        if not folder.is_dir():
            continue
        for p in folder.iterdir():
            rel = f"{sub}/{p.name}"
            if rel in keep or not p.is_file():
                continue
            if rel in previous or _PART_TMP.match(p.name) or (marked and _PART.match(p.name)):
                p.unlink(missing_ok=True)


def _is_moli_output(out: Path) -> bool:
    return any((out / name).exists() for name in ("manifest.json", MARKER, LOCK, ".staging"))


def check_output(recipe: Recipe, out: Path, *, local: bool = True) -> None:
    """Refuse an output folder the build could damage, before any input is read: an empty path, the
    recipe's own folder or a folder holding it, a file (or a path under a file), and a non-empty folder
    that is not the output of an earlier build (no ``manifest.json``): the build replaces what it finds
    there. Inputs inside the output folder are handled by :func:`exclude_output`."""
    raw = recipe.output.path
    if not raw.strip():
        raise InputError(f"输出路径 output.path 为空：请写一个专用的输出文件夹（如 out/{recipe.name}）",
                         f"output.path is empty: give a folder of its own (e.g. out/{recipe.name})", field="output.path")
    if not local:
        return
    try:
        o, base = out.resolve(), recipe.base.resolve()
        if o == base or o in base.parents:
            raise InputError(f"输出文件夹 {o} 是配方所在的文件夹或包含它（output.path: {raw!r}），构建会覆盖其中的文件；"
                             f"请改用专用的子文件夹（如 out/{recipe.name}）",
                             f"the output folder {o} is or contains the recipe's folder (output.path: {raw!r}); the build "
                             f"would overwrite files there; use a folder of its own (e.g. out/{recipe.name})",
                             field="output.path")
        if out.exists() and not out.is_dir():
            raise InputError(f"输出路径 {out} 是一个文件，不是文件夹", f"the output path {out} is a file, not a folder",
                             field="output.path")
        for parent in out.parents:
            if parent.exists():
                if not parent.is_dir():
                    raise InputError(f"输出路径 {out} 位于文件 {parent} 之下", f"the output path {out} is under the file {parent}",
                                     field="output.path")
                break
        if out.is_dir() and any(out.iterdir()) and not _is_moli_output(out):
            raise InputError(f"输出文件夹 {out} 不是空的，也不是之前构建的语料输出（没有 manifest.json）；构建会改写其中的文件，"
                             "请换一个新的或空的文件夹",
                             f"the output folder {out} is not empty and is not the output of an earlier build (no "
                             "manifest.json); the build would overwrite files there; use a new or empty folder",
                             field="output.path")
    except OSError as e:
        raise InputError(f"无法使用输出路径 {out}：{e.strerror or e}", f"cannot use the output path {out}: {e.strerror or e}",
                         field="output.path") from None


def exclude_output(files: list[InputFile], out: Path) -> list[InputFile]:
    """The inputs minus what an earlier build wrote into ``out`` (a ``**`` pattern also matches the
    output: read back, a rebuild doubled the corpus). Another file inside the output folder is refused:
    the build may replace it."""
    o = out.resolve()
    kept = []
    for f in files:
        if "://" in f.url:
            kept.append(f)
            continue
        p = Path(f.url).resolve()
        if o not in p.parents:
            kept.append(f)
            continue
        rel = p.relative_to(o).parts
        if rel[0] in _OUR_SUBDIRS or (len(rel) == 1 and rel[0] in _TOP_FILES):
            continue  # the build's own output
        raise InputError(f"输入文件 {p} 位于输出文件夹 {o} 中，构建可能覆盖它；请把输出写到别的文件夹",
                         f"the input file {p} is inside the output folder {o}, which the build may overwrite; "
                         "write the output elsewhere", field="output.path")
    if files and not kept:
        raise InputError(f"输入只匹配到输出文件夹 {o} 中构建自己写出的文件", f"the inputs match only files the build wrote into {o}",
                         field="input.paths")
    return kept


@contextmanager
def claim_output(out: Path) -> Iterator[None]:
    """Create ``out`` and hold an exclusive lock on it (``OUT/.moli-build.lock``) while the build runs: a
    second build of the same output is refused at once instead of deleting the first one's staging.
    ``OUT/.moli-corpus`` marks the folder as ours until ``manifest.json`` does (an interrupted first build
    resumes). Both are removed when the build succeeds, so the folder holds only what it publishes."""
    import fcntl

    lock = out / LOCK
    try:
        out.mkdir(parents=True, exist_ok=True)
        while True:
            fh = open(lock, "a+b")  # noqa: SIM115 - held until the build ends
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                fh.close()
                raise InputError(f"另一个构建正在写入 {out}，请等它结束后再运行", f"another build is writing to {out}; "
                                 "run again when it has finished", field="output.path") from None
            try:
                same = os.fstat(fh.fileno()).st_ino == os.stat(lock).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            fh.close()  # the build that held it removed this lock file as we opened it: take the new one
        if not (out / MARKER).exists():
            atomic_write_json(out / MARKER, {"written_by": "moli corpus build"})
    except OSError as e:
        raise InputError(f"无法写入输出文件夹 {out}：{e.strerror or e}", f"cannot write to the output folder {out}: {e.strerror or e}",
                         field="output.path") from None
    ok = False
    try:
        yield
        ok = True
    finally:
        if ok and (out / "manifest.json").exists():
            (out / MARKER).unlink(missing_ok=True)
        lock.unlink(missing_ok=True)
        fh.close()


def build(recipe: Recipe, *, executor: str = "local", address: str | None = None, workers: int | None = None,
          progress: bool = False) -> BuildResult:
    """Build ``recipe``: map phase with the chosen executor, then global steps and outputs."""
    if executor not in ("local", "ray"):
        raise ConfigError(f"未知的执行器：{executor}（local 或 ray）", f"unknown executor: {executor} (local or ray)",
                          field="executor")
    out_s = recipe.output_dir
    remote = out_s if "://" in out_s else None
    out = working_copy(remote) if remote else Path(out_s)
    check_output(recipe, out, local=not remote)
    if remote:
        check_remote(remote)  # an unknown protocol or missing credentials fail before the map phase
    files = exclude_output(expand_inputs(recipe.input.paths, base_dir=recipe.base, format=recipe.input.format), out)
    with claim_output(out):
        return _build_locked(recipe, files, out, remote, executor=executor, address=address, workers=workers,
                             progress=progress)


def _build_locked(recipe: Recipe, files: list[InputFile], out: Path, remote: str | None, *, executor: str,
                  address: str | None, workers: int | None, progress: bool) -> BuildResult:
    staging = out / ".staging" / recipe.hash()[:16]
    try:
        staging.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(f"无法写入输出文件夹 {out}：{e.strerror or e}", f"cannot write to the output folder {out}: {e.strerror or e}",
                         field="output.path") from None
    t0 = time.perf_counter()
    if executor == "ray":
        from moli.corpus.ray_executor import run_ray

        run_ray(recipe, files, staging, address=address)
    elif progress:
        with _progress(files) as bar:
            run_local(recipe, files, staging, workers=workers, on_shard=bar.on_shard, on_batch=bar.on_batch)
    else:
        run_local(recipe, files, staging, workers=workers)
    result = finalize(recipe, files, staging, out, executor=executor, map_seconds=time.perf_counter() - t0)
    from moli.corpus.card import write_card  # the dataset card and Croissant file go with every build

    cat = recipe.catalogue
    write_card(out, {"license": cat.licence, "description": cat.description, "version": cat.version,
                     "domain": cat.domain, "access": cat.access})
    if remote:
        try:
            publish(out, remote)
        except OSError as e:  # the build is done and kept: only the upload has to be repeated
            raise ConfigError(f"上传到 {remote} 失败（{e}）；构建结果保存在 {out}，可用 moli corpus publish {out} {remote} 重新发布",
                              f"upload to {remote} failed ({e}); the build is kept in {out}: "
                              f"moli corpus publish {out} {remote} publishes it again", field="output.path") from e
        result.manifest["published_to"] = result.summary["published_to"] = remote
    return result


# ---------------------------------------------------------------------------------------------
# remote outputs (any fsspec URL: s3://, gs://, file://, memory:// ...)


def working_copy(url: str) -> Path:
    """The local folder a build for ``url`` runs in: staging, resume and the catalogue's samples,
    card and safety review stay on the local disk; ``publish`` copies the finished output."""
    from moli.core.settings import get_settings

    return get_settings().home / "corpus-builds" / hashlib.sha1(url.encode()).hexdigest()[:16]


def check_remote(url: str) -> None:
    import fsspec

    try:
        fs, root = fsspec.core.url_to_fs(url)
        fs.makedirs(root, exist_ok=True)
    except (ImportError, ValueError) as e:
        raise ConfigError(f"输出地址不可用：{url}（{e}）", f"output URL not usable: {url} ({e})", field="output.path") from e
    except OSError as e:
        raise ConfigError(f"无法写入输出地址：{url}（{e}）", f"cannot write to the output URL: {url} ({e})",
                          field="output.path") from e


def publish(local: Path, url: str) -> None:
    """Copy a finished output folder to ``url``. ``manifest.json`` marks a complete corpus, so the
    remote one is removed first and written last: an interrupted upload leaves no manifest, never a
    manifest beside missing shards; shards of an earlier build that this one no longer has are
    removed. ``moli corpus publish`` runs it again on a finished folder after a failed upload."""
    import fsspec

    fs, root = fsspec.core.url_to_fs(url)
    root = root.rstrip("/")
    fs.makedirs(root, exist_ok=True)
    if fs.exists(f"{root}/manifest.json"):
        fs.rm_file(f"{root}/manifest.json")
    # Only the files the manifest lists, the card and the manifest: never staging, the lock, the marker
    # or a temporary shard a killed build left behind.
    listed = _manifest_files(local) | {name for name in CARD_FILES if (local / name).is_file()}
    files = sorted(listed | {"manifest.json"})
    for sub in ("data", "removed"):
        if fs.exists(f"{root}/{sub}"):
            for path in fs.find(f"{root}/{sub}"):
                rel = path.rstrip("/")[len(root) + 1:] if path.startswith(root) else path
                if rel not in files:
                    fs.rm_file(path)
    for rel in files:
        if rel != "manifest.json":
            fs.makedirs(f"{root}/{rel}".rsplit("/", 1)[0], exist_ok=True)
            fs.put_file(str(local / rel), f"{root}/{rel}")
    fs.put_file(str(local / "manifest.json"), f"{root}/manifest.json")


class _progress:
    """Rich progress bar: files, documents, MB/s, ETA (bytes of input)."""

    def __init__(self, files: list[InputFile]):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        self.files = files
        self.progress = Progress(
            TextColumn("[bold]语料构建 build"), BarColumn(),
            TextColumn("{task.fields[files]}/{task.fields[total_files]} 文件 files"),
            TextColumn("{task.fields[docs]} 文档 docs"), DownloadColumn(), TransferSpeedColumn(),
            TimeRemainingColumn(), transient=False, console=Console(stderr=True),
        )  # stderr: stdout carries the JSON summary
        self.task = None
        self.n_files = 0
        self.n_docs = 0

    def __enter__(self) -> _progress:
        self.progress.__enter__()
        self.task = self.progress.add_task("build", total=sum(f.size for f in self.files) or 1, files=0,
                                           total_files=len(self.files), docs=0)
        self.sizes = {f.url: f.size for f in self.files}
        self.advanced: dict[str, int] = {}
        self.docs_seen: dict[str, int] = {}
        return self

    def on_batch(self, url: str, docs: int, text_bytes: int) -> None:
        """A batch finished inside a file: advance by its text bytes, never past the file size."""
        done = self.advanced.get(url, 0)
        step = max(0, min(text_bytes, self.sizes.get(url, 0) - done))
        self.advanced[url] = done + step
        self.docs_seen[url] = self.docs_seen.get(url, 0) + docs
        self.n_docs += docs
        self.progress.update(self.task, advance=step, docs=self.n_docs)

    def on_shard(self, f: InputFile, done: dict[str, Any]) -> None:
        self.n_files += 1
        self.n_docs += max(0, done.get("n_read", 0) - self.docs_seen.get(f.url, 0))
        rest = max(0, f.size - self.advanced.get(f.url, 0))
        self.advanced[f.url] = f.size
        self.progress.update(self.task, advance=rest, files=self.n_files, docs=self.n_docs)

    def __exit__(self, *exc) -> None:
        self.progress.__exit__(*exc)
