"""The one result type of the engine: a span of personal (or organisational) information."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

# The kinds the engine reports (these exact names are a contract with corpus and crossborder).
KINDS: tuple[str, ...] = (
    "PERSON", "ADDRESS", "PHONE", "ID_CARD", "PASSPORT", "HK_MACAO_PERMIT", "BANK_CARD", "EMAIL",
    "IP_ADDRESS", "LICENSE_PLATE", "GEO_COORDINATE", "USCC",
)
MODEL_KINDS = frozenset({"PERSON", "ADDRESS"})
PATTERN_KINDS = frozenset(KINDS) - MODEL_KINDS


@dataclass(slots=True)
class Finding:
    """One detected span. ``start``/``end`` are Python ``str`` indices (code points), end exclusive.

    ``valid`` is True/False where the kind has a check digit (ID_CARD, BANK_CARD, USCC), else None.
    ``personal`` is False for organisation identifiers (USCC, 统一社会信用代码).
    """

    kind: str
    start: int
    end: int
    text: str
    score: float = 1.0
    valid: bool | None = None
    personal: bool = True
    source: str = field(default="pattern", compare=False)

    def to_dict(self) -> dict:
        d = asdict(self)
        d.pop("source", None)
        return d


NAME_POLICIES = ("all", "cued")


def redaction_policy(findings: list[Finding], allow: set[str] | frozenset[str] | None = None,
                     names: str = "all") -> list[Finding]:
    """The findings to redact: without ``allow``'s exact values, and with ``names="cued"`` only the names
    a cue announces (联系人：, 姓名：) and their repetitions."""
    if names not in NAME_POLICIES:
        from moli.core.errors import InputError

        raise InputError(f"names 须是 {' / '.join(NAME_POLICIES)}", f"names must be one of {', '.join(NAME_POLICIES)}",
                         field="names")
    if allow:
        findings = [f for f in findings if f.text not in allow]
    if names == "cued":
        cued = {f.text for f in findings if f.kind == "PERSON" and f.source == "cue"}
        findings = [f for f in findings if f.kind != "PERSON" or f.text in cued]
    return findings
