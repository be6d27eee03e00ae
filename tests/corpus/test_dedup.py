"""De-duplication engine: signatures, exact keys, exact Jaccard (moli.corpus.dedup, moli.text.shingles)."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moli.corpus.dedup import (
    estimate_jaccard,
    exact_key,
    jaccard,
    minhash_signatures,
    normalize_for_exact,
)
from moli.text.shingles import shingle_hashes, shingle_set

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "dedup" / "gov_sample.jsonl"
SCHEMES = ("oph", "perm")


@pytest.fixture(scope="module")
def gov_texts() -> list[str]:
    return [json.loads(line)["text"] for line in FIXTURE.read_text(encoding="utf-8").splitlines()]


def _edit(text: str, rate: float, rng: random.Random) -> str:
    chars = list(text)
    for _ in range(int(len(chars) * rate)):
        p = rng.randrange(len(chars))
        op = rng.random()
        if op < 0.4:
            chars[p] = chr(0x4E00 + rng.randrange(20000))
        elif op < 0.7:
            del chars[p]
        else:
            chars.insert(p, chr(0x4E00 + rng.randrange(20000)))
    return "".join(chars)


# -- shingles -------------------------------------------------------------------------------------

def test_shingle_set_rules():
    assert shingle_set("一二三四五六", 5) == {"一二三四五", "二三四五六"}
    assert shingle_set("一二", 5) == {"一二"}
    assert shingle_set("", 5) == {""}
    # a non-BMP character is one character
    assert shingle_set("𠀀𠀁𠀂𠀃𠀄", 5) == {"𠀀𠀁𠀂𠀃𠀄"}


def test_shingle_hashes_match_the_reference_sets(gov_texts):
    texts = gov_texts[:4] + ["", "短", "𠀀𠀁𠀂𠀃𠀄𠀅𠀆", "ａｂ", "abcde" * 3]
    hashes, offsets = shingle_hashes(texts, ngram=5)
    assert offsets.shape == (len(texts) + 1,)
    for i, t in enumerate(texts):
        own = hashes[offsets[i]:offsets[i + 1]]
        assert own.size == max(len(t) - 4, 1)
        # one distinct hash per distinct shingle: no collisions, no boundary leaks
        assert np.unique(own).size == len(shingle_set(t, 5))
    # the same shingle in two texts hashes the same
    a, _ = shingle_hashes(["一二三四五"])
    b, _ = shingle_hashes(["零一二三四五"])
    assert a[0] in set(b.tolist())


# -- signatures -----------------------------------------------------------------------------------

@pytest.mark.parametrize("scheme", SCHEMES)
def test_shape_dtype_and_identical_texts(gov_texts, scheme):
    texts = gov_texts[:5] + [gov_texts[0]]
    sig = minhash_signatures(texts, num_perm=64, scheme=scheme)
    assert sig.shape == (6, 64)
    assert sig.dtype == np.uint32
    assert np.array_equal(sig[0], sig[5])
    assert not np.array_equal(sig[0], sig[1])
    assert minhash_signatures([], num_perm=32).shape == (0, 32)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_signature_does_not_depend_on_the_batch(gov_texts, scheme):
    together = minhash_signatures(gov_texts, scheme=scheme)
    alone = np.vstack([minhash_signatures([t], scheme=scheme) for t in gov_texts])
    assert np.array_equal(together, alone)
    reversed_ = minhash_signatures(gov_texts[::-1], scheme=scheme)
    assert np.array_equal(together, reversed_[::-1])


def test_seed_and_ngram_change_the_signature(gov_texts):
    base = minhash_signatures(gov_texts[:2])
    assert not np.array_equal(base, minhash_signatures(gov_texts[:2], seed=2))
    assert not np.array_equal(base, minhash_signatures(gov_texts[:2], ngram=3))
    assert np.array_equal(base, minhash_signatures(gov_texts[:2], seed=1))


@pytest.mark.parametrize("scheme", SCHEMES)
def test_edge_cases_empty_short_non_bmp(scheme):
    texts = ["", "", "ab", "ab", "abc", "𠀀𠀁𠀂𠀃𠀄𠀅", "𠀀𠀁𠀂𠀃𠀄𠀅", "bad\udcffsurrogate", "一二三四五"]
    sig = minhash_signatures(texts, num_perm=128, scheme=scheme)
    assert np.array_equal(sig[0], sig[1])          # empty == empty (defined signature)
    assert np.array_equal(sig[2], sig[3])
    assert estimate_jaccard(sig[0], sig[2]) < 0.05  # empty shares nothing with "ab"
    assert estimate_jaccard(sig[2], sig[4]) < 0.05  # short texts are whole-text shingles
    assert np.array_equal(sig[5], sig[6])
    assert estimate_jaccard(sig[5], sig[8]) < 0.05
    assert sig[7].size == 128
    assert jaccard("", "") == 1.0 and jaccard("", "ab") == 0.0


def test_deterministic_across_processes(gov_texts):
    code = (
        "import json,sys,hashlib;from moli.corpus.dedup import minhash_signatures;"
        "t=json.load(sys.stdin);"
        "print(hashlib.sha256(minhash_signatures(t).tobytes()).hexdigest(),"
        "hashlib.sha256(minhash_signatures(t,scheme='perm').tobytes()).hexdigest())"
    )
    texts = gov_texts[:3] + ["", "𠀀𠀁"]
    runs = set()
    for hashseed in ("0", "123"):
        out = subprocess.run([sys.executable, "-c", code], input=json.dumps(texts), capture_output=True,
                             text=True, check=True, env={"PYTHONHASHSEED": hashseed, "PATH": ""})
        runs.add(out.stdout.strip())
    import hashlib

    here = " ".join(hashlib.sha256(minhash_signatures(texts, scheme=s).tobytes()).hexdigest()
                    for s in ("oph", "perm"))
    assert runs == {here}


@pytest.mark.parametrize("scheme", SCHEMES)
def test_estimates_within_sampling_error(gov_texts, scheme):
    """Rule: with k = 128, |estimate − exact| ≤ 3·sqrt(J(1−J)/k) + 1/k for ≥ 97 % of pairs, the mean
    error (bias) is below 0.01 and the mean absolute error below 0.04 (≈ the 0.028 expected)."""
    rng = random.Random(7)
    a, b = [], []
    for t in gov_texts:
        for _ in range(12):
            start = rng.randrange(0, len(t) // 2)
            doc = t[start:start + rng.randrange(400, 1000)]
            a.append(doc)
            b.append(_edit(doc, rng.uniform(0.003, 0.08), rng))
    exact = np.array([jaccard(x, y) for x, y in zip(a, b, strict=True)])
    est = estimate_jaccard(minhash_signatures(a, scheme=scheme), minhash_signatures(b, scheme=scheme))
    err = est - exact
    k = 128
    bound = 3 * np.sqrt(exact * (1 - exact) / k) + 1 / k
    assert exact.min() < 0.6 and exact.max() > 0.9  # the set spans the interesting range
    assert np.mean(np.abs(err) <= bound) >= 0.97
    assert abs(err.mean()) < 0.01
    assert np.abs(err).mean() < 0.04


def test_short_texts_stay_unbiased_under_densification(gov_texts):
    """20–40 characters: most of the 128 bins are empty and filled by densification; the estimate
    must stay unbiased (|bias| < 0.01) and within the rule for ≥ 95 % of pairs."""
    rng = random.Random(5)
    a, b = [], []
    for _ in range(400):
        t = rng.choice(gov_texts)
        size = rng.randrange(20, 41)
        s = rng.randrange(len(t) - size)
        doc = t[s:s + size]
        chars = list(doc)
        for _ in range(rng.randrange(1, 3)):
            chars[rng.randrange(size)] = chr(0x4E00 + rng.randrange(20000))
        a.append(doc)
        b.append("".join(chars))
    exact = np.array([jaccard(x, y) for x, y in zip(a, b, strict=True)])
    err = estimate_jaccard(minhash_signatures(a), minhash_signatures(b)) - exact
    bound = 3 * np.sqrt(exact * (1 - exact) / 128) + 1 / 128
    assert abs(err.mean()) < 0.01
    assert np.mean(np.abs(err) <= bound) >= 0.95


def test_unrelated_documents_estimate_near_zero(gov_texts):
    sig = minhash_signatures(gov_texts)
    est = [estimate_jaccard(sig[i], sig[j]) for i in range(len(sig)) for j in range(i + 1, len(sig))]
    exact = [jaccard(gov_texts[i], gov_texts[j]) for i in range(len(sig)) for j in range(i + 1, len(sig))]
    assert sorted(exact)[-2] < 0.3  # the fixture holds one pair of identical law versions
    assert max(abs(e - x) for e, x in zip(est, exact, strict=True)) < 0.1


@pytest.mark.parametrize("scheme", SCHEMES)
def test_long_document_is_hashed_piecewise_with_the_same_result(monkeypatch, scheme):
    from moli.corpus import minhash as mh

    rng = random.Random(3)
    long_text = "".join(chr(0x4E00 + rng.randrange(3000)) for _ in range(200_000))
    assert len(long_text) > mh._LONG_CHARS
    texts = ["前文", long_text, long_text[:100_000]]
    piecewise = minhash_signatures(texts, scheme=scheme)
    monkeypatch.setattr(mh, "_LONG_CHARS", 10**9)  # force one pass over the whole text
    assert np.array_equal(piecewise, minhash_signatures(texts, scheme=scheme))
    assert abs(estimate_jaccard(piecewise[1], piecewise[2]) - jaccard(long_text, long_text[:100_000])) < 0.15


def test_bad_parameters_and_inputs_are_bilingual_errors():
    from moli.core.errors import InputError

    for kwargs, field in (({"num_perm": 0}, "num_perm"), ({"scheme": "nope"}, "scheme"), ({"ngram": 0}, "ngram")):
        with pytest.raises(InputError) as e:
            minhash_signatures(["x"], **kwargs)
        assert e.value.field == field and e.value.zh != e.value.en
    with pytest.raises(InputError) as e:
        minhash_signatures(["好", None, "x"])
    assert e.value.field == "texts[1]" and "第 1 条" in e.value.zh and "#1" in e.value.en


# -- exact keys and Jaccard ------------------------------------------------------------------------

def test_exact_key_normalisation():
    k = exact_key("第一条　为了保护个人信息权益，规范个人信息处理活动。")
    assert isinstance(k, bytes) and len(k) == 16
    assert exact_key("第一条 为了保护个人信息权益, 规范个人信息处理活动.") == k     # half-width punctuation
    assert exact_key("第一条为了保护个人信息权益规范个人信息处理活动") == k          # no punctuation, no space
    assert exact_key("第一条\u200b为了保护个人信息权益，\n规范个人信息处理活动。") == k  # zero-width space, newline
    assert exact_key("ＡＢＣ１２３") == exact_key("abc123")                           # full-width, case
    assert exact_key("增长5%") != exact_key("增长5‰")                                 # meaningful marks kept
    assert exact_key("第二条为了保护个人信息权益") != exact_key("第一条为了保护个人信息权益")
    assert exact_key("個人信息") != exact_key("个人信息")  # traditional is left to the normalize step
    assert normalize_for_exact("《数据安全法》（2021）") == "数据安全法2021"


def test_jaccard_exact_values():
    assert jaccard("一二三四五六", "一二三四五六") == 1.0
    assert jaccard("一二三四五六", "一二三四五七") == pytest.approx(1 / 3)
    assert jaccard("一二三四五六", "七八九十百千") == 0.0
    assert jaccard("abc", "abcd", ngram=3) == pytest.approx(1 / 2)


def test_fingerprints_are_the_distinct_shingles(gov_texts):
    from moli.corpus.dedup import signatures_and_fingerprints

    texts = gov_texts[:3] + ["", "短", "一二三一二三一二三一二三"]
    sig, (values, offsets) = signatures_and_fingerprints(texts)
    assert np.array_equal(sig, minhash_signatures(texts))
    assert values.dtype == np.uint32 and offsets[-1] == values.size
    for i, t in enumerate(texts):
        own = values[offsets[i]:offsets[i + 1]]
        assert own.size == len(shingle_set(t))
        assert np.all(np.diff(own.astype(np.int64)) > 0)  # sorted, distinct
    # the fingerprint Jaccard is the exact Jaccard
    a, b = gov_texts[0][:800], gov_texts[0][100:900]
    _, (v, o) = signatures_and_fingerprints([a, b])
    fa, fb = set(v[o[0]:o[1]].tolist()), set(v[o[1]:o[2]].tolist())
    assert len(fa & fb) / len(fa | fb) == pytest.approx(jaccard(a, b))


_TRICKY = ("，。、；：？！“”《》【】（）—…·　 \t\nＡＢＣａｂｃ１２３ⅡⅢ①㈠㍿ﬁßΣσςéèe\u0301한글\u1100\u1161"
           "個人资讯𠀀𠀁\U0002F800\U0001F600\u200b\ufeff%‰#&@*/\\￥℃©"
           "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面")


def _slow_key(text: str) -> bytes:
    import xxhash

    return xxhash.xxh3_128_digest(normalize_for_exact(text).encode("utf-32-le", "surrogatepass"))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(_TRICKY), max_size=40))
def test_exact_key_fast_path_equals_the_definition(text):
    assert exact_key(text) == _slow_key(text)


def test_exact_key_composition_and_real_documents(gov_texts):
    assert exact_key("caf\u00e9") == exact_key("cafe\u0301")   # NFC/NFD forms of é agree
    assert exact_key("Ⅱ类") == exact_key("ii类")
    for t in gov_texts:
        assert exact_key(t) == _slow_key(t)


def test_astral_cjk_ranges_are_invariant():
    from moli.corpus.dedup import _CJK_ASTRAL

    for lo, hi in _CJK_ASTRAL:
        for cp in range(lo, hi + 1, 7):
            assert normalize_for_exact(chr(cp)) == chr(cp)
