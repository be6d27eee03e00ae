"""``detect``: structured kinds by pattern + checksum, PERSON / ADDRESS by the CRF plus cues."""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

from moli.core.errors import InputError
from moli.pii.findings import KINDS, MODEL_KINDS, Finding
from moli.pii.lexicons import address_tail, gazetteer_spans, lexicons, surnames
from moli.pii.patterns import find_patterns
from moli.text.spans import Claimed, occurrences

_ALL = frozenset(KINDS)
# Characters that end a name found after a cue such as 联系人： (电话, 手机, 性别, 地址, 男/女 ...).
_NAME_STOP = frozenset("电手联地性男女身年先生住邮，,、。；;:： （(0123456789")


def _check_kinds(kinds) -> frozenset[str] | None:
    if kinds is None:
        return None
    kinds = frozenset(kinds)
    bad = kinds - _ALL
    if bad:
        raise InputError(f"未知的个人信息类型：{', '.join(sorted(bad))}（可用：{', '.join(KINDS)}）",
                         f"unknown PII kind(s): {', '.join(sorted(bad))} (known: {', '.join(KINDS)})",
                         field="kinds")
    return kinds


@lru_cache(maxsize=1)
def _cue_regex() -> re.Pattern:
    cues = sorted(lexicons()["name_cues"]["before"], key=len, reverse=True)
    return re.compile(r"(?:{})\s*[:：]\s*([\u4e00-\u9fa5]{{2,4}})".format("|".join(map(re.escape, cues))))


def _cue_names(text: str) -> list[Finding]:
    single, compound = surnames()
    out = []
    for m in _cue_regex().finditer(text):
        run, a = m.group(1), m.start(1)
        comp = run[:2] in compound
        if not comp and run[0] not in single:
            continue
        if len(run) <= (4 if comp else 3):
            n = len(run)  # the whole value up to the next space or punctuation
        else:  # a longer run: the name, unless the next character starts another field (电话, 性别 ...)
            n = 3 if comp else 2
            if run[n] not in _NAME_STOP:
                n += 1
        out.append(Finding("PERSON", a, a + n, text[a:a + n], 0.75, None, True, "cue"))
    return out


_PAREN = re.compile(r"[（(][^（()）]{1,6}[)）]")  # （女） （藏族） between the names of a list
_NAME_TAGS = frozenset(("nr", "nrfg", "nrt"))
_HAN_WORD = re.compile(r"[\u4e00-\u9fff]+")


def _list_tokens(text: str) -> list[tuple[int, int, str | None]]:
    """jieba's words as (start, end, kind) for reading a name list: ``nr`` a person-name word (with a
    split-off surname or a ``·``-joined part re-attached), ``maybe`` a 2–3-character word that starts
    with a surname, ``sep`` a short parenthetical, None anything else."""
    import rjieba

    single, compound = surnames()
    words, pos = [], 0
    for w, t in rjieba.tag(text):
        words.append((pos, pos + len(w), w, t))
        pos += len(w)
    out, i = [], 0
    while i < len(words):
        a, b, w, t = words[i]
        m = _PAREN.match(text, a)
        if m:
            while i < len(words) and words[i][1] <= m.end():
                i += 1
            out.append((a, m.end(), "sep"))
            continue
        i += 1
        kind = "nr" if t in _NAME_TAGS and len(w) >= 2 else None
        if t in _NAME_TAGS and len(w) == 1 and w in single and i < len(words) \
                and _HAN_WORD.fullmatch(words[i][2]) and len(words[i][2]) <= 2:  # 丁/nr 文昌/nr
            b, kind, i = words[i][1], "nr", i + 1
        while kind and i + 1 < len(words) and words[i][2] == "·" and _HAN_WORD.fullmatch(words[i + 1][2]):
            b, i = words[i + 1][1], i + 2  # 帕巴拉·格列朗
        if kind is None and _HAN_WORD.fullmatch(w) and (
                (2 <= len(w) <= 3 and w[0] in single) or (3 <= len(w) <= 4 and w[:2] in compound)):
            kind = "maybe"
        out.append((a, b, kind))
    return out


def name_lists(text: str, codes: str) -> list[tuple[int, int, list[tuple[int, int]]]]:
    """Run-on name lists (名单: 李鹏乔石李瑞环彭真, no separators) as (start, end, names): runs of
    person-name words and surname-initial words, possibly with (女)/(藏族) between them, holding at least
    five names of which three are jieba person names (shorter runs are left to the model: three or four
    "names" in a row are as often a place that jieba reads as names, 克什克腾). Read only when jieba finds
    three person names in a row somewhere in the text (``model.name_list_words``), so ordinary text
    costs one regex search."""
    from moli.pii.model import name_list_words

    if not name_list_words(codes):
        return []
    out, run = [], []

    def close():
        names = [(a, b) for a, b, k in run if k != "sep"]
        if len(names) >= 5 and sum(k == "nr" for *_, k in run) >= 3:
            out.append((names[0][0], names[-1][1], names))

    for tok in _list_tokens(text):
        if tok[2] is None:
            close()
            run = []
        elif tok[2] != "sep" or run:
            run.append(tok)
    close()
    return out


def _name_lists(text: str, codes: str, found: list[Finding]) -> list[Finding]:
    """Inside a run-on name list, the list's names replace the model's PERSON spans."""
    for a, b, names in name_lists(text, codes):
        found = [f for f in found if f.kind != "PERSON" or not (f.start < b and a < f.end)]
        found += [Finding("PERSON", s, e, text[s:e], 0.75, None, True, "name-list") for s, e in names]
    return found


@lru_cache(maxsize=1)
def _address_cue_regex() -> re.Pattern:
    cues = sorted(lexicons()["address_cues"]["before"], key=len, reverse=True)
    return re.compile(r"(?:{})\s*[:：]\s*([^\s，。；;,、:：()（）]{{4,60}})".format("|".join(map(re.escape, cues))))


_ADDRESSY = re.compile(r"[省市区县镇乡村路街道巷弄号楼室]")


def _cue_addresses(text: str) -> list[Finding]:
    """A form field such as ``联系地址：浦东新区世纪大道2001号`` is an address when its value looks like one."""
    out = []
    for m in _address_cue_regex().finditer(text):
        if _ADDRESSY.search(m.group(1)):
            a, b = m.span(1)
            out.append(Finding("ADDRESS", a, b, text[a:b], 0.75, None, True, "cue"))
    return out


def _consistent_names(text: str, model: list[Finding], pattern: list[Finding]) -> list[Finding]:
    """Document-level label consistency for names (2–4 characters, starting with a surname): a string
    the model labels as a name in at least a third of its occurrences is a name in all of them — one
    missed occurrence would leak the name — and in fewer it is a name in none: 康复 labelled once in a
    law that uses it forty times is a false alarm, not a person to redact forty times."""
    single, compound = surnames()
    labelled = Counter(f.text for f in model if f.kind == "PERSON" and 2 <= len(f.text) <= 4
                       and (f.text[0] in single or f.text[:2] in compound))
    found = occurrences(text, labelled)
    rare = {name for name, k in labelled.items() if 3 * k < len(found[name])}
    model = [f for f in model if not (f.kind == "PERSON" and f.source == "crf" and f.text in rare)]
    claimed = Claimed(len(text), ((f.start, f.end) for f in model + pattern))
    for name in sorted(set(labelled) - rare, key=lambda x: (-len(x), x)):  # deterministic: longest first
        for i in found[name]:
            j = i + len(name)
            if not claimed.overlaps(i, j):
                model.append(Finding("PERSON", i, j, name, 0.7, None, True, "repeat"))
                claimed.claim(i, j)
    return model


# An item of an enumeration: between two 、, or between 、 and 和/与/及 (or the reverse), or between 和
# and the end of the clause. Only such fully delimited items are read; the first and last items of a
# list run into the surrounding words and are left to the model.
_ITEM = re.compile(r"(?<=[、和与及])([\u4e00-\u9fff][\u4e00-\u9fff·]{0,6}[\u4e00-\u9fff])(?=[、和与及，。；！？）)\n]|$)")
_PLACE_END = frozenset("省市县区州镇乡村国队会部局厅委院校社司所站港湾湖河江山岛路街门")


def _coordinated_names(text: str, model: list[Finding], pattern: list[Finding]) -> list[Finding]:
    """Items of a 、-list are of one kind: in a list where the model labels at least two items as names
    and the names are at least half of its delimited items, every other delimited item that could be a
    name (2–8 Han characters or ·, not ending like a place or an organisation, not a gazetteer place,
    overlapping no other finding) is a name too — 卡福、莱奥纳多和里瓦尔多 when only two were found."""
    if "、" not in text:
        return model
    persons = {(f.start, f.end) for f in model if f.kind == "PERSON"}
    if len(persons) < 2:
        return model
    claimed = Claimed(len(text), ((f.start, f.end) for f in model + pattern))
    out = list(model)
    for run in re.finditer(r"[^，。；：！？\n]*、[^，。；：！？\n]*", text):
        items = [(m.start(1) + run.start(), m.end(1) + run.start()) for m in _ITEM.finditer(run.group(0))]
        if len(items) < 2:
            continue
        named = [(a, b) for a, b in items if (a, b) in persons]
        if len(named) < 2 or 2 * len(named) < len(items):
            continue
        places = {(a, b) for a, b, tag in gazetteer_spans(text[run.start():run.end()]) if not tag.endswith("N")}
        for a, b in items:
            if (a, b) in persons or text[b - 1] in _PLACE_END or (a - run.start(), b - run.start()) in places:
                continue
            if claimed.overlaps(a, b):
                continue
            out.append(Finding("PERSON", a, b, text[a:b], 0.6, None, True, "list"))
            claimed.claim(a, b)
    return out


def _extend_addresses(text: str, found: list[Finding]) -> None:
    tail = address_tail()
    for f in found:
        if f.kind == "ADDRESS":
            m = tail.match(text, f.end)
            if m and m.end() > f.end:
                f.end = m.end()
                f.text = text[f.start:f.end]


def _merge(pattern: list[Finding], model: list[Finding]) -> list[Finding]:
    """Pattern findings win over overlapping model spans; model spans de-duplicated."""
    out = list(pattern)
    claimed = Claimed(max((f.end for f in pattern + model), default=0), ((f.start, f.end) for f in pattern))
    for f in sorted(model, key=lambda f: (f.start, -(f.end - f.start))):
        if claimed.overlaps(f.start, f.end):
            continue
        out.append(f)
        claimed.claim(f.start, f.end)
    out.sort(key=lambda f: (f.start, f.end))
    return out


def detect(text: str, *, kinds: set[str] | None = None) -> list[Finding]:
    """Personal-information findings in ``text`` (offsets are ``str`` indices, end exclusive).

    ``kinds`` restricts the search (e.g. ``{"PHONE", "ID_CARD"}`` skips the name/address model).
    """
    return detect_many([text], kinds=kinds)[0]


def detect_many(texts: list[str], *, kinds: set[str] | None = None) -> list[list[Finding]]:
    """``detect`` for several texts: the same findings, with the name/address model run over all of
    them in batches (several times faster than one call per short document)."""
    for text in texts:
        if not isinstance(text, str):
            raise InputError("detect 需要字符串", f"detect needs a str, got {type(text).__name__}", field="text")
    ks = _check_kinds(kinds)
    if ks is not None and not (ks & MODEL_KINDS):
        return [find_patterns(text, ks) for text in texts]
    from moli.pii.model import batches_by_size

    # groups of about GROUP_CHARS keep the word codes and findings of a long list in bounded memory
    return [found for group in batches_by_size(texts, len, GROUP_CHARS) for found in _detect_group(group, ks)]


GROUP_CHARS = 1_000_000


def _detect_group(texts: list[str], ks) -> list[list[Finding]]:
    from moli.pii.model import find_entities_many, word_codes

    # every pattern kind is looked for even when only PERSON/ADDRESS are asked: a phone number or an ID
    # must win over a model span on the same characters, and is then left out of the answer
    patterns = [find_patterns(text, None) for text in texts]
    codes = [word_codes(text) for text in texts]
    models = find_entities_many(texts, ks, codes)
    out = [_finish(text, pattern, model, c, ks) for text, pattern, model, c in zip(texts, patterns, models, codes,
                                                                                 strict=True)]
    return out if ks is None else [[f for f in found if f.kind in ks] for found in out]


def _finish(text: str, pattern: list[Finding], model: list[Finding], codes: str, ks) -> list[Finding]:
    """Cues, name lists, name consistency and address tails around the model's findings of one text."""
    # A long PERSON span from the model is nearly always a transliterated name (斯特罗耶夫), which a
    # surname-based split would break; run-on Chinese name lists are read by _name_lists instead.
    if ks is None or "PERSON" in ks:
        model = _name_lists(text, codes, model)
        have = {(f.start, f.end): f for f in model if f.kind == "PERSON"}
        names = Claimed(len(text), have)
        for c in _cue_names(text):
            if (c.start, c.end) in have:
                have[(c.start, c.end)].source = "cue"  # the model agrees with the cue: a cued name
            elif not names.overlaps(c.start, c.end):
                model.append(c)
        model = _coordinated_names(text, model, pattern)
        model = _consistent_names(text, model, pattern)
    if ks is None or "ADDRESS" in ks:
        addresses = Claimed(len(text), ((f.start, f.end) for f in model if f.kind == "ADDRESS"))
        model += [c for c in _cue_addresses(text) if not addresses.overlaps(c.start, c.end)]
    _extend_addresses(text, model)
    return _merge(pattern, model)
