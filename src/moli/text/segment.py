"""Chinese word segmentation for retrieval (jieba), with the noise removed."""

from __future__ import annotations

import logging
import threading
import unicodedata
from functools import lru_cache

import jieba

try:  # jieba-rs: the same dictionary and algorithm as jieba, about 10x faster (see docs/market.md)
    import rjieba as _rjieba
except ImportError:  # pragma: no cover - rjieba is a dependency; plain jieba gives the same Chinese words
    _rjieba = None

jieba.setLogLevel(logging.WARNING)
_init_lock = threading.Lock()
_initialised = False

# Function words that carry no topic in Chinese search queries and documents.
STOPWORDS = frozenset(
    "的 了 和 与 及 或 在 是 为 对 把 被 从 向 以 于 等 中 上 下 之 其 这 那 有 也 就 都 而 并 但 如 若 "
    "我 你 他 她 它 们 我们 你们 他们 一个 一种 进行 相关 有关 以及 可以 需要 哪些 什么 如何 怎么 是否 "
    "a an the of and or to in on for with by is are be as at from that this".split()
)


def _cut_for_search(text: str) -> list[str]:
    if _rjieba is not None:
        return _rjieba.cut_for_search(text, True)
    _ensure_init()
    return jieba.lcut_for_search(text)


def _ensure_init() -> None:
    global _initialised
    if _rjieba is not None:
        return
    if not _initialised:
        with _init_lock:
            if not _initialised:
                jieba.initialize()
                _initialised = True


@lru_cache(maxsize=262144)
def _is_noise(token: str) -> bool:
    if token in STOPWORDS:
        return True
    # Drop tokens made only of punctuation, symbols or spaces.
    return all(unicodedata.category(ch)[0] in "PZSC" for ch in token)


@lru_cache(maxsize=65536)
def _tokenize_cached(text: str) -> tuple[str, ...]:
    text = unicodedata.normalize("NFKC", text).lower()
    return tuple(t for t in (w.strip() for w in _cut_for_search(text)) if t and not _is_noise(t))


def tokenize(text: str, *, cache: bool = True) -> list[str]:
    """Tokens for BM25: jieba search-mode words (so 人工智能 also yields 人工, 智能), NFKC, lower-case,
    with punctuation and stop-words dropped. ``cache=False`` for texts tokenised once (a bulk index
    of sentences would fill the cache, 140 MB for 48,000 sentences, and push the queries out)."""
    if not text:
        return []
    if not cache or len(text) > 2000:  # long documents: don't fill the cache with them
        norm = unicodedata.normalize("NFKC", text).lower()
        return [t for t in (w.strip() for w in _cut_for_search(norm)) if t and not _is_noise(t)]
    return list(_tokenize_cached(text))
