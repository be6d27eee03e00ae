"""Vectorised inference for the linear-chain CRF trained by python-crfsuite (``train.py``).

crfsuite learns the weights; this module serves them with numpy: every feature template of
``model.features`` becomes a sorted key array + a weight matrix, emissions are gathered for a whole
document at once, and Viterbi runs over all sentences of the document in parallel. The result equals
crfsuite's own tagging (same weights, same features; checked by a test) but avoids building millions of
attribute strings per megabyte.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from moli.pii.lexicons import gazetteer_spans, surnames
from moli.pii.model import normalise, word_codes

TEMPLATES = "ulrLRxyXYzwtsgjJKqAB"
_OFFSETS = {"u": (0,), "l": (-1,), "r": (1,), "L": (-2,), "R": (2,), "x": (-1, 0), "y": (0, 1), "X": (-2, -1),
            "Y": (1, 2), "z": (-1, 1), "w": (-1, 0, 1)}
_LATIN = re.compile(r"[a-z]")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_NOT_CLS = re.compile(r"[^HLD]")


def key_of(s: str) -> int:
    k = 0
    for ch in s:
        k = (k << 21) | ord(ch)
    return k


def export(state_features: dict, transitions: dict, labels: list[str], bias: dict | None = None,
           weight_dtype=np.float32) -> bytes:
    """npz bytes of the CRF weights (from ``pycrfsuite.Tagger().info()``); the shipped model stores its
    state weights as float16 (``train.py``), which keeps the file under 1 MB and the labels the same."""
    lab = {name: i for i, name in enumerate(labels)}
    per: dict[str, dict[int, np.ndarray]] = {t: {} for t in TEMPLATES}
    for (attr, label), w in state_features.items():
        t, key = attr[0], key_of(attr[1:])
        row = per[t].setdefault(key, np.zeros(len(labels), dtype=np.float32))
        row[lab[label]] = w
    arrays = {"labels": np.array(labels)}
    for t, rows in per.items():
        keys = np.array(sorted(rows), dtype=np.uint64)
        w = np.zeros((len(keys) + 1, len(labels)), dtype=np.float32)
        for i, k in enumerate(keys.tolist()):
            w[i] = rows[k]
        arrays[f"k_{t}"] = keys
        arrays[f"w_{t}"] = w.astype(weight_dtype)
    trans = np.zeros((len(labels), len(labels)), dtype=np.float32)
    for (a, b), w in transitions.items():
        trans[lab[a], lab[b]] = w
    arrays["trans"] = trans
    arrays["bias_types"] = np.array(sorted(bias or {}))
    arrays["bias_values"] = np.array([float((bias or {})[k]) for k in sorted(bias or {})], dtype=np.float32)
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue()


_UNI = ("u", "l", "r", "L", "R")       # offsets 0, -1, +1, -2, +2 of one character
_BI = ("x", "y", "X", "Y")             # adjacent pairs starting at offsets -1, 0, -2, +1
_UNI_OFF = {"u": 0, "l": -1, "r": 1, "L": -2, "R": 2}
_BI_OFF = {"x": -1, "y": 0, "X": -2, "Y": 1}


def _union(tables: dict, names: tuple[str, ...]) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """One sorted key array for several templates over the same key space, and each template's weights
    re-indexed to it (last row = zeros for unknown keys)."""
    keys = np.unique(np.concatenate([tables[t][0] for t in names]))
    out = {}
    for t in names:
        k, w = tables[t]
        ww = np.zeros((len(keys) + 1, w.shape[1]), dtype=np.float32)
        ww[np.searchsorted(keys, k)] = w[:-1]
        out[t] = ww
    return keys, out


def _dense_index(keys: np.ndarray) -> np.ndarray:
    """Row index by code point for single-character keys (a 4.5 MB table instead of a binary search
    per character: the unigram lookups are the most frequent)."""
    table = np.full(0x110000, len(keys), dtype=np.int32)
    table[keys.astype(np.int64)] = np.arange(len(keys), dtype=np.int32)
    return table


def _lookup(keys: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Row index of each query key in ``keys``; len(keys) (the zero row) when absent."""
    n = len(keys)
    if not n:
        return np.zeros(len(query), dtype=np.int64)
    idx = np.searchsorted(keys, query)
    np.minimum(idx, n - 1, out=idx)
    idx[keys[idx] != query] = n
    return idx


class FastCRF:
    def __init__(self, npz: bytes):
        z = np.load(io.BytesIO(npz))
        self.labels = [str(x) for x in z["labels"]]
        self.trans = z["trans"].astype(np.float32)
        tables = {t: (z[f"k_{t}"], z[f"w_{t}"].astype(np.float32)) for t in TEMPLATES}
        self.uni_keys, self.uni_w = _union(tables, _UNI)
        self.bi_keys, self.bi_w = _union(tables, _BI)
        self.tri_keys, self.tri_w = _union(tables, ("A", "w", "B"))
        self.other = {t: tables[t] for t in "ztsgq"}
        word_keys, self.word_w = _union(tables, ("j", "J", "K"))
        self.word_index = _dense_index(word_keys)
        self.uni_index = _dense_index(self.uni_keys)
        kinds, is_b = [], []
        for lab in self.labels:
            kinds.append(lab[2:] if lab != "O" else None)
            is_b.append(lab.startswith("B-"))
        self.kind_names = sorted({k for k in kinds if k})
        self.lab_type = np.array([self.kind_names.index(k) if k else -1 for k in kinds])
        self.lab_is_b = np.array(is_b)
        self.bias = {str(k): float(v) for k, v in zip(z["bias_types"], z["bias_values"], strict=True)} \
            if "bias_types" in z else {}

    def _bias_vector(self) -> np.ndarray:
        vec = np.zeros(len(self.labels), dtype=np.float32)
        for i, lab in enumerate(self.labels):
            if lab != "O":
                vec[i] = self.bias.get(lab[2:], 0.0)
        return vec

    def emissions(self, segs: list[str], word: list[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(N, L) emission scores for all characters of ``segs`` (concatenated) and the segment lengths;
        ``word``: ``model.word_codes`` of each segment (computed here when not given)."""
        padded = normalise("".join("^^" + s + "$$" for s in segs))
        lens = np.array([len(s) for s in segs], dtype=np.int64)
        chars = np.frombuffer(padded.encode("utf-32-le"), dtype=np.uint32)
        codes = chars.astype(np.uint64)
        starts = np.cumsum(np.concatenate(([0], lens[:-1] + 4))) + 2
        c = np.repeat(starts - np.cumsum(np.concatenate(([0], lens[:-1]))), lens) + np.arange(int(lens.sum()))
        pad = np.ones(len(padded), dtype=bool)
        pad[c] = False
        sh = np.uint64(21)
        # unigrams: one lookup per position serves u, l, r, L, R
        i1 = self.uni_index[chars]
        e = self.uni_w["u"][i1[c]]
        for t in ("l", "r", "L", "R"):
            e += self.uni_w[t][i1[c + _UNI_OFF[t]]]
        # adjacent bigrams: one lookup per position serves x, y, X, Y
        i2 = _lookup(self.bi_keys, (codes[:-1] << sh) | codes[1:])
        for t in _BI:
            e += self.bi_w[t][i2[c + _BI_OFF[t]]]
        kz, wz = self.other["z"]
        e += wz[_lookup(kz, (codes[c - 1] << sh) | codes[c + 1])]
        # trigrams: one lookup per position serves A (ending at the character), w (centred), B (starting)
        i3 = _lookup(self.tri_keys, (codes[:-2] << np.uint64(42)) | (codes[1:-1] << sh) | codes[2:])
        e += self.tri_w["A"][i3[c - 2]] + self.tri_w["w"][i3[c - 1]] + self.tri_w["B"][i3[c]]
        # character classes (H han, L latin, D digit, P other; ^ / $ at the borders)
        cc = np.full(len(padded), ord("P"), dtype=np.uint64)
        cc[(chars >= 0x4E00) & (chars <= 0x9FFF)] = ord("H")
        cc[(chars >= 0x61) & (chars <= 0x7A)] = ord("L")
        cc[chars == 0x30] = ord("D")
        left = np.zeros(len(padded), dtype=bool)
        left[np.concatenate([starts - 2, starts - 1])] = True
        cc[pad & left] = ord("^")
        cc[pad & ~left] = ord("$")
        kt, wt = self.other["t"]
        e += wt[_lookup(kt, (cc[c - 1] << np.uint64(42)) | (cc[c] << sh) | cc[c + 1])]
        # surname flags: 1 single surname, 2 start of a compound surname, 0 otherwise (0 at the borders)
        sf = np.full(len(padded), ord("0"), dtype=np.uint64)
        table = _surname_table()
        sur = np.zeros(len(chars), dtype=bool)
        bmp = chars < len(table)
        sur[bmp] = table[chars[bmp]]
        sf[sur] = ord("1")
        comp = [m.start() for m in _compound_re().finditer(padded)]
        if comp:  # as in model.features: marked only in a sentence where one starts on a single surname
            seg_of = np.searchsorted(starts, comp, side="right") - 1
            ok = {int(g) for g, p in zip(seg_of, comp, strict=True) if sur[p]}
            for g, p in zip(seg_of, comp, strict=True):
                if int(g) in ok:
                    sf[p] = ord("2")
        sf[pad] = ord("0")
        ks, ws = self.other["s"]
        e += ws[_lookup(ks, (sf[c - 1] << np.uint64(42)) | (sf[c] << sh) | sf[c + 1])]
        kg, wg = self.other["g"]
        e += wg[_lookup(kg, _gazetteer_keys(padded)[c])]
        # jieba word codes (part of speech + position) of the character and its neighbours
        if word is None:
            word = [word_codes(s) for s in segs]
        wchars = np.frombuffer("".join("^^" + w + "$$" for w in word).encode("utf-32-le"), dtype=np.uint32)
        wcodes = wchars.astype(np.uint64)
        iw = self.word_index[wchars]
        e += self.word_w["j"][iw[c]] + self.word_w["J"][iw[c - 1]] + self.word_w["K"][iw[c + 1]]
        kq, wq = self.other["q"]
        e += wq[_lookup(kq, (codes[c] << sh) | wcodes[c])]
        return e, lens

    def _viterbi(self, segs: list[str], word: list[str] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Best label index for every character (concatenated in segment order), the lengths, and the
        emission scores (label biases included)."""
        e, lens = self.emissions(segs, word)
        if self.bias:
            e += self._bias_vector()
        b, t_max, n_lab = len(segs), int(lens.max()), len(self.labels)
        order = np.argsort(-lens, kind="stable")
        slens = lens[order]
        offs = np.concatenate(([0], np.cumsum(lens)[:-1]))
        em = np.zeros((b, t_max, n_lab), dtype=np.float32)
        rows = np.repeat(np.arange(b), slens)
        cols = np.arange(len(e)) - np.repeat(np.cumsum(np.concatenate(([0], slens[:-1]))), slens)
        src = np.repeat(offs[order], slens) + cols
        em[rows, cols] = e[src]
        active = (slens[None, :] > np.arange(t_max)[:, None]).sum(axis=1)
        back = np.zeros((b, t_max, n_lab), dtype=np.int8)
        delta = em[:, 0].copy()
        trans = self.trans[None]
        rows_b, cols_l = np.arange(b)[:, None], np.arange(n_lab)[None, :]
        for t in range(1, t_max):
            k = active[t]
            sc = delta[:k, :, None] + trans
            best = sc.argmax(axis=1)
            back[:k, t] = best
            delta[:k] = sc[rows_b[:k], best, cols_l] + em[:k, t]  # the max, gathered (cheaper than .max)
        final = delta.argmax(axis=1)
        out = np.zeros((b, t_max), dtype=np.int64)
        cur = np.zeros(b, dtype=np.int64)
        ar = np.arange(b)
        for t in range(t_max - 1, -1, -1):
            k = active[t]
            k_next = active[t + 1] if t + 1 < t_max else 0
            cur[k_next:k] = final[k_next:k]
            out[:k, t] = cur[:k]
            if t:
                cur[:k] = back[ar[:k], t, cur[:k]]
        flat = np.empty(len(e), dtype=np.int64)
        flat[src] = out[rows, cols]
        return flat, lens, e

    def tag(self, segs: list[str], word: list[str] | None = None) -> list[list[str]]:
        """Viterbi labels for each segment (all segments decoded in parallel)."""
        if not segs:
            return []
        flat, lens, _ = self._viterbi(segs, word)
        labels, out, pos = self.labels, [], 0
        for n in lens.tolist():
            out.append([labels[i] for i in flat[pos:pos + n]])
            pos += n
        return out

    def spans(self, segs: list[str], word: list[str] | None = None) -> list[tuple[int, str, int, int]]:
        """(segment index, label type, start, end) of every entity, as ``model.spans_from_bio`` reads them."""
        return self.decode(segs, word).spans

    def decode(self, segs: list[str], word: list[str] | None = None) -> Decoded:
        """The entity spans of ``spans`` and, for each character, how much the model prefers each entity
        type over O (``Decoded.margins``): the span filter reads its confidence from them."""
        if not segs:
            return Decoded([], np.zeros((0, len(self.kind_names)), dtype=np.float32), np.zeros(0, dtype=np.int64),
                           np.zeros(0, dtype=np.int64))
        flat, lens, e = self._viterbi(segs, word)
        typ = self.lab_type[flat]
        isb = self.lab_is_b[flat]
        seg = np.repeat(np.arange(len(segs)), lens)
        pos = np.arange(len(flat)) - np.repeat(np.concatenate(([0], np.cumsum(lens)[:-1])), lens)
        prev_typ = np.concatenate(([-1], typ[:-1]))
        prev_typ[pos == 0] = -1
        begin = (typ >= 0) & (isb | (prev_typ != typ))
        nxt_typ = np.concatenate((typ[1:], [-1]))
        nxt_b = np.concatenate((isb[1:], [True]))
        last = np.concatenate((pos[1:] == 0, [True]))
        endm = (typ >= 0) & (last | (nxt_typ != typ) | nxt_b)
        bi, ei = np.flatnonzero(begin), np.flatnonzero(endm)
        names = self.kind_names
        spans = [(int(seg[a]), names[typ[a]], int(pos[a]), int(pos[z]) + 1)
                 for a, z in zip(bi.tolist(), ei.tolist(), strict=True)]
        o = self.labels.index("O")
        margins = np.stack([e[:, self.lab_type == k].max(axis=1) - e[:, o] for k in range(len(names))], axis=1)
        return Decoded(spans, margins, np.concatenate(([0], np.cumsum(lens)[:-1])), lens)


@dataclass
class Decoded:
    spans: list[tuple[int, str, int, int]]  # (segment index, label type, start, end)
    margins: np.ndarray  # (characters of all segments, label types): best label of the type minus O
    offsets: np.ndarray  # where each segment starts in ``margins``
    lengths: np.ndarray  # and how long it is

    def margin_stats(self, seg: int, kind: int, start: int, end: int) -> tuple[float, float, float, float, float]:
        """Mean, minimum and first margin over a span, and the margins of the characters just outside it
        (-9 at the segment's border)."""
        base, n = int(self.offsets[seg]), int(self.lengths[seg])
        m = self.margins[base + start:base + end, kind]
        left = float(self.margins[base + start - 1, kind]) if start > 0 else -9.0
        right = float(self.margins[base + end, kind]) if end < n else -9.0
        return float(m.mean()), float(m.min()), float(m[0]), left, right


@lru_cache(maxsize=256)
def _gaz_key(g: str) -> int:
    return key_of(g)


@lru_cache(maxsize=1)
def _surname_table() -> np.ndarray:
    single, _ = surnames()
    table = np.zeros(0x10000, dtype=bool)
    table[[ord(c) for c in single]] = True
    return table


def _gazetteer_keys(text: str) -> np.ndarray:
    """The keys of ``lexicons.division_tags(text)`` as a numpy array, written span by span (most
    characters are in no entry)."""
    out = np.zeros(len(text), dtype=np.uint64)
    is_b = np.zeros(len(text), dtype=bool)
    for start, end, tag in gazetteer_spans(text):
        out[start] = _gaz_key("B" + tag)
        is_b[start] = True
        seg = out[start + 1:end]
        seg[~is_b[start + 1:end]] = _gaz_key("I" + tag)
    return out


@lru_cache(maxsize=1)
def _compound_re() -> re.Pattern:
    _, compound = surnames()
    return re.compile("|".join(sorted(compound)))
