"""Labelling steps that plug into the step registry: ``domain`` (and, later, ``safety``)."""

from __future__ import annotations

from pydantic import field_validator

from moli.core.errors import ConfigError
from moli.corpus.document import Document, Removed
from moli.corpus.domain import DOMAINS, get_classifier
from moli.corpus.steps import Step, register_step


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
