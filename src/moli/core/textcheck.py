"""Whether a text can be stored and shown as it is — one rule for every feature's schemas.

A JSON or YAML string may carry a lone surrogate (``"\\udc00"``), which no database, page or response
can encode (a 500 wherever it reaches one), and control characters, which corrupt what is shown. Tab
and line breaks are text; in a name nothing of the kind is, nor the bidirectional controls that reorder
what a reader sees (U+202E …).
"""

from __future__ import annotations

import unicodedata

BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_TEXT_WHITESPACE = frozenset("\t\n\r")


def text_fault(text: str, *, name: bool = False) -> tuple[str, str, int] | None:
    """The first reason ``text`` cannot be stored: ``("surrogate" | "control", "U+XXXX" code, position)``,
    or None. ``name``: no control character at all and no bidirectional control either."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return "surrogate", f"{ord(text[exc.start]):04X}", exc.start
    for pos, ch in enumerate(text):
        if (unicodedata.category(ch) == "Cc" and (name or ch not in _TEXT_WHITESPACE)) or (name and ch in BIDI_CONTROLS):
            return "control", f"{ord(ch):04X}", pos
    return None
