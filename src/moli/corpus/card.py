"""Dataset card and standard metadata written with every build.

- ``OUT/README.md``: a datasheet (motivation, composition, collection and processing, personal
  information, safety assessment, licences, intended uses, maintenance, lineage), Chinese first.
- ``OUT/croissant.json``: MLCommons Croissant 1.0 (JSON-LD) describing the Parquet shards and
  their ``id``/``text``/``meta`` columns, with sha256 of every shard and Croissant RAI fields.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from moli.core.errors import InputError
from moli.core.files import atomic_write_text, sha256_file
from moli.corpus.domain import DOMAINS

CROISSANT_CONTEXT = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "equivalentProperty": "cr:equivalentProperty",
    "samplingRate": "cr:samplingRate",
    "conformsTo": "dct:conformsTo",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}


def composition(out: Path, manifest: dict[str, Any] | None = None) -> dict[str, Any]:
    """Domain, safety and source counts over the kept documents (from ``meta``): the shards the
    manifest lists (a stray Parquet file someone put in ``data/`` is not the corpus's)."""
    domains: Counter[str] = Counter()
    sources: Counter[str] = Counter()
    flagged = 0
    n = 0
    listed = [out / f["path"] for f in (manifest or {}).get("files", [])
              if isinstance(f, dict) and str(f.get("path", "")).startswith("data/")]
    for f in sorted(listed) if manifest else sorted((out / "data").glob("*.parquet")):
        for batch in pq.ParquetFile(f).iter_batches(columns=["meta"], batch_size=5000):
            for meta in batch.column(0).to_pylist():
                m = json.loads(meta) if isinstance(meta, str) else (meta or {})
                n += 1
                domains[m.get("domain", "unlabelled")] += 1
                sources[m.get("format") or Path(str(m.get("source", ""))).suffix.lstrip(".") or "unknown"] += 1
                flagged += bool((m.get("safety") or {}).get("flagged"))
    return {"documents": n, "domains": dict(domains.most_common()), "formats": dict(sources.most_common()),
            "safety_flagged": flagged}


def input_lineage(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """Each input with its size and sha256; ``name`` is its path relative to the input folder (the
    card is read by anyone who may see the corpus: no server paths), ``url`` the full one."""
    from moli.corpus.service import input_root, scrub_paths

    items = manifest.get("inputs", [])
    root = input_root([str(i.get("url", "")) for i in items])
    out = []
    for item in items:
        url = item.get("url", "")
        path = Path(url.removeprefix("file://"))
        entry = {"url": url, "name": scrub_paths(url, [root]), "bytes": item.get("bytes")}
        if "://" not in url.replace("file://", "") and path.is_file():
            entry["sha256"] = sha256_file(path)
        out.append(entry)
    return out


def croissant(out: Path, manifest: dict, info: dict, comp: dict, safety: dict | None) -> dict[str, Any]:
    name = manifest["name"]
    files = [f for f in manifest["files"] if f["path"].startswith("data/")]
    distribution: list[dict] = [
        {"@type": "cr:FileObject", "@id": f["path"], "name": f["path"], "contentUrl": f["path"],
         "encodingFormat": "application/x-parquet", "sha256": f["sha256"], "contentSize": f"{f['bytes']} B"}
        for f in files
    ]
    distribution.append({"@type": "cr:FileSet", "@id": "parquet-shards", "name": "parquet-shards",
                         "encodingFormat": "application/x-parquet", "includes": "data/*.parquet"})

    def field(col: str, desc: str) -> dict:
        return {"@type": "cr:Field", "@id": f"documents/{col}", "name": col, "description": desc,
                "dataType": "sc:Text", "source": {"fileSet": {"@id": "parquet-shards"}, "extract": {"column": col}}}

    pii = info.get("pii", {})
    return {
        "@context": CROISSANT_CONTEXT,
        "@type": "sc:Dataset",
        "conformsTo": "http://mlcommons.org/croissant/1.0",
        "name": name,
        "description": info.get("description") or f"moli corpus {name}: Chinese training text built by moli.",
        "license": info.get("license") or "other",
        "url": info.get("url") or f"https://moli.invalid/corpus/{name}",
        "version": info.get("version") or "1.0.0",
        "datePublished": manifest.get("created_at", datetime.now(UTC).isoformat(timespec="seconds")),
        "inLanguage": "zh",
        "keywords": ["Chinese", "中文语料", *[d for d in comp["domains"] if d in DOMAINS]],
        "creator": {"@type": "sc:Organization", "name": info.get("owner") or "moli"},
        "citeAs": f"moli corpus {name}, recipe {manifest['recipe_hash'][:12]}",
        "isLiveDataset": False,
        "rai:dataCollection": "Built by moli from the inputs listed in manifest.json with the recipe recorded there.",
        "rai:dataPreprocessingProtocol": [f"{s['name']}: {json.dumps(s['params'], ensure_ascii=False)}"
                                          for s in info.get("steps", [])],
        "rai:personalSensitiveInformation": (
            f"Personal information detected and handled by the pii step: {json.dumps(pii, ensure_ascii=False)}"
            if pii else "No pii step in the recipe, or no personal information found."),
        "rai:dataLimitations": "Domain labels come from an automatic classifier; see README.md for its accuracy.",
        "rai:dataSocialImpact": ("Safety screening per TC260-003: "
                                 + (safety or {}).get("result", "not assessed")),
        "distribution": distribution,
        "recordSet": [{
            "@type": "cr:RecordSet", "@id": "documents", "name": "documents",
            "description": "One record per kept document.",
            "key": {"@id": "documents/id"},
            "field": [field("id", "stable document id"), field("text", "cleaned document text"),
                      field("meta", "JSON metadata: source, title, format, domain, domain_scores, pii, safety")],
        }],
    }


def _table(rows: list[tuple], header: tuple) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def datasheet(manifest: dict, stats: dict, info: dict, comp: dict, safety: dict | None,
              lineage: list[dict]) -> str:
    name = manifest["name"]
    lengths = stats.get("lengths", {})
    steps = stats.get("steps", [])
    dom_rows = [(d, DOMAINS.get(d, ("—", ""))[0], n, f"{n / max(comp['documents'], 1):.1%}")
                for d, n in comp["domains"].items()]
    step_rows = [(s["index"], s["name"], f"`{json.dumps(s['params'], ensure_ascii=False)}`", s["in"], s["out"],
                  ", ".join(f"{k}: {v}" for k, v in s["removed"].items()) or "—") for s in steps]
    hist = lengths.get("histogram", {})
    len_rows = [(f"{a}–{b}", c) for a, b, c in zip(hist.get("edges", []), hist.get("edges", [])[1:],
                                                     hist.get("counts", []), strict=False) if c]
    pii = stats.get("pii", {})
    pii_step = next((s for s in steps if s["name"] == "pii"), None)
    sections = [
        f"# {name} — 语料数据卡 / dataset card",
        f"{info.get('description') or ''}",
        "## 动机 Motivation",
        info.get("motivation") or ("本语料由 moli 平台按配方构建，用于大模型训练与评测（浦东新区政务与行业语料库建设）。"
                                   " Built with moli for training and evaluating large models (district government and "
                                   "industry corpora)."),
        "## 构成 Composition",
        f"保留文档 {comp['documents']} 篇，共 {lengths.get('total_chars', 0)} 字；读取记录 {stats['read']['records']} 条，"
        f"来自 {stats['read']['files']} 个文件。 / {comp['documents']} documents kept "
        f"({lengths.get('total_chars', 0)} characters) of {stats['read']['records']} records read from "
        f"{stats['read']['files']} files.",
        "### 领域分布 Domains",
        _table(dom_rows, ("domain", "领域", "documents", "share")) if dom_rows else "—",
        "### 长度分布（字符） Length distribution (characters)",
        (f"min {lengths.get('min')}, p50 {lengths.get('p50')}, mean {lengths.get('mean')}, p90 {lengths.get('p90')}, "
         f"max {lengths.get('max')}\n\n" + _table(len_rows, ("characters", "documents"))) if lengths.get("count") else "—",
        "## 采集与处理 Collection and processing",
        f"配方哈希 / recipe hash `{manifest['recipe_hash']}`，执行器 / executor `{manifest.get('executor')}`。",
        _table(step_rows, ("#", "step", "parameters", "in", "out", "removed (reason: count)")),
        f"读取失败 / unreadable inputs: {json.dumps(stats['read'].get('errors', {}), ensure_ascii=False)}",
        "## 个人信息处理 Personal information",
        (f"`pii` 步骤（模式 {pii_step['params'].get('mode')}）处理的个人信息 / personal information handled by the pii "
         f"step (mode {pii_step['params'].get('mode')}): {json.dumps(pii, ensure_ascii=False)}") if pii_step else
        "配方未包含 pii 步骤：发布前请确认不含个人信息。 / The recipe has no pii step: check for personal information before release.",
        "## 安全评估 Safety assessment (TC260-003 / GB/T 45654-2025)",
        _safety_text(safety),
        "## 来源与许可 Sources and licences",
        f"许可 / licence: {info.get('license') or '未声明 / not declared'}。" + (
            "\n\n" + _table([(f"`{x['name']}`", x.get("bytes"), f"`{x['sha256']}`" if x.get("sha256") else "—")
                              for x in lineage[:200]], ("input", "bytes", "sha256")) if lineage else ""),
        "## 预期用途 Intended uses",
        info.get("intended_uses") or ("中文大模型预训练、微调与评测；不用于识别个人。 / Chinese pre-training, fine-tuning and "
                                      "evaluation; not for identifying individuals."),
        "## 维护 Maintenance",
        f"维护方 / maintainer: {info.get('owner') or 'moli'}；以相同配方重建可复现本版本（moli {manifest.get('moli_version')}）。"
        f" Rebuilding with the same recipe reproduces this version.",
        "## 血缘 Lineage",
        f"- recipe hash: `{manifest['recipe_hash']}`\n- moli version: {manifest.get('moli_version')}\n"
        f"- created: {manifest.get('created_at')}\n- shards: "
        + ", ".join(f"`{f['path']}` ({f['sha256'][:12]}…)" for f in manifest["files"] if f["path"].startswith("data/")),
    ]
    return "\n\n".join(s for s in sections if s is not None) + "\n"


def _safety_text(safety: dict | None) -> str:
    if not safety:
        return "未评估 / not assessed."
    tech = safety["checks"].get("technical", {})
    human = safety["checks"].get("human", {})
    lines = [f"总体结论 / overall: **{safety['result']}**"]
    if tech.get("result") != "not_run":
        lines.append(f"- 技术抽检 / technical check: {tech.get('screened')} 篇筛查，{tech.get('flagged')} 篇命中，合格率 "
                     f"{tech.get('pass_rate')}（要求 ≥ {tech.get('required_pass_rate')}）→ {tech.get('result')}")
    else:
        lines.append("- 技术抽检 / technical check: 未运行 / not run (no safety step)")
    lines.append(f"- 人工抽检 / human sampling: {human.get('result')}"
                 + (f"，{human.get('reviewed')} 条，合格率 {human.get('pass_rate')}（要求 ≥ {human.get('required_pass_rate')}）"
                    if human.get("reviewed") else ""))
    if safety.get("rejected_sources"):
        lines.append("- 因违法不良信息超过 5% 被整体剔除的来源 / sources rejected by the 5 % rule: "
                     + ", ".join(f"{s['source']} ({s['documents']})" for s in safety["rejected_sources"][:20]))
    return "\n".join(lines)


def write_card(out: str | Path, info: dict[str, Any] | None = None) -> dict[str, Path]:
    """Write ``README.md`` and ``croissant.json`` into a finished build folder."""
    from moli.corpus.safety import assessment_report

    out = Path(out)
    for need in ("manifest.json", "stats.json"):
        if not (out / need).is_file():
            raise InputError(f"{out} 不是完整的语料输出（缺少 {need}），请先构建",
                             f"{out} is not a finished corpus output (no {need}); build it first", field="folder")
    try:
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        stats = json.loads((out / "stats.json").read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{out} 中的 manifest.json 或 stats.json 已损坏（{exc}），请重新构建",
                         f"manifest.json or stats.json in {out} is damaged ({exc}); build it again",
                         field="folder") from None
    info = dict(info or {})
    info.setdefault("steps", stats.get("steps", []))
    info.setdefault("pii", stats.get("pii", {}))
    comp = composition(out, manifest)
    safety = assessment_report(out) if any(s["name"] in ("safety", "safety_source") for s in stats.get("steps", [])) \
        else None
    lineage = input_lineage(manifest)
    if safety:  # the sources the 5 % rule rejected, by their names relative to the input folder
        from moli.corpus.service import input_root, scrub_paths

        safety = scrub_paths(safety, [input_root([x["url"] for x in lineage])])
    atomic_write_text(out / "croissant.json", json.dumps(croissant(out, manifest, info, comp, safety),
                                                     ensure_ascii=False, indent=1))
    atomic_write_text(out / "README.md", datasheet(manifest, stats, info, comp, safety, lineage))
    # What the web page shows without rescanning the shards.
    atomic_write_text(out / "card.json", json.dumps({"composition": comp, "safety": safety}, ensure_ascii=False, indent=1))
    return {"readme": out / "README.md", "croissant": out / "croissant.json", "summary": out / "card.json"}
