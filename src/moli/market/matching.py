"""Scenario ↔ offering matching (场景与模型互配).

``OfferingIndex`` turns offerings into numpy columns (bit masks for tasks, domains, deployment,
modalities, languages and countries; context length, price, filing, an evaluation matrix) and a
BM25 index over jieba tokens of the descriptions. ``match(scenario)`` checks every hard constraint
of the scenario as one vectorised comparison, scores relevance with the weights in
``data/matching.yaml`` and returns an explained :class:`~moli.market.ranking.Ranking`.

``scenarios_for_offering`` is the other direction: the scenarios an offering could serve.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import yaml

from moli.core.errors import ConfigError
from moli.market.ranking import HardConstraint, Ranking, Reason, SoftSignal, rank
from moli.market.schemas import (
    DATA_DIR,
    DEPLOYMENTS,
    DOMAINS,
    MODALITIES,
    TASKS,
    Offering,
    Scenario,
    vocabulary,
)
from moli.text.normalize import to_simplified
from moli.text.search import BM25Index
from moli.text.segment import tokenize

FILING_CODE = {"none": 0, "filed": 1, "registered": 2}
SIGNALS = ("text", "tasks", "domain", "evaluations", "price")


@dataclass(frozen=True)
class MatchingConfig:
    weights: dict[str, float]
    general_domain_credit: float
    reference_price_cny: float
    unknown_price_signal: float
    min_evaluation_coverage: int


@lru_cache(maxsize=1)
def matching_config() -> MatchingConfig:
    path = DATA_DIR / "matching.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    for section in ("weights", "thresholds"):
        for name, entry in raw.get(section, {}).items():
            if not isinstance(entry, dict) or "value" not in entry or "source" not in entry or "confidence" not in entry:
                raise ConfigError(f"{path}: {section}.{name} 需要 value、source 和 confidence",
                                  f"{path}: {section}.{name} needs value, source and confidence",
                                  field=f"{section}.{name}")
    weights = {k: float(v["value"]) for k, v in raw["weights"].items()}
    missing = set(SIGNALS) - set(weights)
    if missing or any(w < 0 for w in weights.values()):
        raise ConfigError(f"{path}: 权重缺失或为负：{sorted(missing)}", f"{path}: weights missing or negative: {sorted(missing)}")
    t = {k: v["value"] for k, v in raw["thresholds"].items()}
    return MatchingConfig(weights, float(t["general_domain_credit"]), float(t["reference_price_cny"]),
                          float(t["unknown_price_signal"]), int(t["min_evaluation_coverage"]))


def _bits(vocab: Sequence[str]) -> dict[str, int]:
    return {v: 1 << i for i, v in enumerate(vocab)}


TASK_BIT = _bits(TASKS)
DOMAIN_BIT = _bits(DOMAINS)
DEPLOY_BIT = _bits(DEPLOYMENTS)
MODALITY_BIT = _bits(MODALITIES)
_POPCOUNT = np.array([bin(i).count("1") for i in range(1 << 16)], dtype=np.uint8)


def _mask(values: Sequence[str], bits: dict[str, int]) -> int:
    m = 0
    for v in values:
        m |= bits.get(v, 0)
    return m


# Tasks that mark an instruction-following model, and tasks such a model does by prompting (vocabulary.yaml).
GENERAL_PURPOSE_TASKS = _mask([t for t, e in vocabulary()["tasks"].items() if e.get("general_purpose")], TASK_BIT)
PROMPTABLE_TASKS = _mask([t for t, e in vocabulary()["tasks"].items() if e.get("by_prompting")], TASK_BIT)


def _zh(vocab_kind: str, ids: Sequence[str]) -> str:
    voc = vocabulary()[vocab_kind]
    return "、".join(voc[i]["zh"] if i in voc else i for i in ids) or "无"


def _en(vocab_kind: str, ids: Sequence[str]) -> str:
    voc = vocabulary()[vocab_kind]
    return ", ".join(voc[i]["en"] if i in voc else i for i in ids) or "none"


def _primary(lang: str) -> str:
    return lang.split("-", 1)[0]


class _Interner:
    """Open vocabularies (countries, languages) as bits of a uint64 mask."""

    def __init__(self) -> None:
        self.bit: dict[str, int] = {}

    def mask(self, values: Sequence[str]) -> int:
        m = 0
        for v in values:
            if v not in self.bit:
                if len(self.bit) >= 63:
                    raise ConfigError("国家或语言种类超过 63 个，超出索引容量",
                                      "more than 63 distinct countries or languages: beyond the index's capacity")
                self.bit[v] = 1 << len(self.bit)
            m |= self.bit[v]
        return m

    def lookup(self, values: Sequence[str]) -> int | None:
        """The mask of known values, or None when one is unknown to every candidate."""
        m = 0
        for v in values:
            if v not in self.bit:
                return None
            m |= self.bit[v]
        return m


def relevant_benchmarks(scenario: Scenario) -> list[str]:
    """Benchmarks whose scores count for the scenario: the vocabulary's benchmarks for one of its
    tasks in its industry (or general), plus the ones the scenario names."""
    out = []
    for name, b in vocabulary()["benchmarks"].items():
        if set(b["tasks"]) & set(scenario.tasks) and (scenario.industry in b["domains"] or "general" in b["domains"]):
            out.append(name)
    for name in scenario.benchmarks:
        if name not in out:
            out.append(name)
    return out


def _terms_reason(query: str, text: str, bm25: float) -> Reason | None:
    """Which query terms the text holds (the words that made its BM25 score)."""
    if bm25 <= 0:
        return None
    doc = set(tokenize(text))
    terms = [t for t in dict.fromkeys(tokenize(query)) if t in doc]
    if not terms:
        return None
    return Reason("text", f"描述匹配词：{'、'.join(terms)}", f"description terms matched: {', '.join(terms)}",
                  {"matched_terms": terms, "bm25": round(bm25, 4)})


class OfferingIndex:
    """Columns + BM25 over a fixed list of offerings; ``match`` ranks them for a scenario."""

    def __init__(self, offerings: Sequence[Offering]):
        self.offerings = list(offerings)
        n = len(self.offerings)
        self.ids = [o.id for o in self.offerings]
        if len(set(self.ids)) != n:
            raise ValueError("offering ids must be unique")
        self.pos = {i: p for p, i in enumerate(self.ids)}
        self.countries, self.languages = _Interner(), _Interner()
        bench_names = list(vocabulary()["benchmarks"])
        self.bench_col = {b: j for j, b in enumerate(bench_names)}
        evals: list[tuple[int, str, float]] = []
        task = np.zeros(n, np.uint16)
        domain = np.zeros(n, np.uint16)
        deploy = np.zeros(n, np.uint8)
        modal = np.zeros(n, np.uint8)
        lang = np.zeros(n, np.uint64)
        resid = np.zeros(n, np.uint64)
        ctx = np.zeros(n, np.int64)
        price = np.full(n, np.nan)
        filing = np.zeros(n, np.int8)
        commercial = np.zeros(n, bool)
        for p, o in enumerate(self.offerings):
            task[p] = _mask(o.tasks, TASK_BIT)
            domain[p] = _mask(o.domains, DOMAIN_BIT)
            deploy[p] = _mask(o.deployment, DEPLOY_BIT)
            modal[p] = _mask(o.modalities, MODALITY_BIT)
            lang[p] = self.languages.mask([_primary(x) for x in o.languages])
            resid[p] = self.countries.mask(o.data_residency)
            ctx[p] = o.context_length or 0
            if o.price_per_million_tokens_cny is not None:
                price[p] = o.price_per_million_tokens_cny
            filing[p] = FILING_CODE[o.filing.status]
            commercial[p] = o.commercial_use
            for e in o.evaluations:
                if e.benchmark not in self.bench_col:
                    self.bench_col[e.benchmark] = len(self.bench_col)
                scale = vocabulary()["benchmarks"].get(e.benchmark, {}).get("scale") or (100.0 if e.score > 1 else 1.0)
                evals.append((p, e.benchmark, float(e.score) / float(scale)))
        self.task, self.domain, self.deploy, self.modal = task, domain, deploy, modal
        self.lang, self.resid, self.ctx, self.price = lang, resid, ctx, price
        self.filing, self.commercial = filing, commercial
        # One column per benchmark (column-major): the score divided by its scale, 0 where absent.
        self.evals = np.zeros((n, len(self.bench_col)), dtype=np.float32, order="F")
        self.has_eval = np.zeros((n, len(self.bench_col)), dtype=bool, order="F")
        for p, b, v in evals:
            self.evals[p, self.bench_col[b]] = v
            self.has_eval[p, self.bench_col[b]] = True
        # Traditional characters are folded to simplified (OpenCC) so 藥物研發 finds 药物研发.
        self.texts = [to_simplified(f"{o.name} {o.vendor} {o.description}") for o in self.offerings]
        self.bm25 = BM25Index.build(self.ids, self.texts)

    def __len__(self) -> int:
        return len(self.ids)

    # -- hard constraints ------------------------------------------------------------------------
    def hard_constraints(self, s: Scenario) -> list[HardConstraint]:
        c, offs = s.constraints, self.offerings
        out: list[HardConstraint] = []
        n = len(self.ids)
        if s.languages:
            need = self.languages.lookup([_primary(x) for x in s.languages])
            ok = np.zeros(n, bool) if need is None else (self.lang & np.uint64(need)) == np.uint64(need)
            want = "、".join(s.languages)
            out.append(HardConstraint(
                "languages", ok,
                lambda i, want=want: Reason("languages", f"支持所需语言：{want}", f"supports the languages needed: {want}"),
                lambda i, want=want: Reason("languages", f"不支持所需语言 {want}（仅 {'、'.join(offs[i].languages) or '未声明'}）",
                                            f"does not support {want} (only {', '.join(offs[i].languages) or 'none declared'})")))
        need_tasks = _mask(s.tasks, TASK_BIT)
        if need_tasks:
            # An offering that declares its tasks and can serve none of the scenario's (an embedding
            # model for a report-writing scenario) is no match, whatever its description shares. An
            # instruction-following model serves the text tasks by prompting (vocabulary.yaml:
            # general_purpose, by_prompting); one that declares no task is left to the soft signals.
            # Partial cover is the task-overlap signal's job.
            ok = (self.task & np.uint16(need_tasks)) != 0
            ok |= self.task == 0
            if need_tasks & PROMPTABLE_TASKS:
                ok |= (self.task & np.uint16(GENERAL_PURPOSE_TASKS)) != 0
            zh_t, en_t = _zh("tasks", s.tasks), _en("tasks", s.tasks)
            out.append(HardConstraint(
                "tasks", ok, lambda i: None,
                lambda i: Reason("tasks", f"不能承担场景的任何任务：需要 {zh_t}，仅提供 {_zh('tasks', offs[i].tasks)}",
                                 f"serves none of the tasks needed: needs {en_t}, offers only {_en('tasks', offs[i].tasks)}")))
        if c.deployment is not None:
            allowed = _mask(c.deployment, DEPLOY_BIT)
            ok = (self.deploy & np.uint8(allowed)) != 0
            zh_a, en_a = _zh("deployment", c.deployment), _en("deployment", c.deployment)
            out.append(HardConstraint(
                "deployment", ok,
                lambda i: Reason("deployment", f"部署方式符合：{_zh('deployment', [d for d in offs[i].deployment if d in c.deployment])}",
                                 f"deployment fits: {_en('deployment', [d for d in offs[i].deployment if d in c.deployment])}"),
                lambda i: Reason("deployment", f"部署方式不符：需要 {zh_a}，仅提供 {_zh('deployment', offs[i].deployment)}",
                                 f"deployment: needs {en_a}, offers only {_en('deployment', offs[i].deployment)}")))
        if c.requires_filing:
            ok = self.filing > 0
            out.append(HardConstraint(
                "filing", ok,
                lambda i: Reason("filing", f"已完成生成式人工智能服务{'备案' if offs[i].filing.status == 'filed' else '登记'}"
                                 f"{('（' + offs[i].filing.number + '）') if offs[i].filing.number else ''}",
                                 f"generative-AI service {offs[i].filing.status}"
                                 f"{(' (' + offs[i].filing.number + ')') if offs[i].filing.number else ''}"),
                lambda i: Reason("filing", "场景面向公众，需要已备案或已登记的模型服务，该模型未备案",
                                 "the scenario is public-facing and needs a filed or registered service; this one is not filed")))
        if c.data_must_stay_in is not None:
            country = c.data_must_stay_in
            bit = self.countries.bit.get(country, 0)
            inside = (self.resid != 0) & ((self.resid & np.uint64(~bit & (2**64 - 1))) == 0)
            local_modes = _mask([d for d in ("private", "edge") if c.deployment is None or d in c.deployment], DEPLOY_BIT)
            on_prem = (self.deploy & np.uint8(local_modes)) != 0
            ok = inside | on_prem

            def held(i: int, country: str = country) -> Reason:
                if inside[i]:
                    return Reason("data_residency", f"推理在 {country} 境内运行", f"inference runs in {country}")
                return Reason("data_residency", f"可私有化或端侧部署，数据不出 {country}",
                              f"can be deployed on premises or on device, so data stays in {country}")

            out.append(HardConstraint(
                "data_residency", ok, held,
                lambda i, country=country: Reason(
                    "data_residency",
                    f"数据须留在 {country}，但推理在 {'、'.join(offs[i].data_residency) or '未声明地区'} 运行且不支持本地部署",
                    f"data must stay in {country}, but inference runs in {', '.join(offs[i].data_residency) or 'undeclared places'} "
                    "and no on-premises deployment is offered")))
        if c.min_context_length:
            m = c.min_context_length
            ok = self.ctx >= m
            out.append(HardConstraint(
                "context_length", ok,
                lambda i, m=m: Reason("context_length", f"上下文长度 {offs[i].context_length} ≥ {m}",
                                      f"context length {offs[i].context_length} ≥ {m}"),
                lambda i, m=m: Reason("context_length",
                                      f"上下文长度 {offs[i].context_length or '未声明'} 小于所需 {m}",
                                      f"context length {offs[i].context_length or 'not declared'} is below the {m} needed")))
        if c.max_price_per_million_tokens_cny is not None:
            mp = c.max_price_per_million_tokens_cny
            ok = ~(self.price > mp)  # an unlisted price (NaN) is not a violation

            def held_price(i: int, mp: float = mp) -> Reason:
                p = offs[i].price_per_million_tokens_cny
                if p is None:
                    return Reason("price", "未标价（如开源权重自部署），未按预算排除",
                                  "no listed price (e.g. open weights, self-hosted); not excluded by the budget")
                return Reason("price", f"价格 {p:g} 元/百万token ≤ 预算 {mp:g}", f"price {p:g} CNY per million tokens ≤ budget {mp:g}")

            out.append(HardConstraint(
                "price", ok, held_price,
                lambda i, mp=mp: Reason("price", f"价格 {offs[i].price_per_million_tokens_cny:g} 元/百万token 超出预算 {mp:g}",
                                        f"price {offs[i].price_per_million_tokens_cny:g} CNY per million tokens exceeds the budget {mp:g}")))
        if c.commercial_use:
            out.append(HardConstraint(
                "commercial_use", self.commercial.copy(),
                lambda i: Reason("commercial_use", f"许可证允许商用（{offs[i].license or '未注明'}）",
                                 f"the licence allows commercial use ({offs[i].license or 'unnamed'})"),
                lambda i: Reason("commercial_use", f"许可证不允许商用（{offs[i].license or '未注明'}）",
                                 f"the licence does not allow commercial use ({offs[i].license or 'unnamed'})")))
        if c.modalities:
            need = _mask(c.modalities, MODALITY_BIT)
            ok = (self.modal & np.uint8(need)) == np.uint8(need)
            zh_m, en_m = _zh("modalities", c.modalities), _en("modalities", c.modalities)
            out.append(HardConstraint(
                "modalities", ok,
                lambda i: Reason("modalities", f"支持所需模态：{zh_m}", f"supports the modalities needed: {en_m}"),
                lambda i: Reason("modalities", f"需要模态 {zh_m}，仅支持 {_zh('modalities', offs[i].modalities)}",
                                 f"needs {en_m}, supports only {_en('modalities', offs[i].modalities)}")))
        return out

    # -- soft signals ----------------------------------------------------------------------------
    def soft_signals(self, s: Scenario, *, text_scores: np.ndarray | None = None,
                     query: str | None = None) -> list[SoftSignal]:
        cfg = matching_config()
        w = cfg.weights
        offs = self.offerings
        n = len(self.ids)
        out: list[SoftSignal] = []

        # Description relevance: BM25 over jieba tokens, divided by the best score.
        query = to_simplified(query if query is not None else f"{s.title} {s.description}")
        raw = self.bm25.scores(query) if text_scores is None else text_scores
        best = float(raw.max()) if raw.size else 0.0
        text = raw / best if best > 0 else np.zeros(n, np.float32)

        def explain_text(idx: np.ndarray) -> list[Reason | None]:
            return [_terms_reason(query, self.texts[i], float(raw[i])) for i in idx]

        out.append(SoftSignal("text", text, w["text"], explain_text))

        # Task overlap: share of the scenario's tasks the offering covers.
        need = _mask(s.tasks, TASK_BIT)
        if need:
            tasks = _POPCOUNT[self.task & np.uint16(need)] / float(_POPCOUNT[need])

            def explain_tasks(idx: np.ndarray) -> list[Reason | None]:
                res: list[Reason | None] = []
                for i in idx:
                    common = [t for t in s.tasks if t in offs[i].tasks]
                    res.append(Reason("tasks", f"任务重合 {len(common)}/{len(s.tasks)}：{_zh('tasks', common)}",
                                      f"tasks covered {len(common)}/{len(s.tasks)}: {_en('tasks', common)}",
                                      {"tasks": common}) if common else None)
                return res

            out.append(SoftSignal("tasks", tasks, w["tasks"], explain_tasks))

        # Industry domain.
        if s.industry == "general":
            dom = np.ones(n)
        else:
            has = (self.domain & np.uint16(DOMAIN_BIT[s.industry])) != 0
            gen = (self.domain & np.uint16(DOMAIN_BIT["general"])) != 0
            dom = np.where(has, 1.0, np.where(gen, cfg.general_domain_credit, 0.0))

        def explain_domain(idx: np.ndarray) -> list[Reason | None]:
            res: list[Reason | None] = []
            ind_zh, ind_en = _zh("domains", [s.industry]), _en("domains", [s.industry])
            for i in idx:
                if s.industry in offs[i].domains:
                    res.append(Reason("domain", f"行业领域一致：{ind_zh}", f"same industry: {ind_en}"))
                elif "general" in offs[i].domains:
                    res.append(Reason("domain", f"通用模型，可用于{ind_zh}", f"general-purpose model, usable for {ind_en}"))
                else:
                    res.append(None)
            return res

        out.append(SoftSignal("domain", dom, w["domain"], explain_domain))

        # Evaluation scores on the benchmarks relevant to the scenario.
        cols = [(b, self.bench_col[b]) for b in relevant_benchmarks(s) if b in self.bench_col]
        if cols:
            total = np.zeros(n, np.float32)
            counted = np.zeros(n, np.int32)
            for _, j in cols:
                total += self.evals[:, j]
                counted += self.has_eval[:, j]
            mean = np.where(counted >= cfg.min_evaluation_coverage, total / np.maximum(counted, 1), 0.0)

            def explain_evals(idx: np.ndarray) -> list[Reason | None]:
                res: list[Reason | None] = []
                for i in idx:
                    got = [(e.benchmark, e.score) for e in offs[i].evaluations if e.benchmark in dict(cols)]
                    res.append(Reason("evaluations", "计入评测：" + "，".join(f"{b} {v:g}" for b, v in got),
                                      "scores counted: " + ", ".join(f"{b} {v:g}" for b, v in got),
                                      {"benchmarks": [b for b, _ in got]}) if got else None)
                return res

            out.append(SoftSignal("evaluations", mean, w["evaluations"], explain_evals))

        # Price: against the budget when there is one, else against a reference price.
        mp = s.constraints.max_price_per_million_tokens_cny
        with np.errstate(invalid="ignore", divide="ignore"):
            if mp:
                pr = 1.0 - self.price / mp
            else:
                pr = 1.0 / (1.0 + self.price / cfg.reference_price_cny)
        pr = np.where(np.isnan(self.price), cfg.unknown_price_signal, np.clip(pr, 0.0, 1.0))

        def explain_price(idx: np.ndarray) -> list[Reason | None]:
            res: list[Reason | None] = []
            for i in idx:
                p = offs[i].price_per_million_tokens_cny
                res.append(None if p is None else Reason("price", f"价格 {p:g} 元/百万token", f"price {p:g} CNY per million tokens"))
            return res

        out.append(SoftSignal("price", pr, w["price"], explain_price))
        return out

    def match(self, scenario: Scenario, *, k: int = 10, max_excluded: int | None = None,
              scope: np.ndarray | None = None) -> Ranking:
        return rank(self.ids, self.hard_constraints(scenario), self.soft_signals(scenario),
                    k=k, max_excluded=max_excluded, scope=scope)


def ranking_to_contract(r: Ranking) -> dict[str, Any]:
    """The CLI/JSON contract: ``{"matches": [{"offering_id", "score", "reasons"}], "excluded": [...]}``."""
    return {
        "matches": [{"offering_id": m.id, "score": round(m.score, 6),
                     "signals": {k: round(v, 6) for k, v in m.signals.items()},
                     "reasons": [x.to_dict() for x in m.reasons]} for m in r.matches],
        "excluded": [{"offering_id": e.id, "violations": [x.to_dict() for x in e.violations]} for e in r.excluded],
        "counts": {"candidates": r.n_candidates, "eligible": r.n_eligible, "excluded": r.n_excluded},
    }


def match_offerings(scenario: Scenario, offerings: Sequence[Offering], *, k: int = 10,
                    max_excluded: int | None = None) -> dict[str, Any]:
    """Rank ``offerings`` for ``scenario`` and return the JSON contract."""
    return ranking_to_contract(OfferingIndex(offerings).match(scenario, k=k, max_excluded=max_excluded))


def scenarios_for_offering(offering: Offering, scenarios: Sequence[Scenario], *, k: int = 10,
                           max_excluded: int | None = None) -> dict[str, Any]:
    """The other direction: which scenarios could ``offering`` serve, best first, with reasons.

    Each scenario's own constraints are checked against the offering; relevance uses the same
    signals and weights, with BM25 over the scenarios' descriptions queried by the offering's.
    """
    single = OfferingIndex([offering])
    ids = [s.id for s in scenarios]
    n = len(scenarios)
    if n == 0:
        return {"matches": [], "excluded": [], "counts": {"candidates": 0, "eligible": 0, "excluded": 0}}
    scen_texts = [to_simplified(f"{s.title} {s.description}") for s in scenarios]
    scen_bm25 = BM25Index.build(ids, scen_texts)
    query = to_simplified(f"{offering.name} {offering.description}")
    text_raw = scen_bm25.scores(query)
    per_hard = [single.hard_constraints(s) for s in scenarios]
    per_soft = [single.soft_signals(s, text_scores=np.zeros(1, np.float32), query="") for s in scenarios]

    names = sorted({c.name for cs in per_hard for c in cs})
    hard = []
    for name in names:
        found = [next((c for c in cs if c.name == name), None) for cs in per_hard]
        ok = np.array([c is None or bool(c.ok[0]) for c in found])
        hard.append(HardConstraint(name, ok,
                                   lambda i, found=found: None if found[i] is None else found[i].held(0),
                                   lambda i, found=found: found[i].violated(0)))
    best = float(text_raw.max()) if text_raw.size else 0.0
    soft = []
    for name in SIGNALS:
        sigs = [next((x for x in ss if x.name == name), None) for ss in per_soft]
        weight = matching_config().weights[name]
        if name == "text":
            vals = text_raw / best if best > 0 else np.zeros(n)

            def explain_text(idx: np.ndarray) -> list[Reason | None]:
                return [_terms_reason(query, scen_texts[i], float(text_raw[i])) for i in idx]

            soft.append(SoftSignal("text", vals, weight, explain_text))
            continue
        vals = np.array([float(x.values[0]) if x is not None else 0.0 for x in sigs])

        def explain(idx: np.ndarray, sigs: list = sigs) -> list[Reason | None]:
            return [sigs[i].explain(np.array([0]))[0] if sigs[i] is not None and sigs[i].explain else None for i in idx]

        soft.append(SoftSignal(name, vals, weight, explain))
    r = rank(ids, hard, soft, k=k, max_excluded=max_excluded)
    out = ranking_to_contract(r)
    out["matches"] = [{"scenario_id": m.pop("offering_id"), **m} for m in out["matches"]]
    out["excluded"] = [{"scenario_id": e.pop("offering_id"), **e} for e in out["excluded"]]
    return out
