"""Labelling steps that plug into the step registry: ``domain``, ``safety``, ``safety_source``."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import xxhash
from pydantic import field_validator

from moli.core.errors import ConfigError
from moli.corpus.document import Document, Removed
from moli.corpus.domain import DOMAINS, get_classifier
from moli.corpus.safety import get_lexicon, threshold
from moli.corpus.steps import GlobalStep, Step, register_step


@register_step("domain")
class Domain(Step):
    """领域标注: writes ``meta.domain`` and ``meta.domain_scores``; with ``keep`` only the chosen
    domains stay (others are removed with reason ``domain_not_kept``)."""

    keep: list[str] | None = None
    min_score: float = 0.0  # a kept document must also reach this probability for its domain

    @field_validator("keep")
    @classmethod
    def _known(cls, v: list[str] | None) -> list[str] | None:
        if v is not None:
            unknown = sorted(set(v) - set(DOMAINS))
            if unknown:
                raise ConfigError(f"domain.keep 中有未知领域：{unknown}（可用：{', '.join(DOMAINS)}）",
                                  f"unknown domains in domain.keep: {unknown} (known: {', '.join(DOMAINS)})",
                                  field="domain.keep")
        return v

    def process(self, docs: list[Document]) -> tuple[list[Document], list[Removed]]:
        preds = get_classifier().predict([d.text for d in docs])
        kept, removed = [], []
        for doc, pred in zip(docs, preds, strict=True):
            doc.meta["domain"] = pred.domain
            doc.meta["domain_scores"] = pred.scores
            if self.keep is not None and (pred.domain not in self.keep or pred.scores[pred.domain] < self.min_score):
                removed.append(Removed(doc, self.name, "domain_not_kept"))
            else:
                kept.append(doc)
        return kept, removed


@register_step("safety")
class Safety(Step):
    """安全筛查 (TC260-003 §5.2): keyword screening over the 31 risks; writes ``meta.safety``.
    With ``drop`` flagged documents are removed (reason ``unsafe``); by default they are only
    flagged, so that ``safety_source`` can apply the 5 % source rule to the full picture."""

    lexicon_path: str | None = None
    min_hits: int = 1
    drop: bool = False

    def process(self, docs: list[Document]) -> tuple[list[Document], list[Removed]]:
        lexicon = get_lexicon(self.lexicon_path)
        kept, removed = [], []
        for doc in docs:
            screening = lexicon.screen(doc.text, self.min_hits)
            doc.meta["safety"] = screening.to_meta()
            if self.drop and screening.flagged:
                removed.append(Removed(doc, self.name, "unsafe:" + ",".join(sorted(screening.risks))))
            else:
                kept.append(doc)
        return kept, removed


def _group_key(doc: Document, group_by: str) -> str:
    if group_by == "source":
        return doc.source
    if group_by == "dir":
        return doc.source.rsplit("/", 1)[0] if "/" in doc.source else doc.source
    if group_by == "host":
        return urlsplit(doc.source).netloc or doc.source
    return str(doc.meta.get(group_by.removeprefix("meta."), ""))


@register_step("safety_source")
class SafetySource(GlobalStep):
    """来源规则 (TC260-003 §5.1): a source whose documents are more than 5 % flagged is rejected as
    a whole (reason ``source_rejected``). ``group_by``: ``source`` (file or URL), ``dir``, ``host``
    or ``meta.<key>``. Uses ``meta.safety`` from a preceding ``safety`` step, else screens itself."""

    max_flagged_ratio: float | None = None  # default: risks.yaml thresholds.source_max_flagged_ratio
    group_by: str = "source"
    lexicon_path: str | None = None

    @field_validator("group_by")
    @classmethod
    def _group(cls, v: str) -> str:
        if v not in ("source", "dir", "host") and not v.startswith("meta."):
            raise ConfigError(f"safety_source.group_by 无效：{v}", f"safety_source.group_by must be source, dir, host or "
                              f"meta.<key>, not {v}", field="safety_source.group_by")
        return v

    def prepare(self, docs: list[Document]) -> np.ndarray:
        out = np.zeros((len(docs), 2), dtype=np.uint64)
        lexicon = None
        for i, doc in enumerate(docs):
            safety = doc.meta.get("safety")
            if safety is None:
                lexicon = lexicon or get_lexicon(self.lexicon_path)
                flagged = lexicon.screen(doc.text).flagged
            else:
                flagged = bool(safety.get("flagged"))
            out[i, 0] = xxhash.xxh64_intdigest(_group_key(doc, self.group_by).encode("utf-8"))
            out[i, 1] = flagged
        return out

    def begin(self, workdir: Path) -> None:
        self._rows: list[np.ndarray] = []
        self._payload: list[np.ndarray] = []

    def collect(self, rows: np.ndarray, prepared: np.ndarray) -> None:
        self._rows.append(np.asarray(rows, dtype=np.int64))
        self._payload.append(np.asarray(prepared, dtype=np.uint64).reshape(-1, 2))

    def decide(self) -> dict[int, tuple[str, int | None]]:
        if not self._rows:
            return {}
        rows = np.concatenate(self._rows)
        payload = np.concatenate(self._payload)
        limit = self.max_flagged_ratio if self.max_flagged_ratio is not None else threshold("source_max_flagged_ratio")
        groups, inverse = np.unique(payload[:, 0], return_inverse=True)
        total = np.bincount(inverse, minlength=len(groups))
        flagged = np.bincount(inverse, weights=payload[:, 1].astype(np.float64), minlength=len(groups))
        rejected = flagged / np.maximum(total, 1) > limit
        return {int(r): ("source_rejected", None) for r in rows[rejected[inverse]]}
