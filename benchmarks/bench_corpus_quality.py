"""Quality-filter pass rates and HTML main-text extraction, side by side (语料质量过滤与正文抽取).

Quality: every law/regulation and government report in ../shared/data/gov_docs/ (after the
``normalize`` step) should pass; navigation debris and boilerplate should not. The debris set is cut
from the real pages in ../shared/data/documents/html/: every nav/header/footer/aside/menu-like
element with text, plus each page's text outside the extracted main content. For comparison the
same documents go through datatrove's Gopher quality + repetition filters and C4 filter (with its
zh word tokenizer) — what a user would otherwise pick.

HTML: our lexbor (selectolax) extractor vs trafilatura on the same 15 pages: time per page, and
since there is no gold main text, agreement between the two (character-bigram F1), the share of
boilerplate lines left in the output, and how many pages yield text at all.

    .venv/bin/python benchmarks/bench_corpus_quality.py [--quick]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from moli.core.paths import shared_dir  # noqa: E402
from moli.corpus.document import Document  # noqa: E402
from moli.corpus.readers import extract_html_selectolax, extract_html_trafilatura  # noqa: E402
from moli.corpus.steps import Normalize, Quality, load_quality_rules  # noqa: E402

BOILER_SELECTORS = ("nav", "header", "footer", "aside", "[class*=nav]", "[class*=menu]", "[class*=foot]",
                    "[id*=foot]", "[class*=header]", "[id*=nav]", "[class*=copyright]", "[class*=share]",
                    "[class*=crumb]", "[class*=sidebar]", "[class*=link]", "[class*=top]")


def gov_documents(quick: bool) -> list[Document]:
    docs = []
    for name in ("laws_regulations", "gov_reports"):
        with gzip.open(shared_dir() / "data" / "gov_docs" / f"{name}.jsonl.gz", "rt", encoding="utf-8") as fh:
            for line in fh:
                r = json.loads(line)
                docs.append(Document(r["id"], r["text"], name, {"title": r.get("title")}))
    return docs[::4] if quick else docs


def debris_documents() -> list[Document]:
    from selectolax.lexbor import LexborHTMLParser

    docs = []
    for path in sorted((shared_dir() / "data" / "documents" / "html").glob("*.html")):
        html = path.read_text(encoding="utf-8", errors="replace")
        main, _ = extract_html_trafilatura(html)
        main_lines = {ln.strip() for ln in main.splitlines() if ln.strip()}
        tree = LexborHTMLParser(html)
        tree.strip_tags(["script", "style", "noscript"])
        seen = set()
        for sel in BOILER_SELECTORS:
            for node in tree.css(sel):
                text = node.text(separator="\n", strip=True)
                lines = [ln for ln in text.splitlines() if ln.strip() and ln.strip() not in main_lines]
                text = "\n".join(lines)
                if len(text) >= 20 and text not in seen:
                    seen.add(text)
                    docs.append(Document(f"{path.stem}:{sel}:{len(seen)}", text, str(path), {}))
        body = tree.body
        if body is not None:
            rest = [ln.strip() for ln in body.text(separator="\n").splitlines()
                    if ln.strip() and ln.strip() not in main_lines]
            if rest:
                docs.append(Document(f"{path.stem}:outside-main", "\n".join(rest), str(path), {}))
    return docs


def moli_pass(docs: list[Document]) -> tuple[float, Counter, float]:
    norm, qual = Normalize(t2s=True), Quality()
    copies = [Document(d.id, d.text, d.source, {}) for d in docs]
    t0 = time.perf_counter()
    kept, _ = norm.process(copies)
    kept, removed = qual.process(kept)
    dt = time.perf_counter() - t0
    return len(kept) / len(docs), Counter(r.reason for r in removed), dt


def datatrove_pass(docs: list[Document]) -> tuple[float, Counter, float] | None:
    try:
        from datatrove.data import Document as DTDoc
        from datatrove.pipeline.filters import C4QualityFilter, GopherQualityFilter, GopherRepetitionFilter
        from datatrove.utils.typeshelper import Languages
    except Exception as exc:  # pragma: no cover - optional
        return {"error": f"{type(exc).__name__}: {exc}"}  # type: ignore[return-value]
    zh = getattr(Languages, "chinese", None) or getattr(Languages, "mandarin_chinese", None) or "zh"
    filters = [GopherRepetitionFilter(language=zh), GopherQualityFilter(language=zh),
               C4QualityFilter(filter_no_terminal_punct=False, language=zh)]
    reasons: Counter = Counter()
    kept = 0
    t0 = time.perf_counter()
    for d in docs:
        doc = DTDoc(text=d.text, id=d.id)
        ok = True
        for f in filters:
            res = f.filter(doc)
            if res is not True and res is not None and (res is False or (isinstance(res, tuple) and not res[0])):
                ok = False
                reasons[f"{type(f).__name__}:{res[1] if isinstance(res, tuple) else 'drop'}"] += 1
                break
        kept += ok
    return kept / len(docs), reasons, time.perf_counter() - t0


def html_comparison() -> dict:
    pages = sorted((shared_dir() / "data" / "documents" / "html").glob("*.html"))
    phrases = load_quality_rules()["boilerplate_phrases"]["phrases"]
    out = {}
    texts: dict[str, list[str]] = {}
    for name, fn in (("selectolax_lexbor", extract_html_selectolax), ("trafilatura", extract_html_trafilatura)):
        fn(pages[0].read_text(encoding="utf-8", errors="replace"))  # warm-up (imports)
        t0 = time.perf_counter()
        results = [fn(p.read_text(encoding="utf-8", errors="replace"))[0] for p in pages]
        dt = time.perf_counter() - t0
        texts[name] = results
        boiler = [sum(1 for ln in t.splitlines() if len(ln) <= 40 and any(ph in ln for ph in phrases))
                  / max(1, len([ln for ln in t.splitlines() if ln.strip()])) for t in results]
        out[name] = {
            "ms_per_page": round(1000 * dt / len(pages), 2),
            "pages_with_text": sum(1 for t in results if len(t.strip()) >= 50),
            "mean_chars": round(sum(len(t) for t in results) / len(pages), 1),
            "mean_boilerplate_line_share": round(sum(boiler) / len(boiler), 4),
        }

    def bigrams(t: str) -> Counter:
        t = re.sub(r"\s+", "", t)
        return Counter(t[i:i + 2] for i in range(len(t) - 1))

    f1s = []
    for a, b in zip(texts["selectolax_lexbor"], texts["trafilatura"], strict=True):
        ca, cb = bigrams(a), bigrams(b)
        inter = sum((ca & cb).values())
        p = inter / max(1, sum(ca.values()))
        r = inter / max(1, sum(cb.values()))
        f1s.append(0.0 if p + r == 0 else 2 * p * r / (p + r))
    out["agreement_bigram_f1_mean"] = round(sum(f1s) / len(f1s), 4)
    out["pages"] = len(pages)
    out["speed_ratio_selectolax_vs_trafilatura"] = round(
        out["trafilatura"]["ms_per_page"] / max(1e-9, out["selectolax_lexbor"]["ms_per_page"]), 2)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    gov = gov_documents(args.quick)
    debris = debris_documents()
    m_gov, m_gov_r, t_gov = moli_pass(gov)
    m_deb, m_deb_r, t_deb = moli_pass(debris)
    dt_gov = datatrove_pass(gov)
    dt_deb = datatrove_pass(debris)
    result = {
        "benchmark": "corpus_quality",
        "command": "benchmarks/bench_corpus_quality.py" + (" --quick" if args.quick else ""),
        "rules_version": load_quality_rules()["version"],
        "gov_docs": {"n": len(gov), "moli_pass_rate": round(m_gov, 4), "moli_removed_by": dict(m_gov_r),
                     "datatrove_pass_rate": None if isinstance(dt_gov, dict) else round(dt_gov[0], 4),
                     "datatrove_removed_by": None if isinstance(dt_gov, dict) else dict(dt_gov[1])},
        "debris": {"n": len(debris), "moli_pass_rate": round(m_deb, 4), "moli_removed_by": dict(m_deb_r),
                   "datatrove_pass_rate": None if isinstance(dt_deb, dict) else round(dt_deb[0], 4),
                   "datatrove_removed_by": None if isinstance(dt_deb, dict) else dict(dt_deb[1])},
        "seconds": {"moli": round(t_gov + t_deb, 3),
                    "datatrove": None if isinstance(dt_gov, dict) else round(dt_gov[2] + dt_deb[2], 3)},
        "targets": {"gov_docs_pass_rate_min": 0.95, "debris_pass_rate_max": 0.1},
    }
    result["targets_met"] = {
        "gov_docs": result["gov_docs"]["moli_pass_rate"] >= 0.95,
        "debris": result["debris"]["moli_pass_rate"] <= 0.1,
    }
    result["html_extraction"] = html_comparison()
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
