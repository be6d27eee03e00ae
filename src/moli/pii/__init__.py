"""moli.pii — Chinese personal-information engine: detect, validate and redact PII in text and tables.

Public API (stable): ``detect``, ``detect_many``, ``redact``, ``redact_with_findings``,
``redact_many_with_findings``, ``Finding``, ``scan_table``,
``TableReport``, ``iter_table_rows``, ``classify_columns``, ``is_sensitive``, ``profiles``, ``KINDS``.
The name/address model is loaded lazily, once per process, on the first call that needs it.
"""

from __future__ import annotations

from moli.pii import categories
from moli.pii.categories import is_sensitive, profiles
from moli.pii.detect import detect, detect_many
from moli.pii.findings import KINDS, Finding, redaction_policy
from moli.pii.redact import MODES
from moli.pii.redact import apply as _apply


def redact_with_findings(text: str, mode: str = "tag", *, key: bytes | None = None,
                         kinds: set[str] | None = None, allow: set[str] | None = None,
                         names: str = "all") -> tuple[str, list[Finding]]:
    """Redact ``text`` and return it with the findings (offsets into the input ``text``).

    Modes: ``mask`` (same length, ``*``), ``tag`` (``[PHONE]``), ``pseudonymize`` (keyed, consistent,
    format- and validity-preserving surrogates; key from ``key``, else $MOLI_PII_KEY, else derived from
    the installation's secret key) and ``drop``. ``allow``: exact values that are never redacted nor
    reported (public figures named in official documents, the office's own hotline). ``names="cued"``
    redacts only the names a cue announces (联系人：, 姓名：) and their repetitions: in official
    documents those are the private persons, while the names in the body are public figures, and the
    model, trained on news, reads some legal terms as names.
    """
    return redact_many_with_findings([text], mode, key=key, kinds=kinds, allow=allow, names=names)[0]


def redact_many_with_findings(texts: list[str], mode: str = "tag", *, key: bytes | None = None,
                              kinds: set[str] | None = None, allow: set[str] | None = None,
                              names: str = "all") -> list[tuple[str, list[Finding]]]:
    """``redact_with_findings`` for several texts, detected together (``detect_many``)."""
    if mode not in MODES:
        _apply("", [], mode)  # raises the bilingual error before any detection work
    redaction_policy([], allow, names)  # and for a bad names policy
    out = []
    for text, findings in zip(texts, detect_many(texts, kinds=kinds), strict=True):
        findings = redaction_policy(findings, allow, names)
        out.append((_apply(text, findings, mode, key), findings))
    return out


def redact(text: str, mode: str = "tag", *, key: bytes | None = None, kinds: set[str] | None = None,
           allow: set[str] | None = None, names: str = "all") -> str:
    return redact_with_findings(text, mode, key=key, kinds=kinds, allow=allow, names=names)[0]


def __getattr__(name: str):  # table scanning pulls in pyarrow/openpyxl only when used
    if name in ("scan_table", "TableReport", "iter_table_rows", "classify_columns", "header_kind"):
        from moli.pii import tables

        return getattr(tables, name)
    raise AttributeError(name)


__all__ = ["KINDS", "MODES", "Finding", "TableReport", "categories", "classify_columns", "detect", "detect_many",
           "is_sensitive", "iter_table_rows", "profiles", "redact", "redact_many_with_findings",
           "redact_with_findings", "scan_table"]
