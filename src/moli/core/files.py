"""Atomic file writes: a crash or an error never leaves a half-written file under its final name."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any


def fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write to a temporary name beside ``path``, fsync, rename over ``path``. A ``path`` that is a folder
    is refused (InputError) before anything is written."""
    path = Path(path)
    if path.is_dir():
        from moli.core.errors import InputError

        raise InputError(f"输出路径 {path} 是一个文件夹，请给出文件名（如 {path / 'out'}）",
                         f"the output path {path} is a folder; give a file name (e.g. {path / 'out'})", field=str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | Path, obj: Any, indent: int = 2) -> Path:
    return atomic_write_bytes(path, json.dumps(obj, ensure_ascii=False, indent=indent).encode("utf-8"))


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def save_uploads(files: list[tuple[str, Any]], folder: Path, *, max_bytes: int, suffixes: tuple[str, ...],
                 field: str = "data") -> list[Path]:
    """Stream uploaded files (name, binary file object) into ``folder`` in 1 MB chunks, at most
    ``max_bytes`` in all. Only the base name of each upload is kept (no path from the client), numbered
    so two uploads of the same name do not collide; a name must end with one of ``suffixes``."""
    from moli.core.errors import InputError

    folder.mkdir(parents=True, exist_ok=True)
    out, total = [], 0
    for i, (name, fh) in enumerate(files):
        safe = Path(name or f"upload{i}").name
        if not safe.lower().endswith(suffixes):
            raise InputError(f"上传文件 {safe} 的格式不受支持（支持 {'、'.join(suffixes)}）",
                             f"uploaded file {safe}: unsupported format (supported: {', '.join(suffixes)})", field=field)
        dest = folder / f"{i:02d}_{safe}"
        with open(dest, "wb") as w:
            while chunk := fh.read(1 << 20):
                total += len(chunk)
                if total > max_bytes:
                    raise InputError(f"上传数据超过 {max_bytes // 2**20} MB 上限",
                                     f"uploaded data exceed the {max_bytes // 2**20} MB limit", field=field)
                w.write(chunk)
        out.append(dest)
    return out
