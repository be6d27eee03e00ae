"""Span bookkeeping for detectors that merge findings from several sources over long documents, in
time linear in the document: a character mask for "does this span overlap one already taken", and
one Aho-Corasick pass for "where does each of these strings occur" (a loop of ``str.find`` per string
is quadratic on a document with thousands of distinct names)."""

from __future__ import annotations

from collections.abc import Iterable

# Below this many characters scanned (distinct strings × text length), str.find beats building an
# automaton (about 20 µs per build).
_FIND_LIMIT = 200_000


class Claimed:
    """Characters of a text already taken by a span. ``overlaps`` and ``claim`` cost the span's length,
    not the number of spans taken."""

    def __init__(self, length: int, spans: Iterable[tuple[int, int]] = ()):
        self.mask = bytearray(length)
        for a, b in spans:
            self.claim(a, b)

    def overlaps(self, start: int, end: int) -> bool:
        return 1 in self.mask[start:end]

    def claim(self, start: int, end: int) -> None:
        if end > start:
            self.mask[start:end] = b"\x01" * (end - start)


def occurrences(text: str, strings: Iterable[str]) -> dict[str, list[int]]:
    """Start offsets of the non-overlapping occurrences of each (non-empty) string in ``text``, taken
    left to right as repeated ``str.find`` takes them (so ``len`` of a list equals ``text.count``)."""
    wanted = sorted({s for s in strings if s})
    if len(wanted) * len(text) <= _FIND_LIMIT:
        out = {}
        for s in wanted:
            found, i = [], text.find(s)
            while i >= 0:
                found.append(i)
                i = text.find(s, i + len(s))
            out[s] = found
        return out
    import ahocorasick_rs

    out = {s: [] for s in wanted}
    free_from = dict.fromkeys(range(len(wanted)), 0)
    # overlapping matches come by end offset, so one pattern's matches come by start offset
    for k, a, b in ahocorasick_rs.AhoCorasick(wanted).find_matches_as_indexes(text, overlapping=True):
        if a >= free_from[k]:
            out[wanted[k]].append(a)
            free_from[k] = b
    return out
