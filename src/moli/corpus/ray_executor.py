"""Ray executor (Ray 执行器): the map phase on Ray Data, with the same step objects.

Pending input shards become a Ray dataset (one block per file); ``flat_map`` reads each file into
document rows and ``map_batches`` runs :func:`moli.corpus.pipeline.apply_steps` with the recipe's
step objects on each batch. The driver streams the results back in input order
(``preserve_order``) into the same per-shard staging files as the local executor, so the global
steps and the writers are shared and both executors give the same kept ids.

``address=None`` starts (or reuses) a local Ray instance; ``address="ray://host:10001"`` or
``"auto"`` joins a cluster.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from moli.core.errors import ConfigError
from moli.corpus.document import Document, Removed
from moli.corpus.pipeline import READ_STEP, BatchResult, ShardStager, apply_steps, shard_dir_for, shard_done
from moli.corpus.readers import InputFile, read_file
from moli.corpus.recipe import Recipe


def _read_rows(item: dict[str, Any], text_field: str, id_field: str | None, html_extractor: str) -> list[dict]:
    real = item.get("real")
    f = InputFile(url=item["url"], rel=item["rel"], size=item["size"], format=item["format"], mtime=item["mtime"],
                  real=os.fsdecode(real) if real else None)
    rows = []
    for row, doc in enumerate(read_file(f, text_field=text_field, id_field=id_field, html_extractor=html_extractor)):
        if isinstance(doc, Removed):
            d = doc.document
            rows.append({"shard": item["shard"], "row": row, "id": d.id, "text": d.text, "source": d.source,
                         "meta": json.dumps(d.meta, ensure_ascii=False, default=str),
                         "removed_by": "read", "reason": doc.reason})
        else:
            rows.append({"shard": item["shard"], "row": row, "id": doc.id, "text": doc.text, "source": doc.source,
                         "meta": json.dumps(doc.meta, ensure_ascii=False, default=str),
                         "removed_by": None, "reason": None})
    return rows


def _apply_batch(batch: pa.Table, steps: list) -> pa.Table:
    recs = batch.to_pylist()
    n_global = [k for k, s in enumerate(steps) if s.is_global]
    out: dict[str, list] = defaultdict(list)

    def emit(rec, text, meta, status, removed_by, reason, dup, step, payloads):
        out["shard"].append(rec["shard"])
        out["row"].append(rec["row"])
        out["id"].append(rec["id"])
        out["text"].append(text)
        out["source"].append(rec["source"])
        out["meta"].append(json.dumps(meta, ensure_ascii=False, default=str) if not isinstance(meta, str) else meta)
        out["status"].append(status)
        out["removed_by"].append(removed_by)
        out["reason"].append(reason)
        out["duplicate_of"].append(dup)
        out["step"].append(step)
        for k in n_global:
            p = payloads.get(k)
            out[f"p{k}"].append(None if p is None else p[0])
            out[f"pt{k}"].append(None if p is None else p[1])

    items = []
    key_of = {}
    for i, rec in enumerate(recs):
        if rec["removed_by"] == "read":
            emit(rec, rec["text"], rec["meta"], "removed", "read", rec["reason"], None, READ_STEP, {})
            continue
        doc = Document(rec["id"], rec["text"], rec["source"], json.loads(rec["meta"]))
        items.append((i, doc))
        key_of[i] = rec
    result = apply_steps(steps, items)
    payloads: dict[int, dict[int, tuple[bytes, str]]] = defaultdict(dict)
    for k, parts in result.prepared.items():
        for rows, payload in parts:
            for j, i in enumerate(rows.tolist()):
                # a slice keeps the fixed width (an S16 scalar would drop trailing NUL bytes)
                payloads[i][k] = (np.ascontiguousarray(payload[j:j + 1]).tobytes(), payload.dtype.str)
    for i, doc in result.kept:
        emit(key_of[i], doc.text, doc.meta, "kept", None, None, None, -2, payloads.get(i, {}))
    for i, k, rem in result.removed:
        emit(key_of[i], rem.document.text, rem.document.meta, "removed", rem.removed_by, rem.reason,
             rem.duplicate_of, k, payloads.get(i, {}))
    order = sorted(range(len(out["row"])), key=lambda j: (out["shard"][j], out["row"][j]))
    out = {name: [col[j] for j in order] for name, col in out.items()}
    schema = [("shard", pa.int64()), ("row", pa.int64()), ("id", pa.string()), ("text", pa.string()),
              ("source", pa.string()), ("meta", pa.string()), ("status", pa.string()), ("removed_by", pa.string()),
              ("reason", pa.string()), ("duplicate_of", pa.string()), ("step", pa.int64())]
    for k in n_global:
        schema += [(f"p{k}", pa.binary()), (f"pt{k}", pa.string())]
    return pa.table({name: out.get(name, []) for name, _ in schema}, schema=pa.schema(schema))


def _ensure_ray(address: str | None, num_cpus: int | None):
    try:
        import ray
    except ImportError:
        raise ConfigError("Ray 执行器需要安装 ray[data]（pip install 'moli[ray]'）",
                          "the Ray executor needs ray[data] (pip install 'moli[ray]')", field="executor") from None
    if not ray.is_initialized():
        kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "ignore_reinit_error": True}
        if address:
            ray.init(address=address, **kwargs)
        else:
            ray.init(num_cpus=num_cpus or os.cpu_count(), **kwargs)
    return ray


class _ShardAssembler:
    """Collects the rows of one shard (in row order) and writes them through ShardStager."""

    def __init__(self, recipe: Recipe, staging: Path, index: int, f: InputFile):
        self.recipe, self.f, self.index = recipe, f, index
        self.stager = ShardStager(shard_dir_for(staging, index), recipe.steps)
        self.n_rows = 0

    def add(self, recs: list[dict]) -> None:
        steps = self.recipe.steps
        kept, removed = [], []
        prepared: dict[int, list] = defaultdict(list)
        for rec in recs:
            self.n_rows += 1
            doc = Document(rec["id"], rec["text"], rec["source"], json.loads(rec["meta"]))
            if rec["step"] == READ_STEP:
                self.stager.add_read_error(rec["row"], Removed(doc, "read", rec["reason"]))
                continue
            self.stager.n_docs += 1
            if rec["status"] == "kept":
                kept.append((rec["row"], doc))
            else:
                removed.append((rec["row"], rec["step"], Removed(doc, rec["removed_by"], rec["reason"],
                                                                 rec["duplicate_of"])))
            for k, s in enumerate(steps):
                if s.is_global and rec.get(f"p{k}") is not None:
                    prepared[k].append((rec["row"], rec[f"p{k}"], rec[f"pt{k}"]))
        # counts per step, derived from where each document stopped
        stopped_at = [len(steps)] * len(kept) + [k for _, k, _ in removed]
        counts = {}
        for k in range(len(steps)):
            reached = sum(1 for x in stopped_at if x >= k)
            gone = [rem.reason for _, kk, rem in removed if kk == k]
            reasons: dict[str, int] = {}
            for g in gone:
                reasons[g] = reasons.get(g, 0) + 1
            counts[k] = {"in": reached, "out": reached - len(gone), "removed": reasons}
        prep = {}
        for k, entries in prepared.items():
            rows = np.array([e[0] for e in entries], dtype=np.int64)
            dt = np.dtype(entries[0][2])
            flat = np.frombuffer(b"".join(e[1] for e in entries), dtype=dt)
            payload = flat if flat.size == len(entries) else flat.reshape(len(entries), -1)
            prep[k] = [(rows, payload)]
        self.stager.add(BatchResult(kept, removed, prep, counts, {}))

    def finish(self) -> None:
        self.stager.n_read = self.n_rows
        self.stager.finish(self.f)


def run_ray(recipe: Recipe, files: list[InputFile], staging: Path, *, address: str | None = None) -> None:
    pending = [(i, f) for i, f in enumerate(files) if shard_done(staging, i, f) is None]
    if not pending:
        return
    ray = _ensure_ray(address, recipe.workers)
    ctx = ray.data.DataContext.get_current()
    ctx.execution_options.preserve_order = True
    items = [{"shard": i, "url": f.url, "rel": f.rel, "size": f.size, "format": f.format, "mtime": f.mtime,
              # a name that is not UTF-8 travels as the OS's bytes: Arrow strings cannot hold it
              "real": os.fsencode(f.real) if f.real else None}
             for i, f in pending]
    spec = recipe.input
    ds = ray.data.from_items(items, override_num_blocks=len(items))
    ds = ds.flat_map(_read_rows, fn_kwargs={"text_field": spec.text_field, "id_field": spec.id_field,
                                            "html_extractor": spec.html_extractor})
    ds = ds.map_batches(_apply_batch, fn_kwargs={"steps": recipe.steps}, batch_size=recipe.batch_size,
                        batch_format="pyarrow")
    by_index = dict(pending)
    current: _ShardAssembler | None = None
    seen: set[int] = set()
    for batch in ds.iter_batches(batch_format="pyarrow", batch_size=recipe.batch_size):
        recs = batch.to_pylist()
        # rows arrive in input order; group consecutive rows of the same shard, sorted by row
        groups: dict[int, list[dict]] = defaultdict(list)
        order: list[int] = []
        for rec in recs:
            if rec["shard"] not in groups:
                order.append(rec["shard"])
            groups[rec["shard"]].append(rec)
        for shard in order:
            if current is None or current.index != shard:
                if current is not None:
                    current.finish()
                current = _ShardAssembler(recipe, staging, shard, by_index[shard])
                seen.add(shard)
            current.add(sorted(groups[shard], key=lambda r: r["row"]))
    if current is not None:
        current.finish()
    for i, f in pending:  # files that yielded no rows at all
        if i not in seen:
            _ShardAssembler(recipe, staging, i, f).finish()
