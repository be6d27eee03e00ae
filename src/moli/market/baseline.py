"""The platform's reference model (平台参考基线): an extractive retrieval answerer, not a language model.

It answers a question with the one sentence of the platform's public texts (published corpora, the
outbound policy library) that BM25 finds closest to it — or, when the question asks for a year, a
date or a number, with that span of the sentence — and a multiple-choice question with the option
whose sentence scores best. Served OpenAI-compatibly at ``/v1/chat/completions`` under the
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

__all__ = ["BASELINE_MODEL", "Answer", "RetrievalBaseline", "Source", "sentences", "short_answer", "split_choices"]

NO_ANSWER = "未找到相关内容。/ Nothing relevant found."
MAX_SENTENCE_CHARS = 300
MIN_SENTENCE_CHARS = 4

_SENTENCE_END = re.compile("(?<=[" + re.escape(SENTENCE_END) + "])|\n+")
# The options block written by moli.market.evaluation.render_prompt ("A. …" lines, then the instruction).
_OPTION = re.compile(r"^([A-J])[.．、]\s*(.+)$")
_LETTER_ONLY = re.compile(r"请只回答选项字母|answer with the letter only", re.IGNORECASE)
# A short factual question that asks for a year, a date or a number is answered with that span of the
# best sentence (an exact-match scorer compares "2021年9月1日", not the whole article); any other
# question, or a sentence without such a span, gets the sentence.
_ASKS_YEAR = re.compile(r"哪一?年|何年")
_ASKS_DATE = re.compile(r"哪一?天|何时|什么时[候间]|几月几[日号]|日期")
_ASKS_NUMBER = re.compile(r"多少|号码|几[个项条人次岁名家所]")
_NEAR = 6  # characters either side of a span that may hold the question's words
_HAN_PAIR = re.compile(r"[\u4e00-\u9fff]{2}")
_YEAR = re.compile(r"\d{4}\s*年|[〇零一二三四五六七八九]{4}年")
_DATE = re.compile(r"\d{4}\s*年(?:\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?)?|\d{4}-\d{1,2}-\d{1,2}"
                   r"|[〇零一二三四五六七八九]{4}年(?:[一二三四五六七八九十]{1,2}月(?:[一二三四五六七八九十]{1,3}日)?)?")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*(?:\s*(?:%|％|万|亿|元|人|个|项|条|岁|天|年|名|家|所))?")


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


def short_answer(question: str, sentence: str) -> str | None:
    """The year, date or number ``question`` asks for, as written in ``sentence``; None when the
    question asks for something else or the sentence holds no such span. Of several spans, the one
    with most of the question's character pairs beside it ("2017年12月26日发布，2018年3月1日起施行"
    asked "何时起施行" gives the second: 起施行 follows it), the first on a tie."""
    for asks, span in ((_ASKS_YEAR, _YEAR), (_ASKS_DATE, _DATE), (_ASKS_NUMBER, _NUMBER)):
        if asks.search(question):
            found = list(span.finditer(sentence))
            if not found:
                return None
            # pairs of Han characters only: digits of the question (11号令) are not words to look for
            pairs = {question[i:i + 2] for i in range(len(question) - 1) if _HAN_PAIR.fullmatch(question[i:i + 2])}
            scores = [_pairs_beside(sentence, m, pairs) for m in found]
            return found[scores.index(max(scores))].group(0).strip()  # the first of equals
    return None


def _pairs_beside(sentence: str, m: re.Match, pairs: set[str]) -> int:
    """How many of ``pairs`` stand within ``_NEAR`` characters of the span ``m``."""
    near = sentence[max(0, m.start() - _NEAR):m.start()] + "\0" + sentence[m.end():m.end() + _NEAR]
    return sum(near[i:i + 2] in pairs for i in range(len(near) - 1))


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
            best = self.best(question)
            span = short_answer(question, best.text) if best.source is not None else None
            return Answer(span, best.source, best.score) if span else best
        # Each option with the question: the option whose best sentence scores highest; the first
        # option when nothing matches at all (a fixed guess, so runs stay reproducible).
        scored = [(self.best(f"{question} {text}"), letter) for letter, text in options]
        best, letter = max(scored, key=lambda pair: pair[0].score)
        if best.score <= 0:
            return Answer(options[0][0], None, 0.0)
        return Answer(letter, best.source, best.score)
