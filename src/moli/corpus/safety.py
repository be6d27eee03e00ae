"""Corpus safety screening (语料安全) after TC260-003 / GB/T 45654-2025.

- ``load_risks()``: the 5 categories and 31 risks, and the assessment thresholds, from
  ``data/safety/risks.yaml`` (each threshold with its clause and source).
- ``Lexicon``: an editable keyword list per risk, matched with one Aho-Corasick automaton
  (ahocorasick-rs: 3.6x pyahocorasick on a 10,000-term lexicon, see the labelling benchmark) over
  lower-cased text with full-width letters and digits folded. A hit shortly after a prohibitive cue (禁止, 打击 ...) is kept as evidence
  but does not count, so a law that forbids terrorism is not itself flagged for it.
- The sampling assessment of §9: ``draw_sample`` writes a review CSV (≥ 4,000 items or all),
  ``import_verdicts`` validates the reviewers' CSV as a whole and applies it atomically, and
  ``assessment_report`` says pass or fail against the 96 % bar with its evidence.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import random
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import ahocorasick_rs
import yaml

from moli.core.errors import ConfigError, InputError
from moli.core.files import atomic_write_bytes

DATA_DIR = Path(__file__).resolve().parent / "data" / "safety"
MAX_TERM_CHARS = 20
MAX_EVIDENCE = 50  # hits kept per document with their offsets
VERDICTS = {"pass": "pass", "fail": "fail", "合格": "pass", "不合格": "fail", "通过": "pass", "不通过": "fail"}


@lru_cache(maxsize=1)
def load_risks() -> dict[str, Any]:
    path = DATA_DIR / "risks.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    risks = {}
    for cat in data["categories"]:
        for r in cat["risks"]:
            risks[r["id"]] = {**r, "category": cat["id"], "category_zh": cat["zh"]}
    if len(risks) != 31 or len(data["categories"]) != 5:
        raise ConfigError(f"{path}：应为 5 类 31 项风险", f"{path}: expected 5 categories and 31 risks")
    for key, t in data["thresholds"].items():
        for need in ("value", "clause", "source", "confidence"):
            if need not in t:
                raise ConfigError(f"{path}：thresholds.{key} 缺少 {need}", f"{path}: thresholds.{key} lacks {need}",
                                  field=f"thresholds.{key}.{need}")
    return {"risks": risks, "thresholds": data["thresholds"], "categories": data["categories"],
            "standards": data["standards"]}


def threshold(name: str) -> float:
    return float(load_risks()["thresholds"][name]["value"])


# Full-width letters and digits fold to ASCII; that is all NFKC would change in a lexicon term's
# match (CJK ideographs are stable), and NFKC of a whole document costs more than the matching.
_FULL_WIDTH = {cp: cp - 0xFEE0 for r in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A)) for cp in range(r[0], r[1] + 1)}
_FULL_WIDTH_RE = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")


def _norm(text: str) -> str:
    """Fold full-width letters and digits, lower-case; hit offsets index this folded text."""
    if _FULL_WIDTH_RE.search(text):
        text = text.translate(_FULL_WIDTH)
    return text.lower()


@dataclass
class Hit:
    risk: str
    term: str
    start: int
    counted: bool  # False when a prohibitive cue precedes it


@dataclass
class Screening:
    flagged: bool
    risks: dict[str, int] = field(default_factory=dict)  # counted hits per risk
    hits: list[Hit] = field(default_factory=list)  # the first MAX_EVIDENCE hits, as evidence
    discounted: int = 0  # hits after a prohibitive cue

    def to_meta(self, max_terms: int = 5) -> dict[str, Any]:
        terms = [h.term for h in self.hits if h.counted][:max_terms]
        return {"flagged": self.flagged, "risks": self.risks, "terms": terms,
                "discounted": self.discounted}


class Lexicon:
    """Keywords per risk id, compiled into one Aho-Corasick automaton."""

    def __init__(self, entries: dict[str, list[str]], cues: list[str], cue_window: int = 12,
                 origin: str = "lexicon"):
        known = load_risks()["risks"]
        self.origin = origin
        index: dict[str, int] = {}
        self.patterns: list[str] = []
        self.pattern_risk: list[str] = []
        for risk, terms in entries.items():
            if risk not in known:
                raise ConfigError(f"{origin}：未知风险编号 {risk}", f"{origin}: unknown risk id {risk}", field=risk)
            for i, term in enumerate(terms):
                if not isinstance(term, str) or not term.strip():
                    raise ConfigError(f"{origin}：{risk} 第 {i + 1} 个词条为空或不是文本",
                                      f"{origin}: entry {i + 1} of {risk} is empty or not text", field=f"{risk}[{i}]")
                if len(term) > MAX_TERM_CHARS:
                    raise ConfigError(f"{origin}：{risk} 第 {i + 1} 个词条超过 {MAX_TERM_CHARS} 字：{term[:30]}",
                                      f"{origin}: entry {i + 1} of {risk} is longer than {MAX_TERM_CHARS} characters",
                                      field=f"{risk}[{i}]")
                key = _norm(term.strip())
                if key not in index:  # a term listed under two risks counts for the first
                    index[key] = len(self.patterns)
                    self.patterns.append(key)
                    self.pattern_risk.append(risk)
        self.size = len(self.patterns)
        self.automaton = (ahocorasick_rs.AhoCorasick(self.patterns, matchkind=ahocorasick_rs.MATCHKIND_STANDARD)
                          if self.patterns else None)
        self.cues = [_norm(c) for c in cues if c]
        self.cue_window = cue_window
        self._cue_re = re.compile("|".join(re.escape(c) for c in self.cues)) if self.cues else None

    def __getstate__(self) -> dict:  # the Rust automaton is rebuilt after unpickling (worker processes)
        return {k: v for k, v in self.__dict__.items() if k != "automaton"}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.automaton = (ahocorasick_rs.AhoCorasick(self.patterns, matchkind=ahocorasick_rs.MATCHKIND_STANDARD)
                          if self.patterns else None)

    @classmethod
    def load(cls, path: str | Path | None = None) -> Lexicon:
        path = Path(path) if path else DATA_DIR / "lexicon.yaml"
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"无法读取词库 {path}：{exc}", f"cannot read lexicon {path}: {exc}") from None
        if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
            raise ConfigError(f"{path}：缺少 entries 列表", f"{path}: missing the list 'entries'", field="entries")
        entries: dict[str, list[str]] = {}
        for n, e in enumerate(data["entries"], 1):
            if not isinstance(e, dict) or "risk" not in e or not isinstance(e.get("terms"), list):
                raise ConfigError(f"{path}：第 {n} 个条目需要 risk 和 terms 列表",
                                  f"{path}: entry {n} needs 'risk' and a list 'terms'", field=f"entries[{n}]")
            entries.setdefault(str(e["risk"]), []).extend(e["terms"])
        return cls(entries, data.get("prohibitive_cues", []), int(data.get("cue_window", 12)), origin=str(path))

    def screen(self, text: str, min_hits: int = 1) -> Screening:
        if not self.size or not text:
            return Screening(False)
        norm = _norm(text)
        found = self.automaton.find_matches_as_indexes(norm, overlapping=True)
        if not found:
            return Screening(False)
        # Cue ends, found once per document; a hit is discounted when a cue ends within the window before it.
        cue_ends = [m.end() for m in self._cue_re.finditer(norm)] if self._cue_re else []
        hits: list[Hit] = []
        counts: dict[str, int] = {}
        discounted = 0
        for pattern, start, _end in found:
            i = bisect_right(cue_ends, start)
            counted = not (i and cue_ends[i - 1] >= start - self.cue_window)
            risk = self.pattern_risk[pattern]
            if counted:
                counts[risk] = counts.get(risk, 0) + 1
            else:
                discounted += 1
            if len(hits) < MAX_EVIDENCE:
                hits.append(Hit(risk, self.patterns[pattern], start, counted))
        return Screening(sum(counts.values()) >= min_hits, counts, hits, discounted)


@lru_cache(maxsize=8)
def get_lexicon(path: str | None = None) -> Lexicon:
    return Lexicon.load(path)


# --------------------------------------------------------------------------------------------
# Sampling assessment (§9)

SAMPLE_COLUMNS = ["id", "source", "domain", "auto_flagged", "auto_risks", "text", "verdict", "risk", "reviewer", "note"]


def _kept_documents(corpus_dir: Path):
    import pyarrow.parquet as pq

    files = sorted((corpus_dir / "data").glob("*.parquet"))
    if not files:
        raise InputError(f"{corpus_dir} 中没有语料分片（data/*.parquet）", f"no shards (data/*.parquet) in {corpus_dir}")
    for f in files:
        table = pq.read_table(f, columns=["id", "text", "meta"])
        for row in table.to_pylist():
            meta = row.get("meta") or {}
            if isinstance(meta, str):
                meta = json.loads(meta)
            yield row["id"], row["text"], meta


def draw_sample(corpus_dir: str | Path, n: int | None = None, seed: int = 20240229,
                text_chars: int = 2000) -> Path:
    """Reservoir-sample ``n`` kept documents (default: the standard's minimum, or all when fewer)
    and write ``safety/sample.csv`` for human review. Returns the CSV path."""
    corpus_dir = Path(corpus_dir)
    n = int(n or threshold("human_sample_min_items"))
    rng = random.Random(seed)
    sample: list[tuple] = []
    total = 0
    for i, item in enumerate(_kept_documents(corpus_dir)):
        total += 1
        if len(sample) < n:
            sample.append(item)
        else:
            j = rng.randint(0, i)
            if j < n:
                sample[j] = item
    sample.sort(key=lambda x: str(x[0]))
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(SAMPLE_COLUMNS)
    for doc_id, text, meta in sample:
        safety = meta.get("safety") or {}
        w.writerow([doc_id, meta.get("source", ""), meta.get("domain", ""), int(bool(safety.get("flagged"))),
                    ";".join(sorted(safety.get("risks", {}))), text[:text_chars], "", "", "", ""])
    path = corpus_dir / "safety" / "sample.csv"
    atomic_write_bytes(path, ("\ufeff" + buf.getvalue()).encode("utf-8"))  # BOM: opens correctly in Excel
    meta = {"drawn": len(sample), "population": total, "seed": seed, "required": int(threshold("human_sample_min_items")),
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    atomic_write_bytes(corpus_dir / "safety" / "sample.json", json.dumps(meta, ensure_ascii=False, indent=1).encode())
    return path


def import_verdicts(corpus_dir: str | Path, csv_path: str | Path, data: bytes | None = None) -> dict[str, Any]:
    """Validate every row of the reviewers' CSV, then store the verdicts and the assessment in one
    step. Any bad row (unknown id, missing or unknown verdict, unknown risk) rejects the whole file."""
    corpus_dir, csv_path = Path(corpus_dir), Path(csv_path)  # with ``data``, csv_path only names the upload
    sample_path = corpus_dir / "safety" / "sample.csv"
    if not sample_path.exists():
        raise InputError("尚未抽样：请先运行 moli corpus safety sample", "no sample yet: run `moli corpus safety sample` first")
    with sample_path.open(encoding="utf-8-sig", newline="") as fh:
        sample_ids = [r["id"] for r in csv.DictReader(fh)]
    known = set(sample_ids)
    risks = load_risks()["risks"]
    try:
        raw = (data if data is not None else csv_path.read_bytes()).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{csv_path} 不是 UTF-8 编码（字节 {exc.start}）", f"{csv_path} is not UTF-8 (byte {exc.start})") from None
    reader = csv.DictReader(io.StringIO(raw))
    if not reader.fieldnames or "id" not in reader.fieldnames or "verdict" not in reader.fieldnames:
        raise InputError(f"{csv_path} 缺少 id 或 verdict 列", f"{csv_path} lacks the id or verdict column")
    verdicts: dict[str, dict] = {}
    errors: list[str] = []
    for rowno, row in enumerate(reader, 2):  # row 1 is the header
        doc_id = (row.get("id") or "").strip()
        v = VERDICTS.get((row.get("verdict") or "").strip().lower())
        risk = (row.get("risk") or "").strip()
        if doc_id not in known:
            errors.append(f"row {rowno}: unknown id {doc_id!r} / 第 {rowno} 行：编号不在样本中")
        elif doc_id in verdicts:
            errors.append(f"row {rowno}: duplicate id {doc_id!r} / 第 {rowno} 行：编号重复")
        elif v is None:
            errors.append(f"row {rowno}: verdict must be pass or fail, got {row.get('verdict')!r} / 第 {rowno} 行：结论应为 合格 或 不合格")
        elif v == "fail" and risk and risk not in risks:
            errors.append(f"row {rowno}: unknown risk {risk!r} / 第 {rowno} 行：未知风险编号")
        else:
            verdicts[doc_id] = {"verdict": v, "risk": risk or None, "reviewer": (row.get("reviewer") or "").strip(),
                                "note": (row.get("note") or "").strip()}
    missing = [i for i in sample_ids if i not in verdicts]
    if missing and not errors:
        errors.append(f"{len(missing)} sampled items have no verdict, first: {missing[0]!r} / {len(missing)} 条样本缺少结论")
    if errors:
        raise InputError("审核结果未导入，请修正后重试：\n" + "\n".join(errors[:20]),
                         f"verdicts not imported ({len(errors)} problems); nothing was applied:\n" + "\n".join(errors[:20]))
    atomic_write_bytes(corpus_dir / "safety" / "verdicts.json", json.dumps(
        {"source_csv_sha256": hashlib.sha256(raw.encode()).hexdigest(), "verdicts": verdicts},
        ensure_ascii=False, indent=1).encode())
    report = assessment_report(corpus_dir)
    return report


def screening_summary(corpus_dir: str | Path) -> dict[str, Any]:
    """What the ``safety`` steps found in a built corpus: every screened document (kept, or removed
    by ``safety``/``safety_source``), the flagged ones by risk, and the rejected sources."""
    import pyarrow.parquet as pq

    corpus_dir = Path(corpus_dir)
    screened = flagged = 0
    by_risk: dict[str, int] = {}
    rejected: dict[str, int] = {}
    for sub in ("data", "removed"):
        for f in sorted((corpus_dir / sub).glob("*.parquet")):
            cols = ["meta", "removed_by", "source"] if sub == "removed" else ["meta"]
            for batch in pq.ParquetFile(f).iter_batches(columns=cols, batch_size=5000):
                for row in batch.to_pylist():
                    meta = row["meta"]
                    meta = json.loads(meta) if isinstance(meta, str) else (meta or {})
                    if sub == "removed" and row.get("removed_by") == "safety_source":
                        src = row.get("source") or meta.get("source", "")
                        rejected[src] = rejected.get(src, 0) + 1
                    safety = meta.get("safety")
                    if safety is None:
                        continue
                    screened += 1
                    if safety.get("flagged"):
                        flagged += 1
                        for risk in safety.get("risks", {}):
                            by_risk[risk] = by_risk.get(risk, 0) + 1
    return {"screened": screened, "flagged": flagged, "by_risk": by_risk,
            "rejected_sources": [{"source": k, "documents": v} for k, v in sorted(rejected.items())]}


def assessment_report(corpus_dir: str | Path) -> dict[str, Any]:
    """The safety assessment of a built corpus: technical check (automatic screening of every kept
    document), human sampling (pending, pass or fail), and the sources rejected by the 5 % rule."""
    corpus_dir = Path(corpus_dir)
    rules = load_risks()["thresholds"]
    out: dict[str, Any] = {"standard": "TC260-003 §5.1, §9 (GB/T 45654-2025)", "checks": {}}
    screening = screening_summary(corpus_dir)
    screened, flagged = screening["screened"], screening["flagged"]
    if screened:
        rate = 1 - flagged / screened
        out["checks"]["technical"] = {
            "screened": screened, "flagged": flagged, "pass_rate": round(rate, 4),
            "required_pass_rate": rules["technical_sample_min_pass_rate"]["value"],
            "required_fraction": rules["technical_sample_min_fraction"]["value"], "fraction": 1.0,
            "flagged_by_risk": screening["by_risk"],
            "result": "pass" if rate >= rules["technical_sample_min_pass_rate"]["value"] else "fail",
            "clause": rules["technical_sample_min_pass_rate"]["clause"],
        }
    else:
        out["checks"]["technical"] = {"result": "not_run", "note": "配方未包含 safety 步骤 / the recipe has no safety step"}
    out["rejected_sources"] = screening["rejected_sources"]
    verdict_path = corpus_dir / "safety" / "verdicts.json"
    sample_meta_path = corpus_dir / "safety" / "sample.json"
    if verdict_path.exists():
        verdicts = json.loads(verdict_path.read_text())["verdicts"]
        sample_meta = json.loads(sample_meta_path.read_text()) if sample_meta_path.exists() else {}
        passed = sum(v["verdict"] == "pass" for v in verdicts.values())
        rate = passed / len(verdicts) if verdicts else 0.0
        need_items = int(rules["human_sample_min_items"]["value"])
        enough = len(verdicts) >= min(need_items, int(sample_meta.get("population", need_items)))
        by_risk: dict[str, int] = {}
        for v in verdicts.values():
            if v["verdict"] == "fail" and v.get("risk"):
                by_risk[v["risk"]] = by_risk.get(v["risk"], 0) + 1
        out["checks"]["human"] = {
            "reviewed": len(verdicts), "passed": passed, "pass_rate": round(rate, 4),
            "required_items": need_items, "population": sample_meta.get("population"),
            "sample_is_sufficient": enough,
            "required_pass_rate": rules["human_sample_min_pass_rate"]["value"],
            "failed_by_risk": by_risk,
            "failed_ids": sorted(k for k, v in verdicts.items() if v["verdict"] == "fail")[:200],
            "result": "pass" if enough and rate >= rules["human_sample_min_pass_rate"]["value"] else "fail",
            "clause": rules["human_sample_min_pass_rate"]["clause"],
            "evidence": {"sample_sha256": sample_meta.get("sha256"),
                         "verdicts_sha256": json.loads(verdict_path.read_text()).get("source_csv_sha256")},
        }
    else:
        out["checks"]["human"] = {"result": "pending", "note": "待人工抽检 / awaiting the human sampling review"}
    results = [c["result"] for c in out["checks"].values()]
    out["result"] = "fail" if "fail" in results else ("pass" if all(r == "pass" for r in results) else "pending")
    atomic_write_bytes(corpus_dir / "safety" / "assessment.json", json.dumps(out, ensure_ascii=False, indent=1).encode())
    return out
