"""The platform's reference model (平台参考基线): an extractive retrieval answerer, not a language model.

It answers a question with the one sentence of the platform's public texts (published corpora, the
outbound policy library) that BM25 finds closest to it, and a multiple-choice question with the
option whose sentence scores best. Served OpenAI-compatibly at ``/v1/chat/completions`` under the
model name :data:`BASELINE_MODEL`, it gives every scenario's leaderboard a floor: a candidate model
that does not clearly beat copying a sentence from the platform's own documents has not earned the
scenario. It is deterministic and needs no GPU, so the evaluation workflow also runs end to end on
a fresh demo install.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from moli.market.schemas import BASELINE_MODEL
from moli.text.normalize import SENTENCE_END, to_simplified
from moli.text.search import BM25Index

__all__ = ["BASELINE_MODEL", "Answer", "RetrievalBaseline", "Source", "sentences", "split_choices"]

NO_ANSWER = "未找到相关内容。/ Nothing relevant found."
MAX_SENTENCE_CHARS = 300
MIN_SENTENCE_CHARS = 4

_SENTENCE_END = re.compile("(?<=[" + re.escape(SENTENCE_END) + "])|\n+")
# The options block written by moli.market.evaluation.render_prompt ("A. …" lines, then the instruction).
_OPTION = re.compile(r"^([A-J])[.．、]\s*(.+)$")
_LETTER_ONLY = re.compile(r"请只回答选项字母|answer with the letter only", re.IGNORECASE)


@dataclass(frozen=True)
class Source:
    """One public text the baseline may quote: ``id`` names it in the answer's provenance."""

    id: str
    title: str
    text: str


@dataclass(frozen=True)
class Answer:
    text: str
    source: str | None  # the Source id quoted, None when nothing matched
    score: float


def sentences(text: str) -> list[str]:
    """Sentences on CJK and Latin end punctuation and line breaks; headings' ``#`` marks stripped,
    very long runs cut so that one answer stays readable."""
    out = []
    for raw in _SENTENCE_END.split(text):
        s = raw.strip().lstrip("#").strip()
        while len(s) > MAX_SENTENCE_CHARS:
            out.append(s[:MAX_SENTENCE_CHARS])
            s = s[MAX_SENTENCE_CHARS:]
        if len(s) >= MIN_SENTENCE_CHARS:
            out.append(s)
    return out


def split_choices(prompt: str) -> tuple[str, list[tuple[str, str]]]:
    """``(question, [(letter, option), …])`` for a multiple-choice prompt, else ``(prompt, [])``."""
    if not _LETTER_ONLY.search(prompt):
        return prompt, []
    question, options = [], []
    for line in prompt.splitlines():
        m = _OPTION.match(line.strip())
        if m:
            options.append((m.group(1), m.group(2).strip()))
        elif not _LETTER_ONLY.search(line):
            question.append(line)
    return "\n".join(question).strip(), options


class RetrievalBaseline:
    """One BM25 index over every sentence, each indexed together with its document's title, so that
    "《数据安全法》自哪一天起施行" finds that law's "本法自……起施行" and not another law's."""

    def __init__(self, sources: Iterable[Source]):
        ids, texts, self._sentences, self._source_of = [], [], [], []
        for src in sources:
            title = to_simplified(src.title).lstrip("#").strip()
            for s in sentences(src.text):
                if to_simplified(s) == title:  # the heading alone answers nothing
                    continue
                ids.append(str(len(ids)))
                texts.append(f"{title} {to_simplified(s)}")
                self._sentences.append(s)
                self._source_of.append(src.id)
        self._index = BM25Index.build(ids, texts, cache_tokens=False)

    def __len__(self) -> int:
        return len(self._sentences)

    def best(self, query: str) -> Answer:
        hits = self._index.search(to_simplified(query), k=1)
        if not hits:
            return Answer(NO_ANSWER, None, 0.0)
        i = int(hits[0].id)
        return Answer(self._sentences[i], self._source_of[i], float(hits[0].score))

    def answer(self, prompt: str) -> Answer:
        question, options = split_choices(prompt)
        if not options:
            return self.best(question)
        # Each option with the question: the option whose best sentence scores highest; the first
        # option when nothing matches at all (a fixed guess, so runs stay reproducible).
        scored = [(self.best(f"{question} {text}"), letter) for letter, text in options]
        best, letter = max(scored, key=lambda pair: pair[0].score)
        if best.score <= 0:
            return Answer(options[0][0], None, 0.0)
        return Answer(letter, best.source, best.score)
