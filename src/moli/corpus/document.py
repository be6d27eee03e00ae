"""The records that flow through a corpus build (文档与被移除文档)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Document:
    """One document (文档): a stable ``id``, its ``text``, where it came from, and metadata.

    ``source`` is the file path or URL it was read from. ``meta`` holds title, issuer, date, format,
    language, flags such as ``needs_ocr`` and annotations added by steps (e.g. ``pii``).
    """

    id: str
    text: str
    source: str = ""
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Removed:
    """A document a step dropped (被移除的文档), kept so a user can audit every filter.

    ``removed_by`` is the step name (``quality``, ``dedup_near``, ``read`` for unreadable files),
    ``reason`` a short machine-readable code (``too_short``, ``near_duplicate``, ...), and for
    duplicates ``duplicate_of`` the id of the kept document.
    """

    document: Document
    removed_by: str
    reason: str
    duplicate_of: str | None = None
