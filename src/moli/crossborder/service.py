"""Cross-border service: plans, scans, assessments and the exporter's ledger.

Plain functions; the CLI and the web pages are thin faces over these.
"""

from __future__ import annotations

from pathlib import Path

from moli.crossborder.rules import rulebook
from moli.crossborder.schemas import Plan, load_plan_file, load_plan_text, parse_plan


def _allowed() -> dict:
    rb = rulebook()
    return {"allowed_registrations": tuple(rb.zones), "allowed_lists": tuple(rb.lists)}


def plan_from_mapping(raw: object) -> Plan:
    return parse_plan(raw, **_allowed())


def plan_from_file(path: str | Path) -> Plan:
    return load_plan_file(path, **_allowed())


def plan_from_text(text: str, name: str = "plan") -> Plan:
    return load_plan_text(text, name=name, **_allowed())
