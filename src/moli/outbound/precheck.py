"""Outbound-investment pre-check (境外投资预检): which approvals or filings a plan needs.

``precheck(plan)`` turns a plan into facts (sensitive country or industry for NDRC and for MOFCOM,
route, investor type, amount, technology class), then takes, for each authority (NDRC, MOFCOM, SAFE,
TECH_EXPORT), the first rule in ``data/rules.yaml`` in force on the plan's date whose conditions hold.
Nothing about the law is written here; it is all in the YAML with its source and confidence.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from moli.core.errors import ConfigError, InputError
from moli.core.yamlfiles import read_user_yaml
from moli.outbound.rules import (
    AUTHORITIES,
    Country,
    Industry,
    RuleSet,
    TechCatalogue,
    default_data,
    normalise,
    province_names,
)
from moli.outbound.schemas import Plan

_CLASS_RANK = {"free": 0, "restricted": 1, "prohibited": 2}
_CLASS_ZH = {"free": "自由类", "restricted": "限制类", "prohibited": "禁止类", None: "未声明"}
_ZH_TYPE = {
    "missing": "缺少必填字段",
    "literal_error": "取值不在允许范围内",
    "extra_forbidden": "不认识的字段",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "finite_number": "应为有限的数字（不能是 NaN 或无穷大）",
    "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）",
    "date_parsing": "应为日期（YYYY-MM-DD）",
    "date_type": "应为日期（YYYY-MM-DD）",
    "string_type": "应为文本",
    "string_too_short": "不能为空",
    "string_unicode": "含有无效的 Unicode 字符（孤立的代理码位）",
    "text_surrogate": "含有无效的 Unicode 字符（孤立的代理码位）",
    "text_control": "不能包含控制字符",
    "list_type": "应为列表",
    "model_type": "应为映射（键: 值）",
    "dict_type": "应为映射（键: 值）",
}

# (中文, English) names of the plan's route and investor type, for reasons and the checklist.
ROUTE_NAMES = {"direct": ("直接投资", "direct"), "offshore_controlled": ("通过控制的境外企业", "via a controlled offshore company")}
INVESTOR_NAMES = {"central_soe": ("中央管理企业", "central SOE"), "local": ("地方企业", "local enterprise")}


def _line_of(text: str, path: tuple) -> int | None:
    """1-based line of the YAML node at ``path`` (or of its nearest existing parent)."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return None
    line = node.start_mark.line + 1 if node is not None else None
    for key in path:
        if isinstance(node, yaml.MappingNode):
            nxt = next((v for k, v in node.value if k.value == str(key)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            nxt = node.value[key]
        else:
            nxt = None
        if nxt is None:
            break
        node = nxt
        line = node.start_mark.line + 1
    return line


def _plan_error(zh: str, en: str, field: str, source: str | None, text: str | None, path: tuple) -> InputError:
    line = _line_of(text, path) if text is not None else None
    where_zh = f"{source} 第 {line} 行 " if source and line else (f"{source} " if source else "")
    where_en = f"{source} line {line}: " if source and line else (f"{source}: " if source else "")
    return InputError(f"{where_zh}字段 {field}：{zh}", f"{where_en}field {field}: {en}", field=field)


def parse_plan(data: Any, *, source: str | None = None, text: str | None = None) -> Plan:
    """Validate a plan mapping; errors name the field (and file and line when known), zh + en."""
    if not isinstance(data, dict):
        raise InputError(f"{source or '计划'} 应为 YAML 映射（investor, investment, ...）",
                         f"{source or 'plan'} must be a YAML mapping (investor, investment, ...)", field="plan")
    try:
        plan = Plan.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        path = tuple(err["loc"])
        # a key may hold a lone surrogate itself: named escaped, so the answer can be encoded
        field = (".".join(str(p) for p in path) or "plan").encode("utf-8", "backslashreplace").decode()
        zh = _ZH_TYPE.get(err["type"], "取值无效")
        if err["type"] == "literal_error":
            zh += f"（允许：{err['ctx'].get('expected', '')}）"
        raise _plan_error(zh, err["msg"], field, source, text, path) from None
    inv = plan.investment
    if inv.amount_usd < 0:
        raise _plan_error(f"金额不能为负数（{inv.amount_usd:g}）", f"amount must not be negative ({inv.amount_usd:g})",
                          "investment.amount_usd", source, text, ("investment", "amount_usd"))
    if inv.funded_entirely_offshore is not None:
        offshore = inv.route == "offshore_controlled"
        if inv.funded_entirely_offshore != offshore:
            zh = (f"route={inv.route} 与 funded_entirely_offshore={str(inv.funded_entirely_offshore).lower()} 矛盾："
                  "offshore_controlled 表示境外企业完全以境外资金投资，direct 表示境内投入资产、资金或担保")
            en = (f"route={inv.route} contradicts funded_entirely_offshore={str(inv.funded_entirely_offshore).lower()}: "
                  "offshore_controlled means a controlled overseas entity using offshore money only, direct means "
                  "domestic money, assets or guarantees")
            raise _plan_error(zh, en, "investment.funded_entirely_offshore", source, text,
                              ("investment", "funded_entirely_offshore"))
    countries = default_data()[1]
    country = countries.get(inv.destination_country)
    if country is None or country.out_of_scope is not None:
        zh = (f"未知的国家或地区代码 {inv.destination_country!r}（请使用 ISO 3166-1 两位字母代码，如 SG、HK、AE）"
              if country is None else country.out_of_scope.reason_zh)
        en = (f"unknown country code {inv.destination_country!r} (use an ISO 3166-1 alpha-2 code such as SG, HK, AE)"
              if country is None else country.out_of_scope.reason_en)
        raise _plan_error(zh, en, "investment.destination_country", source, text,
                          ("investment", "destination_country"))
    tech = plan.technology_export
    if tech.involved and tech.tech_class is None and not tech.items:
        raise _plan_error("涉及技术出口时须给出 class（prohibited|restricted|free）或 items",
                          "when technology export is involved give class (prohibited|restricted|free) or items",
                          "technology_export.class", source, text, ("technology_export",))
    return plan


def load_plan(path: str | Path) -> Plan:
    """The plan file at ``path`` validated. A missing file, a folder, bytes that are not UTF-8 (a GB18030
    file: with the byte offset) or a YAML syntax error is an InputError naming the file, not a traceback."""
    path = Path(path)
    data = read_user_yaml(path)
    text = path.read_text(encoding="utf-8-sig")  # decodes: read_user_yaml has checked it (for error lines)
    return parse_plan(data, source=path.name, text=text)


def match_industries(text: str, codes: list[str], industries: list[Industry]) -> list[Industry]:
    norm = normalise(text)
    codes_up = [c.strip().upper() for c in codes]
    out = []
    for ind in industries:
        if any(normalise(k) in norm for k in ind.keywords) or any(
            c.startswith(p.upper()) for c in codes_up for p in ind.codes
        ):
            out.append(ind)
    return out


def match_tech_items(items: list[str], catalogue: TechCatalogue) -> list[tuple[str, Any]]:
    out = []
    for raw in items:
        norm = normalise(raw)
        for entry in catalogue.items:
            if any(normalise(k) in norm for k in entry.keywords):
                out.append((raw, entry))
    return out


def _facts(plan: Plan, rules: RuleSet, countries: dict[str, Country], industries: list[Industry],
           catalogue: TechCatalogue) -> tuple[dict[str, Any], dict[str, Any], list[dict]]:
    inv = plan.investment
    notes: list[dict] = []
    country = countries.get(inv.destination_country)
    if country is None:
        raise InputError(f"字段 investment.destination_country：未知的国家或地区代码 {inv.destination_country!r}"
                         "（请使用 ISO 3166-1 两位字母代码，如 SG、HK、AE）",
                         f"field investment.destination_country: unknown country code {inv.destination_country!r} "
                         "(use an ISO 3166-1 alpha-2 code such as SG, HK, AE)", field="investment.destination_country")
    if country.out_of_scope is not None:
        raise InputError(f"字段 investment.destination_country：{country.out_of_scope.reason_zh}",
                         f"field investment.destination_country: {country.out_of_scope.reason_en}",
                         field="investment.destination_country")
    ndrc_flags = [f for f in rules.sensitivity["ndrc_country_flags"].flags or [] if f in country.flags]
    mofcom_flags = [f for f in rules.sensitivity["mofcom_country_flags"].flags or [] if f in country.flags]
    ndrc_sc, mofcom_sc = bool(ndrc_flags), bool(mofcom_flags)
    if inv.sensitive_country is not None:
        if inv.sensitive_country != (ndrc_sc or mofcom_sc):
            notes.append({"id": "COUNTRY_OVERRIDE", "confidence": "medium", "source": [],
                          "text": f"计划声明 sensitive_country={str(inv.sensitive_country).lower()}，与本平台国家数据"
                                  f"（{country.zh}：{', '.join(country.flags) or '无敏感标记'}）不一致，已按计划声明处理 / "
                                  "the plan's sensitive_country overrides the platform's country data"})
        ndrc_sc = mofcom_sc = inv.sensitive_country

    matched = match_industries(inv.industry, inv.industry_codes, industries)
    ndrc_ind = [i for i in matched if i.ndrc]
    mofcom_ind = [i for i in matched if i.mofcom]
    ndrc_si, mofcom_si = bool(ndrc_ind), bool(mofcom_ind)
    if inv.sensitive_industry is not None:
        if inv.sensitive_industry != (ndrc_si or mofcom_si):
            notes.append({"id": "INDUSTRY_OVERRIDE", "confidence": "medium", "source": [],
                          "text": f"计划声明 sensitive_industry={str(inv.sensitive_industry).lower()}，与行业关键词匹配结果"
                                  f"（{', '.join(i.zh for i in matched) or '未匹配敏感行业'}）不一致，已按计划声明处理；"
                                  "注意发展改革委与商务部的敏感行业定义不同 / the plan's sensitive_industry overrides "
                                  "the keyword match; NDRC and MOFCOM define sensitive industries differently"})
        ndrc_si = mofcom_si = inv.sensitive_industry
    offshore_funded = inv.route == "offshore_controlled"
    carve_out = bool(ndrc_si and offshore_funded and ndrc_ind and all(i.carve_out for i in ndrc_ind))
    if carve_out:
        ndrc_si = False

    tech = plan.technology_export
    tech_matches = match_tech_items(tech.items, catalogue) if tech.involved else []
    tech_class = tech.tech_class
    matched_class = max((e.tech_class for _, e in tech_matches), key=_CLASS_RANK.__getitem__, default=None)
    if matched_class is not None and (tech_class is None or _CLASS_RANK[matched_class] > _CLASS_RANK[tech_class]):
        if tech_class is not None:
            names = "、".join(e.zh for _, e in tech_matches)
            notes.append({"id": "TECH_CLASS_RAISED", "confidence": "medium", "source": sorted(
                {s for _, e in tech_matches for s in e.source}),
                "text": f"计划声明技术类别为{_CLASS_ZH[tech_class]}，但条目匹配目录中的“{names}”（{_CLASS_ZH[matched_class]}），"
                        "已按更严格的类别处理 / "
                        f"declared class {tech_class} but the items match catalogue entries of class {matched_class}; "
                        "the stricter class is used"})
        tech_class = matched_class
    if tech.involved and tech_class is None:
        tech_class = "free"
        notes.append({"id": "TECH_CLASS_ASSUMED", "confidence": "low", "source": ["S32"],
                      "text": "计划未声明技术类别，条目也未匹配平台收录的人工智能相关目录条目，暂按自由类处理；平台只收录目录中"
                              "与人工智能有关的条目，请对照完整的《中国禁止出口限制出口技术目录》核实 / no class declared and "
                              "no AI catalogue item matched: treated as free; check the full catalogue"})
    tech_classes_sensitive = rules.sensitivity["tech_makes_mofcom_sensitive"].classes or []
    mofcom_tech = bool(tech.involved and tech_class in tech_classes_sensitive)

    facts = {
        "ndrc_sensitive": ndrc_sc or ndrc_si,
        "mofcom_sensitive": mofcom_sc or mofcom_si or mofcom_tech,
        "route": inv.route,
        "investor_type": plan.investor.type,
        "financial": plan.investor.financial,
        "amount_usd": inv.amount_usd,
        "tech_involved": tech.involved,
        "tech_class": tech_class if tech.involved else None,
        "acquisition": inv.acquisition,
        "co_investors": bool(inv.co_investors),
        "pre_approval_expenses": inv.pre_approval_expenses,
    }
    explain = {
        "country": {"code": country.code, "zh": country.zh, "en": country.en,
                    "flags": {k: v.model_dump() for k, v in country.flags.items()}},
        "ndrc_sensitive_country": ndrc_sc, "ndrc_country_flags": ndrc_flags,
        "mofcom_sensitive_country": mofcom_sc, "mofcom_country_flags": mofcom_flags,
        "industries_matched": [{"id": i.id, "zh": i.zh, "en": i.en, "ndrc": i.ndrc, "mofcom": i.mofcom,
                                "source": i.source, "confidence": i.confidence} for i in matched],
        "ndrc_sensitive_industry": ndrc_si, "mofcom_sensitive_industry": mofcom_si,
        "offshore_carve_out": carve_out,
        "tech_items_matched": [{"item": raw, "catalogue_id": e.id, "code": e.code, "zh": e.zh, "class": e.tech_class,
                                "source": e.source, "confidence": e.confidence} for raw, e in tech_matches],
        "tech_makes_mofcom_sensitive": mofcom_tech,
    }
    return facts, explain, notes


def _reasons(rule_auth: str, facts: dict[str, Any], explain: dict[str, Any]) -> list[str]:
    """Short zh / en explanations of why the facts the rule tested hold."""
    out = []
    c = explain["country"]
    if rule_auth == "NDRC":
        if explain["ndrc_sensitive_country"]:
            out.append(f"敏感国家和地区：{c['zh']}（{', '.join(explain['ndrc_country_flags']) or '计划声明'}）"
                       f" / sensitive country {c['en']}")
        if explain["ndrc_sensitive_industry"]:
            names = "、".join(i["zh"] for i in explain["industries_matched"] if i["ndrc"]) or "计划声明"
            out.append(f"敏感行业：{names} / sensitive industry")
        if explain["offshore_carve_out"]:
            out.append("境外企业完全以境外资金投资房地产、酒店或无具体实业项目的基金，不属于敏感类项目 / offshore-funded "
                       "carve-out applies")
        if not facts["ndrc_sensitive"]:
            route, investor = ROUTE_NAMES[facts["route"]][0], INVESTOR_NAMES[facts["investor_type"]][0]
            out.append(f"非敏感类项目；{route}；{investor}；中方投资额 "
                       f"{facts['amount_usd']:,.0f} 美元 / non-sensitive project")
    elif rule_auth == "MOFCOM":
        if facts["financial"]:
            out.append("金融企业境外投资 / financial-sector investor")
        if explain["mofcom_sensitive_country"]:
            out.append(f"敏感国家和地区（未建交或受联合国制裁）：{c['zh']} / sensitive country {c['en']}")
        if explain["mofcom_sensitive_industry"]:
            names = "、".join(i["zh"] for i in explain["industries_matched"] if i["mofcom"]) or "计划声明"
            out.append(f"敏感行业：{names} / sensitive industry")
        if explain["tech_makes_mofcom_sensitive"]:
            out.append(f"涉及出口{_CLASS_ZH[facts['tech_class']]}技术，属于敏感行业 / involves exporting "
                       f"{facts['tech_class']} technology")
    elif rule_auth == "SAFE":
        out.append("境内资产、资金或担保出境 / domestic assets leave China" if facts["route"] == "direct"
                   else "境外资金再投资，不涉及境内资金出境 / offshore money only")
    elif rule_auth == "TECH_EXPORT" and facts["tech_involved"]:
        items = "、".join(f"{m['item']}→{m['zh']}" for m in explain["tech_items_matched"])
        out.append(f"技术类别：{_CLASS_ZH[facts['tech_class']]}" + (f"（目录匹配：{items}）" if items else "")
                   + f" / technology class {facts['tech_class']}")
    return out


def precheck(plan: Plan, data: tuple | None = None) -> dict[str, Any]:
    """The procedures, their order, post-deal obligations and open questions for ``plan``."""
    rules, countries, industries, catalogue = data or default_data()
    day: dt.date = plan.investment.date
    if day < rules.effective_from:
        raise InputError(f"字段 investment.date：{day} 早于本规则集的生效日期 {rules.effective_from}",
                         f"field investment.date: {day} precedes the rule set's start {rules.effective_from}",
                         field="investment.date")
    facts, explain, notes = _facts(plan, rules, countries, industries, catalogue)
    names, known_province = province_names(plan.investor.province)
    where_vars = names.model_dump()
    procedures = []
    for auth in AUTHORITIES:
        rule = next((r for r in rules.rules if r.authority == auth and r.in_force(day) and r.matches(facts)), None)
        if rule is None:
            raise ConfigError(f"规则集没有覆盖此情形：{auth}，事实 {facts}", f"the rules do not cover {auth} for facts {facts}")
        procedures.append({
            "authority": auth,
            "action": rule.action,
            "level": rule.level,
            "rule_id": rule.id,
            "clause": rule.clause,
            "article": rule.article,
            "source": ", ".join(rule.source),
            "sources": rules.source_list(rule.source),
            "confidence": rule.confidence,
            "where": rule.where.format(**where_vars),
            "documents": list(rule.documents),
            "time_limit_working_days": rule.time_limit_working_days,
            "time_limit_note": rule.time_limit_note,
            "order_rank": rule.order_rank,
            "reasons": _reasons(auth, facts, explain),
        })
    by_auth = {p["authority"]: p for p in procedures}
    for extra in rules.extra_documents:
        proc = by_auth[extra.authority]
        if extra.matches(facts) and proc["action"] in extra.applies_when_action:
            proc["documents"].extend(extra.documents)
            proc.setdefault("extra_rule_ids", []).append(extra.id)
            proc["sources"] += [s for s in rules.source_list(extra.source) if s not in proc["sources"]]
            proc["source"] = ", ".join(s["id"] for s in proc["sources"])
    active = [p for p in procedures if p["action"] not in ("none", "prohibited")]
    order = [p["authority"] for p in sorted(active, key=lambda p: (p["order_rank"], AUTHORITIES.index(p["authority"])))]

    obligations = [
        {"id": o.id, "authority": o.authority, "text": o.text, "article": o.article, "source": ", ".join(o.source),
         "confidence": o.confidence, "time_limit_working_days": o.time_limit_working_days}
        for o in rules.obligations if by_auth[o.authority]["action"] in o.applies_when_action
    ]
    questions = []
    for q in rules.open_questions:
        if q.applies_from and day < q.applies_from:
            continue
        if q.countries and plan.investment.destination_country not in q.countries:
            continue
        if q.when_action and any(by_auth[a]["action"] != v for a, v in q.when_action.items()):
            continue
        if q.when_level and any(by_auth[a]["level"] != v for a, v in q.when_level.items()):
            continue
        if q.when_investor_type and plan.investor.type != q.when_investor_type:
            continue
        if q.when_province and plan.investor.province.strip().lower() != q.when_province:
            continue
        if q.when_technology_export is not None and plan.technology_export.involved != q.when_technology_export:
            continue
        questions.append({"id": q.id, "text": q.text, "source": ", ".join(q.source), "confidence": q.confidence})
    for n in notes:
        questions.append({**n, "source": ", ".join(n["source"])})
    if not known_province and any(p["level"] == "provincial" for p in procedures):
        questions.append({"id": "PROVINCE_UNKNOWN", "source": "", "confidence": "medium",
                          "text": f"平台没有省份 {plan.investor.province!r} 的主管部门名称，省级程序按“注册地省级主管部门”表述 / "
                                  f"no authority names for province {plan.investor.province!r}; generic wording used"})
    low = [p["authority"] for p in procedures if p["confidence"] == "low" and p["action"] != "none"]
    if low:
        questions.append({"id": "LOW_CONFIDENCE", "source": "", "confidence": "low",
                          "text": f"以下程序依据的规则置信度低，请向主管部门核实：{', '.join(low)} / these procedures rest on "
                                  "low-confidence rules; verify with the authority"})
    if plan.data_export.personal_info or plan.data_export.important_data:
        questions.append({"id": "DATA_EXPORT", "source": "S37", "confidence": "medium",
                          "text": "计划涉及个人信息或重要数据出境：请另行评估数据出境路径（安全评估、标准合同或认证，或豁免），"
                                  "可使用 moli crossborder assess / personal information or important data go abroad: "
                                  "assess the data-export path separately (moli crossborder assess)"})
    return {
        "plan": {"investor": plan.investor.name, "investor_type": plan.investor.type,
                 "destination_country": plan.investment.destination_country, "amount_usd": plan.investment.amount_usd,
                 "route": plan.investment.route, "date": day.isoformat()},
        "regime": rules.regime,
        "regime_name": rules.regime_name,
        "procedures": procedures,
        "order": order,
        "blocked": by_auth["TECH_EXPORT"]["action"] == "prohibited",
        "obligations": obligations,
        "open_questions": questions,
        "facts": {k: v for k, v in facts.items()},
        "explain": explain,
    }
