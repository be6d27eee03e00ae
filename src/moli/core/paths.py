"""Where things are: the package's data, the shared data folder beside the repo."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent
REPO_DIR = PACKAGE_DIR.parent.parent  # valid for an editable install / a checkout


def shared_dir() -> Path:
    """The shared data folder: $MOLI_SHARED_DIR, else ``shared`` beside the repository."""
    env = os.environ.get("MOLI_SHARED_DIR")
    if env:
        return Path(env)
    for cand in (REPO_DIR.parent / "shared", Path.cwd().parent / "shared"):
        if cand.is_dir():
            return cand
    return REPO_DIR.parent / "shared"
