"""Pipeline steps (流水线步骤) and their registry.

A step is one small class: its parameters are typed pydantic fields (validated strictly when a recipe
is loaded, before any input is read), ``name`` is its registry key, and one method maps a batch:

    process(self, docs: list[Document]) -> tuple[list[Document], list[Removed]]

Steps are pure and picklable, so the same objects run in the local executor's worker processes and
inside Ray Data ``map_batches``. Register a step with ``@register_step("quality")``; other modules
plug in the same way (``moli.corpus.labels_steps`` adds ``domain`` and ``safety``; it is imported
by the registry when it exists).

Global steps (``GlobalStep``, e.g. de-duplication) need every surviving document before they can
decide. They have a two-phase protocol that splits the work so the expensive part stays parallel:

1. ``prepare(docs) -> numpy.ndarray`` runs in the workers, one row per document (a hash key, a
   MinHash signature);
2. in the driver, ``begin(workdir)``, then ``collect(rows, prepared)`` over all shards *in input
   order* (``rows`` are global int64 row numbers, increasing in input order), then
   ``decide() -> {row: (reason, kept_row | None)}`` names the rows to remove.

``GlobalStep.process`` runs the three phases on one batch, so a global step also works standalone.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import tempfile
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from moli.core.errors import ConfigError, InputError
from moli.corpus.document import Document, Removed
from moli.text.normalize import CJK_CLASS, normalize_text

# Modules that register more steps when they exist (labels: domain, safety).
PLUGIN_MODULES = ("moli.corpus.labels_steps",)

STEPS: dict[str, type[Step]] = {}


def register_step(name: str):
    """Class decorator: register a step class under ``name`` (the key used in recipes)."""

    def deco(cls: type[Step]) -> type[Step]:
        if name in STEPS and STEPS[name] is not cls:
            raise ConfigError(f"步骤名称重复：{name}", f"duplicate step name: {name}")
        cls.name = name
        STEPS[name] = cls
        return cls

    return deco


_plugins_loaded = False


def load_plugins() -> None:
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    for mod in PLUGIN_MODULES:
        try:
            spec = importlib.util.find_spec(mod)
        except ModuleNotFoundError:
            spec = None
        if spec is not None:
            importlib.import_module(mod)


def step_names() -> list[str]:
    load_plugins()
    return sorted(STEPS)


def get_step_class(name: str) -> type[Step]:
    load_plugins()
    try:
        return STEPS[name]
    except KeyError:
        raise ConfigError(
            f"未知的步骤：{name}（可用：{', '.join(sorted(STEPS))}）",
            f"unknown step: {name} (available: {', '.join(sorted(STEPS))})",
            field=name,
        ) from None


class Step(BaseModel):
    """Base of every step: typed parameters, one batch method."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: ClassVar[str] = "step"
    is_global: ClassVar[bool] = False

    def process(self, docs: list[Document]) -> tuple[list[Document], list[Removed]]:
        raise NotImplementedError


class GlobalStep(Step):
    """A step that decides over all documents (de-duplication); see the module docstring.

    A step with ``needs_texts`` also receives the documents' texts in ``collect(rows, prepared,
    texts)``, streamed from the staged shards in the driver (so workers ship only fixed-width rows).
    """

    is_global: ClassVar[bool] = True
    needs_texts: ClassVar[bool] = False

    def prepare(self, docs: list[Document]) -> np.ndarray:
        raise NotImplementedError

    def begin(self, workdir: Path) -> None:
        raise NotImplementedError

    def collect(self, rows: np.ndarray, prepared: np.ndarray) -> None:
        raise NotImplementedError

    def decide(self) -> dict[int, tuple[str, int | None]]:
        raise NotImplementedError

    def process(self, docs: list[Document]) -> tuple[list[Document], list[Removed]]:
        with tempfile.TemporaryDirectory(prefix="moli-step-") as tmp:
            self.begin(Path(tmp))
            if docs and self.needs_texts:
                self.collect(np.arange(len(docs), dtype=np.int64), self.prepare(docs), [d.text for d in docs])
            elif docs:
                self.collect(np.arange(len(docs), dtype=np.int64), self.prepare(docs))
            decided = self.decide()
        kept, removed = [], []
        for i, doc in enumerate(docs):
            if i in decided:
                reason, other = decided[i]
                removed.append(Removed(doc, self.name, reason, docs[other].id if other is not None else None))
            else:
                kept.append(doc)
        return kept, removed


# ---------------------------------------------------------------------------------------------
# normalize


# An HTML/XML comment never renders: what converters and scrapers leave in text (<!-- INFO END -->,
# <!-- more -->, editor notes) is not language a model should learn.
_MARKUP_COMMENT = re.compile(r"<!--.*?-->", re.S)


@register_step("normalize")
class Normalize(Step):
    """规范化: NFKC/full-width, control characters, whitespace inside Chinese text, optional t2s,
    markup comments (<!-- ... -->) removed."""

    t2s: bool = False
    width: bool = True
    join_broken_lines: bool = True
    strip_comments: bool = True

    def process(self, docs):
        kept, removed = [], []
        for doc in docs:
            text = _MARKUP_COMMENT.sub("", doc.text) if self.strip_comments and "<!--" in doc.text else doc.text
            text = normalize_text(text, t2s=self.t2s, width=self.width, join_broken_lines=self.join_broken_lines)
            if not text:
                removed.append(Removed(doc, self.name, "empty_after_normalize"))
                continue
            doc.text = text
            kept.append(doc)
        return kept, removed


# ---------------------------------------------------------------------------------------------
# language

_LETTERS = {
    "zh": f"[{CJK_CLASS}]",
    "ja": "[\u3040-\u30ff]",
    "ko": "[\uac00-\ud7af\u1100-\u11ff]",
    "latin": "[A-Za-z\u00c0-\u024f]",
    "cyrillic": "[\u0400-\u04ff]",
    "arabic": "[\u0600-\u06ff]",
}


@lru_cache(maxsize=1)
def _letter_res():
    import re

    return {k: re.compile(v) for k, v in _LETTERS.items()}


def detect_language(text: str, *, sample_chars: int = 20000) -> tuple[str, float]:
    """Script-based language guess: (code, share of letters). Kana → ja, Hangul → ko, Han → zh."""
    sample = text[:sample_chars]
    counts = {k: len(r.findall(sample)) for k, r in _letter_res().items()}
    total = sum(counts.values())
    if total == 0:
        return "und", 0.0
    if counts["ja"] > 0.1 * total:
        return "ja", (counts["ja"] + counts["zh"]) / total
    lang = max(counts, key=counts.get)
    code = {"latin": "en"}.get(lang, lang)
    return code, counts[lang] / total


@register_step("language")
class Language(Step):
    """语言: keep documents whose script-based language is in ``keep`` (Chinese by default)."""

    keep: list[str] = Field(default_factory=lambda: ["zh"])
    min_share: float = 0.3  # share of letters that are Han characters for "zh" (calibrated on gov_docs)

    def process(self, docs):
        kept, removed = [], []
        for doc in docs:
            lang, share = detect_language(doc.text)
            # Chinese technical text mixes Latin letters in; accept zh above ``min_share`` of letters.
            if "zh" in self.keep and lang != "zh":
                zh_share = len(_letter_res()["zh"].findall(doc.text[:20000]))
                letters = sum(len(r.findall(doc.text[:20000])) for r in _letter_res().values()) or 1
                if zh_share / letters >= self.min_share and lang not in ("ja", "ko"):
                    lang, share = "zh", zh_share / letters
            doc.meta["language"] = lang
            doc.meta["language_share"] = round(share, 3)
            if lang in self.keep:
                kept.append(doc)
            else:
                removed.append(Removed(doc, self.name, f"language_{lang}"))
        return kept, removed


# ---------------------------------------------------------------------------------------------
# quality

QUALITY_YAML = Path(__file__).resolve().parent / "data" / "quality.yaml"
_SYMBOLS = "#|>»«•▪◆◇★☆→←■□●○※►▶▼▲=*_^\\<{}[]@$%&+"
_SENT_END = "。！？!?…"
_SYMBOL_CPS = np.array(sorted(ord(c) for c in _SYMBOLS), dtype=np.uint32)
_SENT_END_CPS = np.array(sorted(ord(c) for c in _SENT_END), dtype=np.uint32)
_CJK_CP_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x2FA1F))
_LINE_END_OK = frozenset("。！？；!?;…：:”’」』）)")


_RULES_SHAPE = ("rules: {名称: {metric: 指标, min 或 max: 数值, source: 出处, confidence: 置信度}}",
                "rules: {name: {metric: METRIC, min or max: NUMBER, source: TEXT, confidence: LEVEL}}")
# Keys an override may change in one rule.
OVERRIDE_KEYS = ("min", "max", "min_lines")


@lru_cache(maxsize=1)
def quality_metric_names() -> tuple[str, ...]:
    return tuple(sorted(quality_metrics("")))


def _rules_shape_error(p: Path, zh: str, en: str) -> InputError:
    return InputError(f"quality 步骤的质量规则文件 {p} 格式不对：{zh}；应为 {_RULES_SHAPE[0]}",
                      f"the quality step's rules file {p} has the wrong shape: {en}; expected {_RULES_SHAPE[1]}",
                      field="quality.rules_path")


@lru_cache(maxsize=4)
def load_quality_rules(path: str | None = None) -> dict[str, Any]:
    p = Path(path) if path else QUALITY_YAML
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"无法读取质量规则文件 {p}：{exc}", f"cannot read quality rules {p}: {exc}",
                          field=str(p)) from None
    if not isinstance(data, dict):
        raise _rules_shape_error(p, f"顶层是 {type(data).__name__}，不是映射",
                                 f"the top level is a {type(data).__name__}, not a mapping")
    rules = data.get("rules")
    if not isinstance(rules, dict) or not rules:
        what = "缺少 rules" if rules is None else f"rules 是 {type(rules).__name__}，不是非空映射"
        what_en = "no rules key" if rules is None else f"rules is a {type(rules).__name__}, not a non-empty mapping"
        raise _rules_shape_error(p, what, what_en)
    for key, rule in rules.items():
        if not isinstance(rule, dict):
            raise _rules_shape_error(p, f"规则 {key} 是 {type(rule).__name__}，不是映射",
                                     f"rule {key} is a {type(rule).__name__}, not a mapping")
        for need in ("metric", "source", "confidence"):
            if need not in rule:
                raise ConfigError(f"质量规则 {key} 缺少字段 {need}（{p}）",
                                  f"quality rule {key} lacks field {need} ({p})", field=f"rules.{key}.{need}")
        if "min" not in rule and "max" not in rule:
            raise ConfigError(f"质量规则 {key} 需要 min 或 max（{p}）", f"quality rule {key} needs min or max ({p})",
                              field=f"rules.{key}")
        if rule["metric"] not in quality_metric_names():
            raise _rules_shape_error(p, f"规则 {key} 的指标 {rule['metric']!r} 未知（可用：{', '.join(quality_metric_names())}）",
                                     f"rule {key} has an unknown metric {rule['metric']!r} "
                                     f"(known: {', '.join(quality_metric_names())})")
        for bound in OVERRIDE_KEYS:
            if bound in rule and (isinstance(rule[bound], bool) or not isinstance(rule[bound], int | float)):
                raise _rules_shape_error(p, f"规则 {key} 的 {bound} 不是数值", f"rule {key}: {bound} is not a number")
    boiler = data.get("boilerplate_phrases", {})
    if not isinstance(boiler, dict) or not isinstance(boiler.get("phrases", []), list):
        raise _rules_shape_error(p, "boilerplate_phrases 须是 {phrases: [短语…], max_line_chars: 数值}",
                                 "boilerplate_phrases must be {phrases: [PHRASE…], max_line_chars: NUMBER}")
    return data


def _dup_ngram_char_fraction(cp32: np.ndarray, n: int = 10) -> float:
    """Share of characters covered by character n-grams that occur more than once (vectorised).

    ``cp32`` are the code points of the text without whitespace."""
    m = len(cp32) - n + 1
    if m <= 1:
        return 0.0
    chars = cp32
    cp = cp32.astype(np.uint64)  # wrapping polynomial hash of each n-gram
    h = np.zeros(m, dtype=np.uint64)
    mult = np.uint64(0x100000001B3)
    for k in range(n):
        h = h * mult + cp[k : k + m]
    _, inverse, counts = np.unique(h, return_inverse=True, return_counts=True)
    dup = counts[inverse] > 1
    if not dup.any():
        return 0.0
    cover = np.zeros(len(chars) + 1, dtype=np.int32)
    starts = np.nonzero(dup)[0]
    cover[starts] += 1  # starts are unique, and so are starts + n
    cover[starts + n] -= 1
    return float(np.count_nonzero(np.cumsum(cover)[: len(chars)]) / len(chars))


def quality_metrics(text: str, phrases: tuple[str, ...] = (), boiler_max_line: int = 40) -> dict[str, float]:
    """Chinese-aware document statistics: characters, not words; CJK sentence ends."""
    lines = [ln.strip() for ln in text.split("\n")]
    lines = [ln for ln in lines if ln]
    chars = "".join(text.split())
    n_chars = len(chars)
    out: dict[str, float] = {"n_chars": n_chars}
    if n_chars == 0:
        return {**out, "n_lines": 0, "cjk_ratio": 0.0, "n_sentence_ends": 0, "sentence_line_char_fraction": 0.0,
                "dup_line_fraction": 0.0, "dup_line_char_fraction": 0.0, "dup_10gram_char_fraction": 0.0,
                "symbol_ratio": 0.0, "mean_line_chars": 0.0, "boilerplate_line_fraction": 0.0}
    cp = np.frombuffer(chars.encode("utf-32-le"), dtype=np.uint32)
    cjk = np.zeros(len(cp), dtype=bool)
    for lo, hi in _CJK_CP_RANGES:
        cjk |= (cp >= lo) & (cp <= hi)
    out["cjk_ratio"] = int(np.count_nonzero(cjk)) / n_chars
    out["n_sentence_ends"] = int(np.count_nonzero(np.isin(cp, _SENT_END_CPS)))
    line_chars = [len(ln) for ln in lines]
    total_line_chars = sum(line_chars) or 1
    out["sentence_line_char_fraction"] = sum(
        n for ln, n in zip(lines, line_chars, strict=True) if ln[-1] in _LINE_END_OK
    ) / total_line_chars
    counts = Counter(lines)
    dup_lines = [ln for ln in lines if counts[ln] > 1]
    out["n_lines"] = len(lines)
    out["dup_line_fraction"] = len(dup_lines) / len(lines)
    out["dup_line_char_fraction"] = sum(len(ln) for ln in dup_lines) / total_line_chars
    out["dup_10gram_char_fraction"] = _dup_ngram_char_fraction(cp)
    out["symbol_ratio"] = int(np.count_nonzero(np.isin(cp, _SYMBOL_CPS))) / n_chars
    out["mean_line_chars"] = total_line_chars / len(lines)
    out["boilerplate_line_fraction"] = (
        sum(1 for ln in lines if len(ln) <= boiler_max_line and any(p in ln for p in phrases)) / len(lines)
        if phrases else 0.0
    )
    return out


@register_step("quality")
class Quality(Step):
    """质量: Chinese heuristics with thresholds from ``data/quality.yaml`` (or ``rules_path``).

    ``overrides`` changes single thresholds in the recipe: ``{min_chars: {min: 200}}``.
    """

    rules_path: str | None = None
    overrides: dict[str, dict[str, float]] = Field(default_factory=dict)
    record_metrics: bool = False

    @model_validator(mode="after")
    def _check_rules(self) -> Quality:
        """At recipe load time: the rules file is readable and well-formed (``InputError`` naming the
        file), and every override names a known rule and known keys (``ValueError`` → the recipe's
        ``steps[i].quality`` error)."""
        known = list(load_quality_rules(self.rules_path)["rules"])
        unknown = sorted(set(self.overrides) - set(known))
        if unknown:
            raise ValueError(f"quality.overrides 中有未知规则 / unknown rules in quality.overrides: {unknown}; "
                             f"可用规则 / valid rules: {', '.join(known)}")
        for rule, change in self.overrides.items():
            bad = sorted(set(change) - set(OVERRIDE_KEYS))
            if bad:
                raise ValueError(f"quality.overrides.{rule} 中有未知键 / unknown keys in quality.overrides.{rule}: "
                                 f"{bad}; 可用 / valid: {', '.join(OVERRIDE_KEYS)}")
        return self

    def rules(self) -> list[tuple[str, str, float | None, float | None, int]]:
        data = load_quality_rules(self.rules_path)
        out = []
        for key, rule in data["rules"].items():
            r = {**rule, **self.overrides.get(key, {})}
            out.append((key, r["metric"], r.get("min"), r.get("max"), int(r.get("min_lines", 0))))
        unknown = set(self.overrides) - set(data["rules"])
        if unknown:
            raise ConfigError(f"quality.overrides 中有未知规则：{sorted(unknown)}",
                              f"unknown rules in quality.overrides: {sorted(unknown)}", field="quality.overrides")
        return out

    def process(self, docs):
        rules = self.rules()
        boiler = load_quality_rules(self.rules_path).get("boilerplate_phrases", {})
        phrases, max_line = tuple(boiler.get("phrases", [])), int(boiler.get("max_line_chars", 40))
        kept, removed = [], []
        for doc in docs:
            m = quality_metrics(doc.text, phrases, max_line)
            reason = None
            for key, metric, lo, hi, min_lines in rules:
                if m["n_lines"] < min_lines:
                    continue
                v = m[metric]
                if (lo is not None and v < lo) or (hi is not None and v > hi):
                    reason = key
                    break
            if self.record_metrics:
                doc.meta["quality"] = {k: round(float(v), 4) for k, v in m.items()}
            if reason is None:
                kept.append(doc)
            else:
                removed.append(Removed(doc, self.name, reason))
        return kept, removed


# ---------------------------------------------------------------------------------------------
# pii


@register_step("pii")
class Pii(Step):
    """个人信息: redact or tag personal information with ``moli.pii.redact_with_findings``.

    ``mode`` is one of moli.pii's modes (``tag`` → ``[PHONE]``, ``mask``, ``pseudonymize``, ``drop``).
    Findings are stored in ``meta["pii"]`` as ``{kind, start, end}`` — offsets into the *output* text
    (for ``tag``/``mask``/``drop``; the redacted span is ``text[start:end]``) — never the PII itself, and
    their count per kind in ``meta["pii_counts"]``. ``drop_if_more_than`` removes documents with too
    many findings (e.g. customer lists). ``allow``: exact values never redacted (Presidio's allow list):
    the public figures an official document names, an office's published hotline. ``names: cued``
    redacts only names announced by a cue (联系人：, 姓名：) and their repetitions — for official
    documents, whose other names are public figures.
    """

    mode: str = "tag"
    key: str | None = None
    kinds: list[str] | None = None  # None = every kind moli.pii detects (PERSON/ADDRESS need its model)
    drop_if_more_than: int | None = None
    allow: list[str] | None = None
    names: Literal["all", "cued"] = "all"

    @field_validator("kinds")
    @classmethod
    def _known_kinds(cls, v: list[str] | None) -> list[str] | None:
        from moli.pii import KINDS

        bad = [k for k in v or [] if k not in KINDS]
        if bad:
            raise ValueError(f"unknown kinds {bad}; known: {', '.join(KINDS)}")
        return v

    @field_validator("mode")
    @classmethod
    def _known_mode(cls, v: str) -> str:
        from moli.pii import MODES

        if v not in MODES:
            raise ValueError(f"unknown mode {v!r}; one of {', '.join(MODES)}")
        return v

    def process(self, docs):
        from moli.pii import redact_many_with_findings

        key = self.key.encode("utf-8") if self.key is not None else None
        kinds = set(self.kinds) if self.kinds is not None else None
        kept, removed = [], []
        docs = list(docs)
        results = redact_many_with_findings([doc.text for doc in docs], self.mode, key=key, kinds=kinds,
                                            allow=set(self.allow or ()), names=self.names)
        for doc, (text, findings) in zip(docs, results, strict=True):
            if self.drop_if_more_than is not None and len(findings) > self.drop_if_more_than:
                removed.append(Removed(doc, self.name, "too_much_pii"))
                continue
            doc.text = text
            if findings:
                doc.meta["pii"] = _output_spans(findings, self.mode)
                doc.meta["pii_counts"] = dict(Counter(f.kind for f in findings))
            kept.append(doc)
        return kept, removed


def _output_spans(findings: list, mode: str) -> list[dict[str, Any]]:
    """Where each redacted finding sits in the redacted text (same walk as moli.pii.redact.apply)."""
    out, pos, shift = [], 0, 0
    for f in sorted(findings, key=lambda f: f.start):
        if f.start < pos:
            continue
        if mode == "tag":
            width = len(f"[{f.kind}]")
        elif mode == "mask":
            width = f.end - f.start
        elif mode == "drop":
            width = 0
        else:  # pseudonymize: surrogate length unknown here; keep input offsets only
            out.append({"kind": f.kind, "in_start": f.start, "in_end": f.end})
            pos = f.end
            continue
        start = f.start + shift
        out.append({"kind": f.kind, "start": start, "end": start + width})
        shift += width - (f.end - f.start)
        pos = f.end
    return out


# ---------------------------------------------------------------------------------------------
# de-duplication (global steps over moli.corpus.dedup)


@register_step("dedup_exact")
class DedupExact(GlobalStep):
    """完全重复: documents whose normalised text hashes equal; the earliest input is kept."""

    _keys: list = []
    _rows: list = []

    def prepare(self, docs):
        from moli.corpus.dedup import exact_key

        keys = [exact_key(d.text) for d in docs]
        width = max((len(k) for k in keys), default=1)
        return np.array(keys, dtype=f"S{width}")

    def begin(self, workdir):
        self._keys, self._rows = [], []

    def collect(self, rows, prepared):
        self._rows.append(np.asarray(rows, dtype=np.int64))
        self._keys.append(np.asarray(prepared))

    def decide(self):
        if not self._rows:
            return {}
        rows = np.concatenate(self._rows)
        width = max(k.dtype.itemsize for k in self._keys)
        keys = np.concatenate([k.astype(f"S{width}") for k in self._keys])
        order = np.lexsort((rows, keys))  # by key, then by row (earliest first)
        k_sorted, r_sorted = keys[order], rows[order]
        same = np.zeros(len(order), dtype=bool)
        same[1:] = k_sorted[1:] == k_sorted[:-1]
        group_start = np.maximum.accumulate(np.where(~same, np.arange(len(order)), 0))
        out = {int(r_sorted[i]): ("exact_duplicate", int(r_sorted[group_start[i]])) for i in np.nonzero(same)[0]}
        self._keys, self._rows = [], []
        return out


@register_step("dedup_near")
class DedupNear(GlobalStep):
    """近似重复: MinHash-LSH on character n-grams (``moli.corpus.dedup``); the earliest input is kept.

    Candidates are checked by the exact Jaccard similarity of their n-gram fingerprints
    (``verify: exact``; the texts reach the driver from the staged shards) and each document joins
    the earliest kept document it is similar to (``linkage: leader``): on the labelled set of
    docs/dedup.md this is the configuration with precision ≥ 0.95 and recall ≥ 0.90. ``verify:
    estimate`` uses the signatures only; ``linkage: single`` clusters transitively (union-find).
    """

    needs_texts: ClassVar[bool] = True

    threshold: float = Field(0.8, gt=0.0, le=1.0)
    num_perm: int = Field(128, ge=16, le=1024)
    ngram: int = Field(5, ge=1, le=50)
    seed: int = 1
    verify: Literal["exact", "estimate"] = "exact"
    linkage: Literal["leader", "single"] = "leader"

    _index: Any = None

    def prepare(self, docs):
        from moli.corpus.dedup import minhash_signatures

        return minhash_signatures([d.text for d in docs], num_perm=self.num_perm, ngram=self.ngram, seed=self.seed)

    def begin(self, workdir):
        from moli.corpus.dedup import NearDuplicateIndex

        workdir = Path(workdir) / "dedup_near"
        workdir.mkdir(parents=True, exist_ok=True)
        self._index = NearDuplicateIndex(self.num_perm, self.threshold, workdir, linkage=self.linkage)

    def collect(self, rows, prepared, texts=None):
        if not len(rows):
            return
        fingerprints = None
        if self.verify == "exact" and texts is not None:
            from moli.text.shingles import shingle_fingerprints, shingle_hashes

            fingerprints = shingle_fingerprints(*shingle_hashes(texts, self.ngram, self.seed))
        self._index.add(np.asarray(rows, dtype=np.int64), prepared, fingerprints)

    def decide(self):
        index, self._index = self._index, None
        try:
            dups = index.duplicates()
        finally:
            if hasattr(index, "close"):
                index.close()
        return {int(r): ("near_duplicate", int(k)) for r, k in dups.items()}


