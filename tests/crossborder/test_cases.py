"""The case table (cases.yaml): each case names the clause it checks."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from moli.core.errors import InputError
from moli.crossborder.engine import assess
from moli.crossborder.rules import PATHS
from moli.crossborder.service import plan_from_mapping

TABLE = yaml.safe_load((Path(__file__).parent / "cases.yaml").read_text(encoding="utf-8"))
CASES = TABLE["cases"]


def build(case: dict) -> dict:
    plan = copy.deepcopy(TABLE["base"])
    for key, value in case.get("set", {}).items():
        *parents, last = key.split(".")
        node = plan
        for p in parents:
            node = node.setdefault(p, {})
        node[last] = value
    return plan


def test_table_is_large_and_cites_clauses():
    assert len(CASES) >= 40
    assert len({c["id"] for c in CASES}) == len(CASES)
    assert all(c.get("clause") for c in CASES)
    # every path is reached by at least one case
    assert {c["expect"]["path"] for c in CASES if "path" in c["expect"]} == set(PATHS)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(case):
    exp = case["expect"]
    if "error" in exp:
        with pytest.raises(InputError) as info:
            assess(plan_from_mapping(build(case)))
        assert info.value.field == exp["error"], (info.value.zh, info.value.en)
        assert exp["error"] in info.value.zh and exp["error"] in info.value.en
        return
    report = assess(plan_from_mapping(build(case)))
    assert report["path"] == exp["path"], [r["id"] for r in report["rules"]]
    fired = [r["id"] for r in report["rules"]]
    for rid in exp.get("rules", []):
        assert rid in fired, fired
    # every decision cites at least one clause, and the deciding rule leads to the path
    assert report["rules"] and report["rules"][-1]["effect"] == report["path"]
    for r in report["rules"]:
        assert r["clause"] and r["source"] and r["confidence"] in ("V1", "V2", "UNVERIFIED")
        assert all(s in report["sources"] for s in r["source"])
    for key, value in exp.get("counts", {}).items():
        assert report["counts"][key] == value, report["counts"]
    qs = {q["id"] for q in report["open_questions"]}
    for q in exp.get("questions", []):
        assert q in qs, qs
    obs = {o["id"] for o in report["obligations"]}
    for o in exp.get("obligations", []):
        assert o in obs, obs
    for o in exp.get("obligations_absent", []):
        assert o not in obs
    if exp.get("obligations_none"):
        assert obs == set()
    for dl_id, due in exp.get("deadline_due", {}).items():
        assert {d["id"]: d.get("due") for d in report["deadlines"]}[dl_id] == due
