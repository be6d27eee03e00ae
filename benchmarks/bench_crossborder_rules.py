"""moli.crossborder decision-engine figures: the case table, citations, speed.

    .venv/bin/python benchmarks/bench_crossborder_rules.py [--quick]

* case table (tests/crossborder/cases.yaml): how many cases give the expected path / error field;
* random plans (seeded): share of decisions citing at least one clause, share of fired rules with a
  known source, and assessments per CPU-second.
There is no library to compare with (the alternative is a law firm's memo), so no ratio is printed.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import random
import time
from pathlib import Path

import yaml

from moli.core.errors import InputError
from moli.crossborder import service
from moli.crossborder.engine import assess
from moli.crossborder.rules import rulebook

ROOT = Path(__file__).resolve().parent.parent


def case_table() -> dict:
    table = yaml.safe_load((ROOT / "tests/crossborder/cases.yaml").read_text(encoding="utf-8"))
    ok, wrong = 0, []
    for case in table["cases"]:
        plan = copy.deepcopy(table["base"])
        for key, value in case.get("set", {}).items():
            *parents, last = key.split(".")
            node = plan
            for p in parents:
                node = node.setdefault(p, {})
            node[last] = value
        exp = case["expect"]
        try:
            got = assess(service.plan_from_mapping(plan))["path"]
        except InputError as exc:
            got = f"error:{exc.field}"
        want = exp.get("path") or f"error:{exp['error']}"
        if got == want:
            ok += 1
        else:
            wrong.append({"id": case["id"], "want": want, "got": got})
    return {"cases": len(table["cases"]), "correct": ok, "wrong": wrong}


def random_plan(rnd: random.Random) -> dict:
    day = dt.date(2022, 9, 1) + dt.timedelta(days=rnd.randrange(365 * 5))
    scenario = rnd.choice(["none", "none", "contract_necessity", "hr_management", "emergency"])
    plan = {
        "exporter": {"name": "P", "is_ciio": rnd.random() < 0.1,
                     "registration": rnd.choice(["shanghai_ftz", "lingang", "shanghai_other", "other_cn"])},
        "transfer": {"date": day.isoformat(), "recipient": {"country": rnd.choice(["US", "SG", "DE", "CN", "HK"])},
                     "scenario": scenario, "necessity_justified": scenario != "none" and rnd.random() < 0.5,
                     "remote_access": rnd.random() < 0.2},
        "data": {"individuals": int(10 ** rnd.uniform(0, 6.5)) if rnd.random() < 0.9 else 0,
                 "sensitive_individuals": int(10 ** rnd.uniform(0, 4.5)) if rnd.random() < 0.4 else 0,
                 "important_data": rnd.random() < 0.05, "collected_abroad_transit": rnd.random() < 0.05},
        "history": [{"date": (day - dt.timedelta(days=rnd.randrange(700))).isoformat(),
                     "individuals": rnd.randrange(300_000)} for _ in range(rnd.randrange(4))],
    }
    if rnd.random() < 0.2:
        plan["data"]["negative_list"] = {"list": rnd.choice(["shanghai_ftz_lingang_2024", "shanghai_citywide_2026"]),
                                         "covered": True, "on_list_items": ["x"] if rnd.random() < 0.3 else []}
    return plan


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    n = 2000 if ap.parse_args().quick else 20000
    rb = rulebook()
    table = case_table()
    rnd = random.Random(16)
    plans = [service.plan_from_mapping(random_plan(rnd)) for _ in range(n)]
    t = time.process_time()
    reports = [assess(p) for p in plans]
    cpu = time.process_time() - t
    fired = [r for rep in reports for r in rep["rules"]]
    cited = sum(1 for rep in reports if any(r["clause"] and r["source"] for r in rep["rules"]))
    sourced = sum(1 for r in fired if r["source"] and all(s in rb.sources for s in r["source"]))
    paths: dict[str, int] = {}
    for rep in reports:
        paths[rep["path"]] = paths.get(rep["path"], 0) + 1
    out = {
        "benchmark": "crossborder_rules",
        "case_table": table,
        "random_plans": n,
        "paths": paths,
        "decisions_citing_a_clause": cited / n,
        "rules_fired": len(fired),
        "rules_with_known_source": sourced / len(fired),
        "assessments_per_cpu_s": round(n / cpu),
        "competitor": None,
        "targets": {
            "case_table_all_correct": {"met": not table["wrong"]},
            "every_decision_cites_a_clause": {"value": cited / n, "met": cited == n},
            "no_rule_without_source": {"value": sourced / len(fired), "met": sourced == len(fired)},
        },
    }
    out["all_met"] = all(t["met"] for t in out["targets"].values())
    print(json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
