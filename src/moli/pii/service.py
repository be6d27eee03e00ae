"""What the web page and the JSON API do: detect + redact one text, with input limits."""

from __future__ import annotations

from moli.core.errors import InputError
from moli.pii import KINDS, MODES, redact_with_findings
from moli.pii.categories import category_label, category_of, is_sensitive, kind_label, profiles

MAX_CHARS = 200_000


def analyse(text: str, mode: str = "tag", kinds: list[str] | None = None, key: bytes | None = None) -> dict:
    """Findings (with legal category and sensitivity per profile) and the redacted text."""
    if not isinstance(text, str) or not text.strip():
        raise InputError("请输入要检查的文本", "enter some text to check", field="text")
    if len(text) > MAX_CHARS:
        raise InputError(f"文本过长（{len(text)} 字，上限 {MAX_CHARS} 字），请用命令行 moli pii scan",
                         f"text too long ({len(text)} characters, limit {MAX_CHARS}); use `moli pii scan`",
                         field="text")
    ks = set(kinds) if kinds else None
    redacted, findings = redact_with_findings(text, mode, key=key, kinds=ks)
    rows = []
    for f in findings:
        d = f.to_dict()
        d["category"] = category_of(f.kind)
        label = category_label(d["category"])
        d["category_zh"], d["category_en"] = label["zh"], label["en"]
        d["kind_zh"] = kind_label(f.kind)
        d["sensitive"] = {p: is_sensitive(f.kind, p, value=f.text) for p in profiles()}
        rows.append(d)
    return {"mode": mode, "findings": rows, "redacted": redacted, "kinds": list(KINDS), "modes": list(MODES)}


def highlight(text: str, findings: list[dict]) -> list[tuple[str, str | None]]:
    """The text cut into (piece, kind or None) for rendering marks."""
    out, pos = [], 0
    for f in sorted(findings, key=lambda f: f["start"]):
        if f["start"] < pos:
            continue
        out.append((text[pos:f["start"]], None))
        out.append((text[f["start"]:f["end"]], f["kind"]))
        pos = f["end"]
    out.append((text[pos:], None))
    return [p for p in out if p[0]]
