"""Writers (写出): Parquet shards (zstd) and JSON files, written atomically.

Every file is written under a temporary name in the same folder, flushed and fsync'd, then renamed
into place, so a crash never leaves a half-written shard that looks finished; ``manifest.json``
is written last and lists each file with its sha256.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from moli.core.files import atomic_write_bytes, atomic_write_json, fsync_dir, sha256_file

__all__ = ["atomic_write_bytes", "atomic_write_json", "fsync_dir", "sha256_file", "AtomicParquetWriter", "ShardedWriter"]

DATA_SCHEMA = pa.schema([("id", pa.string()), ("text", pa.string()), ("meta", pa.string())])
REMOVED_SCHEMA = pa.schema([
    ("id", pa.string()), ("text", pa.string()), ("meta", pa.string()), ("source", pa.string()),
    ("removed_by", pa.string()), ("reason", pa.string()), ("duplicate_of", pa.string()),
])



class AtomicParquetWriter:
    """A Parquet file written to a temp name and renamed on ``close``; ``abort`` deletes it."""

    def __init__(self, path: Path, schema: pa.Schema, *, compression: str = "zstd"):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = self.path.with_name(f".{self.path.name}.tmp-{os.getpid()}")
        self.schema = schema
        self._writer = pq.ParquetWriter(self.tmp, schema, compression=compression)
        self.rows = 0

    def write(self, columns: dict[str, list]) -> None:
        n = len(next(iter(columns.values()))) if columns else 0
        if n == 0:
            return
        self._writer.write_table(pa.table(columns, schema=self.schema))
        self.rows += n

    def close(self) -> Path:
        self._writer.close()
        with open(self.tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(self.tmp, self.path)
        fsync_dir(self.path.parent)
        return self.path

    def abort(self) -> None:
        try:
            self._writer.close()
        finally:
            self.tmp.unlink(missing_ok=True)


class ShardedWriter:
    """Rotating Parquet output: ``DIR/part-00000.parquet``, ``shard_size`` rows per file."""

    def __init__(self, folder: Path, schema: pa.Schema, shard_size: int, *, buffer_rows: int = 1000):
        self.folder, self.schema, self.shard_size = Path(folder), schema, shard_size
        self.buffer_rows = min(buffer_rows, shard_size)
        self.files: list[tuple[Path, int]] = []
        self._current: AtomicParquetWriter | None = None
        self._buf: dict[str, list] = {name: [] for name in schema.names}

    def add(self, row: dict[str, Any]) -> None:
        for name in self.schema.names:
            self._buf[name].append(row.get(name))
        if len(self._buf[self.schema.names[0]]) >= self.buffer_rows:
            self._flush()

    def _flush(self) -> None:
        buf = self._buf
        while buf[self.schema.names[0]]:
            if self._current is None:
                path = self.folder / f"part-{len(self.files):05d}.parquet"
                self._current = AtomicParquetWriter(path, self.schema)
            room = self.shard_size - self._current.rows
            take = {k: v[:room] for k, v in buf.items()}
            buf = {k: v[room:] for k, v in buf.items()}
            self._current.write(take)
            if self._current.rows >= self.shard_size:
                self.files.append((self._current.close(), self._current.rows))
                self._current = None
        self._buf = {name: [] for name in self.schema.names}

    def close(self) -> list[tuple[Path, int]]:
        self._flush()
        if self._current is not None:
            self.files.append((self._current.close(), self._current.rows))
            self._current = None
        return self.files

    def abort(self) -> None:
        if self._current is not None:
            self._current.abort()
            self._current = None
