"""Cross-border service: plans, scans, assessments and the exporter's ledger.

Plain functions (a Session first where the database is involved); the CLI and the web pages are
thin faces over these.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from moli.core import access
from moli.core.errors import InputError, NotFound
from moli.crossborder.engine import TransferCounts, assess
from moli.crossborder.rules import rulebook
from moli.crossborder.scanner import ScanOptions, scan
from moli.crossborder.schemas import HistoryItem, Plan, load_plan_file, load_plan_text, parse_plan


def _allowed() -> dict:
    rb = rulebook()
    return {"allowed_registrations": tuple(rb.zones), "allowed_lists": tuple(rb.lists)}


def plan_from_mapping(raw: object) -> Plan:
    return parse_plan(raw, **_allowed())


def plan_from_file(path: str | Path) -> Plan:
    return load_plan_file(path, **_allowed())


def plan_from_text(text: str, name: str = "plan") -> Plan:
    return load_plan_text(text, name=name, **_allowed())


PARTIAL_NOTICE_ZH = "注意：本报告基于部分数据（--allow-partial），有数据源未能完整读取，结论可能低估出境人数。"
PARTIAL_NOTICE_EN = "WARNING: this report is based on PARTIAL data (--allow-partial); some sources could not be read completely and the counts may be understated."


def run_assessment(plan: Plan, data: list[str | Path] | None = None, *, sql: str | None = None,
                   table: str | None = None, options: ScanOptions | None = None,
                   session: Session | None = None, use_ledger: bool = False, record: bool = False,
                   user: Any | None = None) -> dict:
    """Scan ``data`` (if any), count the window (plan history + the ledger), decide, and optionally record.

    Without ``options.allow_partial`` an unreadable source raises; with it the report is marked
    partial and says so first.
    """
    options = options or ScanOptions()
    scan_result = None
    counts = alt = None
    if data or sql:
        scan_result = scan(list(data or []), sql=sql, table=table, options=options)
        counts = TransferCounts(scan_result["individuals"], scan_result["sensitive_individuals"], "scan")
        alt = {p: TransferCounts(scan_result["individuals"], n, "scan")
               for p, n in scan_result["sensitive_individuals_by_profile"].items() if p != scan_result["profile"]}
    ledger: list[HistoryItem] = []
    if (use_ledger or record) and session is not None:
        ledger = ledger_history(session, plan.exporter.name, owner_org_id=_org(user),
                                before=plan.transfer.date, plan_history=plan.history,
                                same_plan=plan.model_dump(mode="json"))
    report = assess(plan, counts=counts, ledger=ledger, alt_counts=alt,
                    profile=scan_result["profile"] if scan_result else options.profile)
    report["ledger_entries_used"] = len(ledger)
    report["notes"] = []
    if scan_result is not None:
        report["scan"] = scan_result
        if plan.data.individuals or plan.data.sensitive_individuals:
            report["notes"].append({
                "zh": f"计划填写的人数（{plan.data.individuals:,} / 敏感 {plan.data.sensitive_individuals:,}）已由扫描结果取代",
                "en": f"the plan's counts ({plan.data.individuals:,} / sensitive {plan.data.sensitive_individuals:,}) "
                      "were replaced by the scanned counts"})
        if scan_result["partial"]:
            report = {"partial_notice_zh": PARTIAL_NOTICE_ZH, "partial_notice_en": PARTIAL_NOTICE_EN,
                      **report, "partial": True}
    if record:
        if session is None:
            raise InputError("记录台账需要数据库", "recording needs a database session", field="--record")
        row = record_assessment(session, plan, report, user=user)
        report["assessment_id"] = row.id
    return report


def _org(user: Any | None) -> int | None:
    return getattr(user, "organisation_id", None) if user is not None else None


# -- ledger ------------------------------------------------------------------------------------

def ledger_history(session: Session, exporter: str, *, owner_org_id: int | None, before: dt.date,
                   plan_history: list[HistoryItem] = (), same_plan: dict | None = None) -> list[HistoryItem]:
    """Recorded exports of ``exporter`` (same organisation) dated on or before ``before``.

    Entries identical to one the plan already lists (same date and counts), and earlier records of
    the same plan (``same_plan``: a re-assessment of the same transfer), are not counted twice.
    """
    from moli.crossborder.models import Assessment

    stmt = select(Assessment).where(Assessment.exporter_name == exporter, Assessment.transfer_date <= before,
                                    Assessment.path != "out_of_scope")
    stmt = stmt.where(Assessment.owner_org_id.is_(None) if owner_org_id is None
                      else Assessment.owner_org_id == owner_org_id)
    typed = {(h.date, h.individuals, h.sensitive_individuals) for h in plan_history}
    out = []
    for a in session.scalars(stmt.order_by(Assessment.transfer_date, Assessment.id)):
        key = (a.transfer_date, a.individuals, a.sensitive_individuals)
        if key in typed or (same_plan is not None and a.plan == same_plan):
            continue  # typed in the plan already, or an earlier run of this very transfer
        out.append(HistoryItem(date=a.transfer_date, individuals=a.individuals,
                               sensitive_individuals=a.sensitive_individuals, exempt_scenario=a.exempt_scenario,
                               note=f"ledger #{a.id}"))
    return out


def record_assessment(session: Session, plan: Plan, report: dict, *, user: Any | None = None):
    from moli.crossborder.models import Assessment

    this = report["counts"]["this_transfer"]
    plan_json = plan.model_dump(mode="json")
    org = _org(user)
    stmt = select(Assessment).where(Assessment.exporter_name == plan.exporter.name,
                                    Assessment.transfer_date == plan.transfer.date,
                                    Assessment.owner_org_id.is_(None) if org is None else Assessment.owner_org_id == org)
    for old in session.scalars(stmt):
        if old.plan == plan_json:  # the same transfer assessed again: replace, do not add
            session.delete(old)
    row = Assessment(
        exporter_name=plan.exporter.name, transfer_date=plan.transfer.date,
        recipient=f"{plan.transfer.recipient.name} ({plan.transfer.recipient.country})"[:300],
        path=report["path"], regime=report["regime"]["id"],
        individuals=this["individuals"], sensitive_individuals=this["sensitive_individuals"],
        exempt_scenario=report["path"] == "exempt" and any(r["id"].startswith("scenario_") for r in report["rules"]),
        partial=bool(report.get("partial")),
        plan=plan_json, report=jsonable(report),
        owner_org_id=org, created_by_id=getattr(user, "id", None),
    )
    session.add(row)
    session.flush()
    return row


def jsonable(report: dict) -> dict:
    import json

    return json.loads(json.dumps(report, ensure_ascii=False, default=str))


def list_assessments(session: Session, user: Any | None, *, exporter: str | None = None, limit: int = 200):
    """Assessments ``user`` may read (enterprise users: their organisation's only), newest first."""
    from moli.crossborder.models import Assessment

    stmt = access.visible(select(Assessment), Assessment, user)
    if exporter and "\x00" in exporter:
        return []  # no stored name holds one (names are checked), and PostgreSQL refuses NUL in a query
    if exporter:
        stmt = stmt.where(Assessment.exporter_name == exporter)
    return list(session.scalars(stmt.order_by(Assessment.transfer_date.desc(), Assessment.id.desc()).limit(limit)))


def get_assessment(session: Session, user: Any | None, assessment_id: int):
    from moli.crossborder.models import Assessment

    row = session.get(Assessment, assessment_id) if 1 <= assessment_id <= 2**63 - 1 else None  # 64-bit ids only
    if row is None:
        raise NotFound(f"评估记录 {assessment_id} 不存在", f"assessment {assessment_id} not found")
    access.ensure_can_read(user, row.owner_org_id)
    return row


def ledger_summary(session: Session, user: Any | None, exporter: str, year: int) -> dict:
    """Totals of one exporter's recorded exports in ``year`` (the Order 16 window)."""
    rows = [a for a in list_assessments(session, user, exporter=exporter, limit=10_000)
            if a.transfer_date.year == year and a.path != "out_of_scope"]
    return {"exporter": exporter, "year": year, "transfers": len(rows),
            "individuals": sum(a.individuals for a in rows),
            "sensitive_individuals": sum(a.sensitive_individuals for a in rows)}


# -- the web form --------------------------------------------------------------------------------

_BOOL = ("is_ciio", "necessity_justified", "remote_access", "important_data", "collected_abroad_transit",
         "domestic_data_added", "nl_covered")


def plan_from_form(form: dict) -> Plan:
    """The guided form's flat fields → a validated plan (errors name the plan field)."""
    def val(name: str) -> str:
        v = form.get(name, "")
        return v.strip() if isinstance(v, str) else v

    def flag(name: str) -> bool:
        return val(name) in ("1", "true", "on", "yes")

    def num(name: str):
        v = val(name)
        return v if v not in ("", None) else 0

    raw: dict = {
        "exporter": {"name": val("exporter_name"), "is_ciio": flag("is_ciio"),
                     "registration": val("registration") or "other_cn", "sector": val("sector")},
        "transfer": {"date": val("transfer_date"),
                     "recipient": {"name": val("recipient_name"), "country": val("recipient_country")},
                     "activity": val("activity") or "other", "scenario": val("scenario") or "none",
                     "necessity_justified": flag("necessity_justified"), "justification": val("justification"),
                     "remote_access": flag("remote_access")},
        "data": {"individuals": num("individuals"), "sensitive_individuals": num("sensitive_individuals"),
                 "important_data": flag("important_data"), "collected_abroad_transit": flag("collected_abroad_transit"),
                 "domestic_data_added": flag("domestic_data_added")},
        "history": [],
    }
    if val("processed_individuals"):
        raw["exporter"]["processed_individuals"] = val("processed_individuals")
    if val("negative_list"):
        items = [x.strip() for x in str(val("nl_items")).replace("，", ",").replace("\n", ",").split(",") if x.strip()]
        raw["data"]["negative_list"] = {"list": val("negative_list"), "covered": flag("nl_covered"),
                                        "sector": val("nl_sector"), "scenario": val("nl_scenario"),
                                        "on_list_items": items}
    for i, line in enumerate(str(val("history")).splitlines()):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.replace("，", ",").split(",")]
        if len(parts) < 2:
            raise InputError(f"计划字段 history.{i}：每行应为“日期, 人数[, 敏感人数]”",
                             f"plan field history.{i}: each line is 'date, individuals[, sensitive]'",
                             field=f"history.{i}")
        raw["history"].append({"date": parts[0], "individuals": parts[1] or 0,
                               "sensitive_individuals": parts[2] if len(parts) > 2 and parts[2] else 0})
    return plan_from_mapping(raw)


def form_choices() -> dict:
    """Values for the form's select boxes, Chinese first."""
    from moli.crossborder.schemas import ACTIVITIES, SCENARIOS

    rb = rulebook()
    activity_zh = {"international_trade": "国际贸易", "cross_border_transport": "跨境运输",
                   "academic_cooperation": "学术合作", "transnational_manufacturing": "跨国生产制造",
                   "marketing": "市场营销", "other": "其他（如模型训练、推理、日志）"}
    scenario_zh = {"none": "无", "contract_necessity": "订立、履行合同所必需（第五条第一项）",
                   "hr_management": "跨境人力资源管理（第五条第二项）", "emergency": "紧急情况（第五条第三项）"}
    return {
        "zones": [(z.id, z.zh, z.en) for z in rb.zones.values()],
        "activities": [(a, activity_zh[a]) for a in ACTIVITIES],
        "scenarios": [(s, scenario_zh[s]) for s in SCENARIOS],
        "lists": [(nl.id, nl.title_zh, nl.effective.isoformat(), [(s.id, s.zh) for s in nl.sectors],
                   [(s.id, s.zh) for s in nl.scenarios]) for nl in rb.lists.values()],
        "profiles": _profiles(),
    }


def _profiles() -> list[tuple[str, str, str]]:
    """(id, Chinese name, English name) of each sensitivity profile, the default first."""
    from moli.crossborder.scanner import profile_label, profiles

    return [(p, *profile_label(p)) for p in profiles()]


def path_label(path: str) -> tuple[str, str]:
    """(Chinese, English) name of an export path (``exempt`` -> 免予申报…)."""
    from moli.crossborder.engine import PATH_LABELS

    return PATH_LABELS.get(path, (path, path))


def save_uploads(files: list[tuple[str, Any]], folder: Path, *, max_bytes: int) -> list[Path]:
    """Stream uploaded tables (name, binary file object) to ``folder``, at most ``max_bytes`` in all."""
    from moli.core.files import save_uploads as save
    from moli.crossborder.scanner import TABLE_SUFFIXES

    return save(files, folder, max_bytes=max_bytes, suffixes=tuple(TABLE_SUFFIXES), field="data")


def upload_names(files: list[tuple[str, Any]], saved: list[Path]) -> dict[str, str]:
    """Stored file name -> the name its user uploaded it as (``good.csv``, not ``00_good.csv`` in a
    server folder): what reports and errors show (``ScanOptions.source_names``)."""
    return {p.name: Path(name or p.name).name for (name, _), p in zip(files, saved, strict=True)}


def home_counts(session: Session) -> dict[str, int]:
    """Aggregate figures for the home page (no exporter is named)."""
    from sqlalchemy import func

    from moli.crossborder.models import Assessment

    return {
        "出境评估 / Assessments": session.scalar(select(func.count(Assessment.id))) or 0,
        "数据处理者 / Exporters": session.scalar(select(func.count(func.distinct(Assessment.exporter_name)))) or 0,
    }
