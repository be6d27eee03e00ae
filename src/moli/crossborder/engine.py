"""决策引擎 / Decision engine: a validated plan (+ optional scan counts, ledger history) → a report.

The order of the tests follows the reference's decision procedure (crossborder_rules.md §1.4);
every number, clause and wording comes from the rule book (``rules.yaml``). Every decision
carries at least one rule with its clause, source and confidence.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from moli.core.errors import InputError
from moli.crossborder.rules import RuleBook, rulebook
from moli.crossborder.schemas import MAINLAND, HistoryItem, Plan

PATH_LABELS = {
    "out_of_scope": ("不属于数据出境监管范围", "out of scope"),
    "exempt": ("免予申报安全评估、订立标准合同和认证", "exempt"),
    "standard_contract_or_certification": ("订立个人信息出境标准合同或通过个人信息保护认证",
                                           "standard contract or certification"),
    "security_assessment": ("申报数据出境安全评估", "security assessment"),
    "negative_list": ("按负面清单规定的机制办理", "mechanism prescribed by the negative list"),
}
# Strictness, for comparing the outcome under two sensitivity profiles.
STRICTNESS = {"out_of_scope": 0, "exempt": 1, "standard_contract_or_certification": 2, "negative_list": 3,
              "security_assessment": 4}
SCENARIO_RULES = {"contract_necessity": "scenario_contract_necessity", "hr_management": "scenario_hr_management",
                  "emergency": "scenario_emergency"}


@dataclass
class TransferCounts:
    """Distinct individuals in THIS transfer (from the plan or from a scan)."""

    individuals: int
    sensitive_individuals: int
    origin: str = "plan"  # plan | scan


@dataclass
class _Ctx:
    rb: RuleBook
    plan: Plan
    counts: TransferCounts
    history: list[HistoryItem]
    rules: list[dict] = field(default_factory=list)
    triggers: set[str] = field(default_factory=set)
    notes: list[dict] = field(default_factory=list)

    def fire(self, rule_id: str, zh: str = "", en: str = "") -> dict:
        item = self.rb.cite(rule_id, zh, en)
        self.rules.append(item)
        return item


def window_start(regime_window: str, day: dt.date) -> dt.date:
    if regime_window == "calendar_year":
        return dt.date(day.year, 1, 1)
    return dt.date(day.year - 1, 1, 1)


def add_working_days(day: dt.date, n: int) -> dt.date:
    """Monday-Friday working days (public holidays and make-up days are not known to the tool)."""
    d = day
    while n > 0:
        d += dt.timedelta(days=1)
        if d.weekday() < 5:
            n -= 1
    return d


def assess(plan: Plan, *, counts: TransferCounts | None = None, ledger: list[HistoryItem] | None = None,
           rb: RuleBook | None = None, alt_counts: dict[str, TransferCounts] | None = None,
           profile: str | None = None) -> dict:
    """Decide the export path for ``plan``.

    ``counts`` override the plan's ``data.individuals``/``sensitive_individuals`` (scanned data);
    ``ledger`` adds earlier recorded exports of the same exporter; ``alt_counts`` maps other
    sensitivity profiles to their counts, to flag a profile that would change the path.
    """
    rb = rb or rulebook()
    regime = rb.regime_for(plan.transfer.date)
    if regime is None:
        first = rb.regimes[0].effective_from
        raise InputError(f"计划字段 transfer.date：{plan.transfer.date} 早于本工具所载规则的最早施行日 {first}",
                         f"plan field transfer.date: {plan.transfer.date} is before the earliest rules the tool "
                         f"holds ({first})", field="transfer.date")
    counts = counts or TransferCounts(plan.data.individuals, plan.data.sensitive_individuals, "plan")
    history = list(plan.history) + list(ledger or [])
    path, ctx, window = _decide(rb, regime, plan, counts, history)
    report = _report(rb, regime, plan, counts, path, ctx, window)
    if profile:
        report["profile"] = profile
    if alt_counts:
        alts = {}
        for name, c in alt_counts.items():
            alt_path, _, _ = _decide(rb, regime, plan, c, history)
            alts[name] = alt_path
        report["paths_by_profile"] = {**alts, **({profile: path} if profile else {})}
        if any(p != path for p in alts.values()):
            q = rb.questions["profiles_differ"]
            report["open_questions"].append(_question(q, extra={"paths_by_profile": report["paths_by_profile"]}))
    return report


def _decide(rb: RuleBook, regime, plan: Plan, counts: TransferCounts, history: list[HistoryItem]):
    ctx = _Ctx(rb, plan, counts, history)
    day = plan.transfer.date
    start = window_start(regime.window, day)
    counted = [h for h in history if start <= h.date <= day]
    n_gen = counts.individuals + sum(h.individuals for h in counted)
    n_sens = counts.sensitive_individuals + sum(h.sensitive_individuals for h in counted)
    window = {"start": start, "end": day, "n_general": n_gen, "n_sensitive": n_sens, "counted": counted,
              "excluded": len(history) - len(counted)}
    if counted:
        ctx.triggers.add("history")
    if any(h.exempt_scenario for h in counted):
        ctx.triggers.add("history_exempt")
    if n_sens:
        ctx.triggers.add("sensitive")
    decide = _decide_order16 if regime.id == "order16_2024" else _decide_old
    return decide(ctx, n_gen, n_sens), ctx, window


def _is_export(plan: Plan) -> bool:
    return plan.transfer.remote_access or plan.transfer.recipient.country.strip().upper() not in MAINLAND


def _decide_order16(ctx: _Ctx, n_gen: int, n_sens: int) -> str:
    plan, rb, c = ctx.plan, ctx.rb, ctx.counts
    d, t, ex = plan.data, plan.transfer, plan.exporter
    has_pi = c.individuals > 0 or c.sensitive_individuals > 0
    if not _is_export(plan):
        ctx.fire("not_export_act", f"接收方所在地 {t.recipient.country}，且无境外远程访问",
                 f"recipient in {t.recipient.country} and no remote access from abroad")
        return "out_of_scope"
    if not has_pi and not d.important_data:
        act = "" if t.activity == "other" else f"（活动：{t.activity}）"
        ctx.fire("no_pi_no_important_data", f"本次出境不含个人信息和重要数据{act}",
                 f"this transfer holds no PI and no important data ({t.activity})")
        return "out_of_scope"
    if d.important_data:
        ctx.triggers.add("important_data")
        if d.collected_abroad_transit:
            ctx.triggers.add("important_data_transit")
        if d.negative_list is not None or t.scenario != "none":
            ctx.triggers.add("important_data_list")
        ctx.fire("important_data", "计划声明含有已被告知或公开发布的重要数据；豁免不适用于重要数据",
                 "the plan declares important data (notified or published); exemptions do not cover it")
        return "security_assessment"
    if d.collected_abroad_transit and not d.domestic_data_added:
        ctx.fire("transit_exemption", "个人信息在境外收集，境内处理时未加入境内个人信息或重要数据",
                 "PI collected abroad; no domestic PI or important data added in processing")
        return "exempt"
    if t.scenario != "none":
        if t.necessity_justified:
            ctx.triggers.add("scenario_exempt")
            if ex.is_ciio:
                ctx.triggers.add("ciio_scenario")
            why = f"：{t.justification}" if t.justification else ""
            ctx.fire(SCENARIO_RULES[t.scenario], f"场景 {t.scenario}，已说明“确需”{why}",
                     f"scenario {t.scenario} with necessity justified")
            return "exempt"
        ctx.fire("scenario_not_justified", f"声明了场景 {t.scenario}，但未说明“确需”",
                 f"scenario {t.scenario} claimed, necessity not justified")
    nl = d.negative_list
    if nl is not None:
        outcome = _negative_list(ctx, nl)
        if outcome:
            return outcome
    if ex.is_ciio:
        ctx.fire("ciio_pi", "出境方为关键信息基础设施运营者，且本次出境含个人信息",
                 "the exporter is a CIIO and the transfer holds PI")
        return "security_assessment"
    if c.sensitive_individuals == 0 and n_sens > 0:
        ctx.triggers.add("sensitive_history_only")
    if (ex.processed_individuals or 0) >= rb.value("old_sa_processed_min"):
        ctx.triggers.add("processed_1m_order16")
    sa_gen, sa_sens = rb.value("sa_general_min"), rb.value("sa_sensitive_min")
    if n_gen >= sa_gen or n_sens >= sa_sens:
        ctx.fire("volume_security_assessment",
                 f"窗口内累计个人信息 {n_gen:,} 人（门槛 {sa_gen:,}），敏感个人信息 {n_sens:,} 人（门槛 {sa_sens:,}）",
                 f"window count {n_gen:,} individuals (threshold {sa_gen:,}), sensitive {n_sens:,} (threshold {sa_sens:,})")
        return "security_assessment"
    scc_gen, scc_sens = rb.value("scc_general_min"), rb.value("scc_sensitive_min")
    if n_gen >= scc_gen or n_sens >= scc_sens:
        parts_zh, parts_en = [], []
        if n_gen >= scc_gen:
            parts_zh.append(f"窗口内累计个人信息 {n_gen:,} 人（≥ {scc_gen:,} 且 < {sa_gen:,}）")
            parts_en.append(f"window count {n_gen:,} individuals (>= {scc_gen:,} and < {sa_gen:,})")
        if n_sens >= scc_sens:
            parts_zh.append(f"窗口内累计敏感个人信息 {n_sens:,} 人（≥ {scc_sens} 且 < {sa_sens:,}）")
            parts_en.append(f"window count {n_sens:,} sensitive individuals (>= {scc_sens} and < {sa_sens:,})")
        ctx.fire("volume_standard_contract", "；".join(parts_zh), "; ".join(parts_en))
        return "standard_contract_or_certification"
    ctx.fire("volume_exempt", f"窗口内累计个人信息 {n_gen:,} 人（< {rb.value('exempt_general_max'):,}），无敏感个人信息",
             f"window count {n_gen:,} individuals (< {rb.value('exempt_general_max'):,}), no sensitive PI")
    return "exempt"


def _negative_list(ctx: _Ctx, nl) -> str | None:
    """Apply a cited negative list if the exporter is eligible; else record why not and return None."""
    rb, plan = ctx.rb, ctx.plan
    lst = rb.lists[nl.list]
    day, reg = plan.transfer.date, plan.exporter.registration
    why: list[tuple[str, str]] = []
    if day < lst.effective:
        why.append((f"出境日期 {day} 早于清单施行日 {lst.effective}", f"transfer date {day} is before the list took effect ({lst.effective})"))
    if lst.effective_until and day > lst.effective_until:
        why.append((f"清单已于 {lst.effective_until} 失效", f"the list ended on {lst.effective_until}"))
    if reg not in lst.zones:
        why.append((f"出境方注册地 {reg} 不在清单适用区域（{'、'.join(lst.zones)}）内",
                    f"registration {reg} is not in the list's zones ({', '.join(lst.zones)})"))
        if nl.list.startswith(("beijing", "tianjin")) and reg.startswith(("shanghai", "lingang")):
            ctx.triggers.add("other_province_list")
    if plan.exporter.is_ciio and lst.exclude_ciio:
        why.append(("关键信息基础设施运营者不适用负面清单", "CIIOs cannot use the negative list"))
    if not nl.covered:
        why.append(("本次出境的行业/场景不在清单覆盖范围内", "the transfer's sector/scenario is not covered by the list"))
    if nl.scenario and lst.scenarios and nl.scenario not in {s.id for s in lst.scenarios}:
        raise InputError(f"计划字段 data.negative_list.scenario：清单 {lst.id} 没有场景 {nl.scenario!r}，应为 "
                         f"{'、'.join(s.id for s in lst.scenarios)} 之一",
                         f"plan field data.negative_list.scenario: list {lst.id} has no scenario {nl.scenario!r}",
                         field="data.negative_list.scenario")
    if nl.sector and lst.sectors and nl.sector not in {s.id for s in lst.sectors}:
        why.append((f"行业 {nl.sector} 不在清单行业（{'、'.join(s.id for s in lst.sectors)}）内",
                    f"sector {nl.sector} is not one of the list's sectors"))
    if why:
        ctx.fire("negative_list_not_eligible", f"{lst.title_zh}：" + "；".join(z for z, _ in why),
                 f"{lst.title_en}: " + "; ".join(e for _, e in why))
        return None
    if not lst.entries:
        ctx.triggers.add("list_without_entries")
    if lst.id == "shanghai_ftz_lingang_2024" and day >= rb.lists["shanghai_citywide_2026"].effective:
        ctx.triggers.add("list_2024_after_2026")
    ctx.triggers.add(f"list:{lst.id}")
    if nl.on_list_items:
        ctx.fire("negative_list_on_list", f"{lst.title_zh}：清单项 {'、'.join(nl.on_list_items)}",
                 f"{lst.title_en}: on-list items {', '.join(nl.on_list_items)}")
        return "negative_list"
    ctx.fire("negative_list_off_list", f"{lst.title_zh}：所出境数据不在清单上",
             f"{lst.title_en}: none of the exported data is on the list")
    return "exempt"


def _decide_old(ctx: _Ctx, n_gen: int, n_sens: int) -> str:
    plan, rb, c = ctx.plan, ctx.rb, ctx.counts
    d, t, ex = plan.data, plan.transfer, plan.exporter
    has_pi = c.individuals > 0 or c.sensitive_individuals > 0
    if t.scenario != "none" or d.collected_abroad_transit or d.negative_list is not None:
        ctx.triggers.add("old_exemption_claimed")
    if not _is_export(plan):
        ctx.fire("not_export_act", f"接收方所在地 {t.recipient.country}，且无境外远程访问",
                 f"recipient in {t.recipient.country} and no remote access from abroad")
        return "out_of_scope"
    if not has_pi and not d.important_data:
        ctx.fire("old_no_pi_no_important_data", "本次出境不含个人信息和重要数据", "no PI and no important data")
        return "out_of_scope"
    if d.important_data:
        ctx.triggers.add("important_data")
        ctx.fire("old_important_data", "计划声明含有重要数据", "the plan declares important data")
        return "security_assessment"
    if ex.is_ciio:
        ctx.fire("old_ciio_pi", "出境方为关键信息基础设施运营者", "the exporter is a CIIO")
        return "security_assessment"
    proc_min = rb.value("old_sa_processed_min")
    if ex.processed_individuals is None:
        ctx.triggers.add("old_processed_missing")
    elif ex.processed_individuals >= proc_min:
        ctx.fire("old_processed_volume", f"出境方处理 {ex.processed_individuals:,} 人个人信息（门槛 {proc_min:,}）",
                 f"the exporter processes PI of {ex.processed_individuals:,} individuals (threshold {proc_min:,})")
        return "security_assessment"
    sa_gen, sa_sens = rb.value("old_sa_general_min"), rb.value("old_sa_sensitive_min")
    if n_gen >= sa_gen or n_sens >= sa_sens:
        ctx.fire("old_volume_security_assessment",
                 f"自上年1月1日起累计个人信息 {n_gen:,} 人（门槛 {sa_gen:,}），敏感个人信息 {n_sens:,} 人（门槛 {sa_sens:,}）",
                 f"since 1 Jan of the previous year: {n_gen:,} individuals (threshold {sa_gen:,}), sensitive {n_sens:,} (threshold {sa_sens:,})")
        return "security_assessment"
    if t.date < rb.date("scc_measures_effective"):
        ctx.triggers.add("old_before_scc")
        ctx.fire("old_before_scc_measures", f"出境日期 {t.date} 早于标准合同办法施行日 {rb.date('scc_measures_effective')}",
                 f"transfer dated {t.date}, before the standard-contract measures took effect")
        return "standard_contract_or_certification"
    ctx.fire("old_standard_contract", f"累计个人信息 {n_gen:,} 人、敏感个人信息 {n_sens:,} 人，低于安全评估门槛；旧规则无数量豁免",
             f"{n_gen:,} individuals and {n_sens:,} sensitive, below the assessment thresholds; no volume exemption then")
    return "standard_contract_or_certification"


def _question(q, extra: dict | None = None) -> dict:
    out = {"id": q.id, "zh": q.zh, "en": q.en, "source": list(q.source), "confidence": q.confidence}
    if extra:
        out.update(extra)
    return out


def _obligation_applies(when: str, path: str, regime_id: str, has_pi: bool, has_sens: bool, triggers: set[str]) -> bool:
    if path == "out_of_scope":
        return False
    order16 = regime_id == "order16_2024"
    return {
        "pi": has_pi,
        "sensitive": has_sens,
        "pi_order16": has_pi and order16,
        "security_assessment": path == "security_assessment" and order16,
        "old_security_assessment": path == "security_assessment" and not order16,
        "any_security_assessment": path == "security_assessment",
        "standard_contract": path == "standard_contract_or_certification",
        "standard_contract_order16": path == "standard_contract_or_certification" and order16,
        "negative_list_2024": "list:shanghai_ftz_lingang_2024" in triggers,
    }.get(when, False)


def deadline_text(dl: dict) -> tuple[str, str]:
    """The deadline as a sentence a reader of the report understands (the JSON keeps kind and value)."""
    v, kind = dl["value"], dl["kind"]
    if kind == "working_days_after_export":
        return f"出境后 {v} 个工作日内，即 {dl['due']} 前", f"within {v} working days after the export: by {dl['due']}"
    if kind == "retain_years":
        return f"至少保存 {v} 年，至 {dl['until']}", f"keep for at least {v} years: until {dl['until']}"
    if kind == "working_days_after_contract":
        return f"合同生效后 {v} 个工作日内", f"within {v} working days after the contract takes effect"
    if kind == "validity_years":
        renew = dl.get("renew_within_working_days_before_expiry")
        return (f"有效期 {v} 年（自出具之日起）" + (f"，届满前 {renew} 个工作日内申请延期" if renew else ""),
                f"valid {v} years from issue" + (f"; apply for renewal within {renew} working days before expiry" if renew else ""))
    return f"{kind} {v}", f"{kind} {v}"


def _report(rb: RuleBook, regime, plan: Plan, counts: TransferCounts, path: str, ctx: _Ctx, window: dict) -> dict:
    has_pi = counts.individuals > 0 or counts.sensitive_individuals > 0
    has_sens = counts.sensitive_individuals > 0
    obligations, deadlines = [], []
    for o in rb.obligations:
        if not _obligation_applies(o.when, path, regime.id, has_pi, has_sens, ctx.triggers):
            continue
        if o.id == "certification_validity" and plan.transfer.date < rb.date("certification_measures_effective"):
            continue
        item = {"id": o.id, "zh": o.zh, "en": o.en, "clause": o.clause, "source": list(o.source),
                "confidence": o.confidence}
        obligations.append(item)
        if o.deadline:
            dl = {"id": o.id, **o.deadline, "clause": o.clause}
            if o.deadline["kind"] == "working_days_after_export":
                dl["due"] = add_working_days(plan.transfer.date, o.deadline["value"]).isoformat()
                dl["note_zh"] = "按周一至周五计算，未扣除法定节假日"
                dl["note_en"] = "Monday-Friday working days; public holidays not deducted"
            elif o.deadline["kind"] == "retain_years":
                d = plan.transfer.date
                dl["until"] = d.replace(year=d.year + o.deadline["value"]).isoformat() if not (
                    d.month == 2 and d.day == 29) else dt.date(d.year + o.deadline["value"], 3, 1).isoformat()
            dl["zh"], dl["en"] = deadline_text(dl)
            deadlines.append(dl)
    questions = [_question(q) for q in rb.questions.values() if q.trigger in ctx.triggers]
    cited = sorted({s for r in ctx.rules for s in r["source"]} | {s for o in obligations for s in o["source"]}
                   | {s for q in questions for s in q["source"]} | set(regime.source))
    zh, en = PATH_LABELS[path]
    return {
        "path": path,
        "path_zh": zh,
        "path_en": en,
        "partial": False,
        "exporter": plan.exporter.name,
        "transfer_date": plan.transfer.date.isoformat(),
        "regime": {"id": regime.id, "title_zh": regime.title_zh, "title_en": regime.title_en,
                   "window_zh": regime.window_zh, "window_en": regime.window_en, "clause": regime.clause,
                   "source": list(regime.source), "confidence": regime.confidence},
        "rules": ctx.rules,
        "obligations": obligations,
        "deadlines": deadlines,
        "counts": {
            "individuals_window": window["n_general"],
            "sensitive_individuals_window": window["n_sensitive"],
            "window_start": window["start"].isoformat(),
            "window_end": window["end"].isoformat(),
            "this_transfer": {"individuals": counts.individuals, "sensitive_individuals": counts.sensitive_individuals,
                              "origin": counts.origin},
            "history_counted": [{"date": h.date.isoformat(), "individuals": h.individuals,
                                 "sensitive_individuals": h.sensitive_individuals} for h in window["counted"]],
            "history_outside_window": window["excluded"],
        },
        "open_questions": questions,
        "sources": {s: {"title_zh": rb.sources[s].title_zh, "title_en": rb.sources[s].title_en,
                        "doc_no": rb.sources[s].doc_no, "url": rb.sources[s].url,
                        "confidence": rb.sources[s].confidence} for s in cited},
        "disclaimer_zh": "本结果依据公开资料整理的规则自动生成，不构成法律意见。",
        "disclaimer_en": "Generated from rules compiled from public sources; not legal advice.",
    }
