"""Fixtures for the corpus pipeline tests: a copy of tests/fixtures/corpus/docs plus bad files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "corpus"
PATTERN_KINDS = ["PHONE", "ID_CARD", "EMAIL", "BANK_CARD", "IP_ADDRESS", "USCC", "PASSPORT", "LICENSE_PLATE"]


def copy_fixture_docs(dest: Path) -> Path:
    """The fixture documents copied to ``dest`` (writable: the checkout may have them read-only)."""
    shutil.copytree(FIXTURES / "docs", dest)
    for p in dest.iterdir():
        p.chmod(0o644)
    return dest


@pytest.fixture
def docs_dir(tmp_path) -> Path:
    return copy_fixture_docs(tmp_path / "docs")


@pytest.fixture
def bad_docs(docs_dir) -> Path:
    """The fixture documents plus one of each kind of bad file."""
    (docs_dir / "corrupt.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage\n%%EOF")
    (docs_dir / "encrypted.docx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 2048)
    (docs_dir / "empty.html").write_text("<html><head><title>空</title></head><body><div></div></body></html>",
                                         encoding="utf-8")
    (docs_dir / "binary.txt").write_bytes(bytes(range(256)) * 40)
    return docs_dir


def write_recipe(path: Path, *, inputs: list[str], out: str, steps: list | None = None, **extra) -> Path:
    data = {
        "name": "test-corpus",
        "input": {"paths": inputs, "format": "auto", "text_field": "text", "id_field": "id"},
        "steps": steps if steps is not None else [
            {"normalize": {"t2s": True}},
            {"language": {}},
            {"quality": {}},
            {"pii": {"mode": "tag", "kinds": PATTERN_KINDS}},
            {"dedup_exact": {}},
            {"dedup_near": {"threshold": 0.8, "num_perm": 128, "ngram": 5}},
        ],
        "output": {"path": out, "format": "parquet", "shard_size": 4},
        **extra,
    }
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def recipe_path(tmp_path, docs_dir) -> Path:
    return write_recipe(tmp_path / "recipe.yaml", inputs=["docs/*"], out="out/test-corpus")
