"""NearDuplicateIndex: LSH on disk + union-find, against an in-memory reference (moli.corpus.dedup)."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from moli.core.errors import InputError
from moli.corpus.dedup import NearDuplicateIndex, minhash_signatures, optimal_bands_rows


def _random_sigs(rng: np.random.Generator, n: int, k: int = 128) -> np.ndarray:
    return rng.integers(0, 2**32, size=(n, k), dtype=np.uint64).astype(np.uint32)


def _near_copy(rng: np.random.Generator, sig: np.ndarray, changed: int) -> np.ndarray:
    out = sig.copy()
    pos = rng.choice(sig.size, size=changed, replace=False)
    out[pos] = rng.integers(0, 2**32, size=changed, dtype=np.uint64).astype(np.uint32)
    return out


def _planted(seed: int, n_base: int, n_copies: int, changed_max: int, k: int = 128):
    """Random signatures plus near copies (each changes ≤ changed_max positions) at random places."""
    rng = np.random.default_rng(seed)
    base = _random_sigs(rng, n_base, k)
    copies = np.stack([_near_copy(rng, base[rng.integers(n_base)], int(rng.integers(0, changed_max + 1)))
                       for _ in range(n_copies)])
    allsig = np.concatenate([base, copies])
    perm = rng.permutation(allsig.shape[0])
    return allsig[perm]


def _reference(sigs: np.ndarray, bands: int, rows: int, threshold: float, verify: bool) -> dict[int, int]:
    """In-memory reference: dict buckets per band, all pairs in a bucket, Python union-find."""
    n, k = sigs.shape
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    need = int(np.ceil(threshold * k - 1e-9))
    for j in range(bands):
        buckets: dict[tuple, list[int]] = {}
        for i in range(n):
            buckets.setdefault(tuple(sigs[i, j * rows:(j + 1) * rows].tolist()), []).append(i)
        for members in buckets.values():
            for a in range(len(members)):
                for b in range(a + 1, len(members)):
                    u, v = members[a], members[b]
                    if verify and int((sigs[u] == sigs[v]).sum()) < need:
                        continue
                    ru, rv = find(u), find(v)
                    if ru != rv:
                        parent[max(ru, rv)] = min(ru, rv)  # the root stays the earliest
    return {i: find(i) for i in range(n) if find(i) != i}


@pytest.mark.parametrize(("verify", "max_sort_rows"), [(False, 8_000_000), (True, 8_000_000), (True, 300)])
def test_disk_index_equals_in_memory_reference(tmp_path, verify, max_sort_rows):
    """max_sort_rows=300 forces the partitioned external sort (2,000 rows → 16 partitions per band)."""
    sigs = _planted(seed=11, n_base=1500, n_copies=500, changed_max=40)
    idx = NearDuplicateIndex(128, 0.8, tmp_path / "idx", verify=verify, max_sort_rows=max_sort_rows)
    for s in range(0, len(sigs), 333):  # many add calls
        idx.add(np.arange(s, min(s + 333, len(sigs))), sigs[s:s + 333])
    got = idx.duplicates()
    want = _reference(sigs, idx.bands, idx.rows, 0.8, verify)
    assert len(want) > 200
    assert got == want
    assert sorted((tmp_path / "idx").glob("band_*.u64"))  # the band index is on disk
    assert (tmp_path / "idx" / "band_000.u64").stat().st_size == len(sigs) * 8
    assert not list((tmp_path / "idx").glob("part_*"))  # partition files are removed after use


def test_verification_removes_lsh_false_positives(tmp_path):
    # copies changing 30..60 of 128 values: estimated J 0.53..0.77 < 0.8, but LSH still pairs many
    rng = np.random.default_rng(5)
    base = _random_sigs(rng, 400)
    far = np.stack([_near_copy(rng, s, int(rng.integers(30, 61))) for s in base])
    sigs = np.concatenate([base, far])
    plain = NearDuplicateIndex(128, 0.8, tmp_path / "a", verify=False)
    plain.add(np.arange(800), sigs)
    checked = NearDuplicateIndex(128, 0.8, tmp_path / "b", verify=True)
    checked.add(np.arange(800), sigs)
    assert len(plain.duplicates()) > 5
    assert checked.duplicates() == {}
    assert checked.stats["checked_pairs"] > 0 and checked.stats["verified_pairs"] == 0


def test_earliest_added_row_is_kept_whatever_its_id():
    rng = np.random.default_rng(1)
    s = _random_sigs(rng, 3)
    sigs = np.stack([s[0], s[1], s[0], s[2], s[0]])
    with NearDuplicateIndex(128, 0.8) as idx:
        idx.add(np.array([50, 7]), sigs[:2])
        idx.add(np.array([10, 99, 3]), sigs[2:])
        assert idx.duplicates() == {10: 50, 3: 50}
        workdir = idx.workdir
        assert workdir.exists()
    assert not workdir.exists()  # a temporary work folder is removed on close


def test_transitive_clusters_keep_the_earliest():
    # chain A ≈ B ≈ C with A and C below the threshold: single linkage puts all three together
    rng = np.random.default_rng(2)
    a = _random_sigs(rng, 1)[0]
    b = a.copy()
    b[:16] = _random_sigs(rng, 1)[0][:16]        # J(A,B) ≈ 112/128 = 0.875
    c = b.copy()
    c[16:32] = _random_sigs(rng, 1)[0][16:32]    # J(B,C) ≈ 0.875, J(A,C) ≈ 0.75
    other = _random_sigs(rng, 1)[0]
    sigs = np.stack([other, c, a, b])  # C comes before A and B in the input
    with NearDuplicateIndex(128, 0.8, bands=16, rows=8) as idx:
        idx.add(np.array([0, 1, 2, 3]), sigs)
        assert idx.duplicates() == {2: 1, 3: 1}
    # leader linkage: A (row 2) is not similar enough to the kept C (row 1), so A is kept too;
    # B (row 3) joins the earliest kept document it is similar to (C)
    with NearDuplicateIndex(128, 0.8, bands=16, rows=8, linkage="leader") as idx:
        idx.add(np.array([0, 1, 2, 3]), sigs)
        assert idx.duplicates() == {3: 1}


def test_real_texts_end_to_end(tmp_path):
    from pathlib import Path

    fixture = Path(__file__).resolve().parent.parent / "fixtures" / "dedup" / "gov_sample.jsonl"
    laws = [json.loads(line)["text"] for line in fixture.read_text(encoding="utf-8").splitlines()]
    base = laws[0][:900]
    texts = [base, laws[3][:900], base.replace("个人信息", "个人資訊", 1), base + "\n本法自公布之日起施行。",
             base[300:]]
    from moli.corpus.dedup import jaccard

    exact = [jaccard(base, t) for t in texts]
    assert exact[2] > 0.95 and exact[3] > 0.95 and exact[1] < 0.1 and exact[4] < 0.7
    idx = NearDuplicateIndex(128, 0.8, tmp_path / "t")
    idx.add(np.array([100, 101, 102, 103, 104]), minhash_signatures(texts))
    assert idx.duplicates() == {102: 100, 103: 100}


def test_uint64_signatures_and_threshold_one():
    rng = np.random.default_rng(0)
    sigs = rng.integers(0, 2**63, size=(50, 128), dtype=np.uint64)  # e.g. datasketch hashvalues
    sigs[10] = sigs[3]
    sigs[20] = sigs[3]
    sigs[20, 0] += np.uint64(1)  # one value differs: a duplicate at 0.8, not at 1.0
    with NearDuplicateIndex(128, 1.0) as idx:
        idx.add(np.arange(50), sigs)
        assert (idx.bands, idx.rows) == (1, 128)
        assert idx.duplicates() == {10: 3}
    with NearDuplicateIndex(128, 0.8) as idx:
        idx.add(np.arange(50), sigs)
        assert idx.duplicates() == {10: 3, 20: 3}


def test_bands_rows_match_datasketch_choice():
    from datasketch import lsh

    for t in (0.5, 0.7, 0.8, 0.9):
        assert optimal_bands_rows(t, 128) == lsh._optimal_param(t, 128, 0.5, 0.5)
    idx = NearDuplicateIndex(128, 0.8, bands=16)
    assert (idx.bands, idx.rows) == (16, 8)
    idx.close()


def test_bad_input_is_rejected_in_both_languages(tmp_path):
    idx = NearDuplicateIndex(64, 0.8, tmp_path / "bad")
    with pytest.raises(InputError) as e:
        idx.add(np.arange(2), np.zeros((2, 32), dtype=np.uint32))
    assert "签名" in e.value.zh and "signatures" in e.value.en
    with pytest.raises(InputError):
        idx.add(np.arange(2), np.zeros((2, 64), dtype=np.float32))
    with pytest.raises(InputError):
        idx.add(np.arange(3), np.zeros((2, 64), dtype=np.uint32))
    idx.add(np.array([1, 2]), np.zeros((2, 64), dtype=np.uint32))
    idx.add(np.array([2]), np.zeros((1, 64), dtype=np.uint32))
    with pytest.raises(InputError) as e:
        idx.duplicates()
    assert "重复" in e.value.zh and e.value.field == "row_ids"
    with pytest.raises(InputError):
        NearDuplicateIndex(64, 0.8, bands=10, rows=10)
    with pytest.raises(InputError):
        NearDuplicateIndex(64, 1.5)
    with pytest.raises(InputError) as e:
        NearDuplicateIndex(64, 0.8, linkage="complete")
    assert e.value.field == "linkage"


_MEDIUM = r"""
import json, resource, sys
import numpy as np
from moli.corpus.dedup import NearDuplicateIndex
def rss(): return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
rng = np.random.default_rng(0)
start = rss()
n, chunk = 200_000, 10_000
idx = NearDuplicateIndex(128, 0.8, sys.argv[1], verify=True)
prev = None
for s in range(0, n, chunk):
    sig = rng.integers(0, 2**32, size=(chunk, 128), dtype=np.uint64).astype(np.uint32)
    if prev is not None:
        sig[:1000] = prev[:1000]  # planted copies: row s+i repeats row i of the first chunk
    prev = sig
    idx.add(np.arange(s, s + chunk, dtype=np.int64), sig)
    del sig
after_add = rss()
rem, kept = idx.duplicate_arrays()
print(json.dumps({"start": start, "after_add": after_add, "peak": rss(), "removed": int(rem.size),
                  "ok": bool(np.all(kept == rem % 10_000))}))
"""


def test_bounded_memory_on_a_medium_input(tmp_path):
    """200 k signatures (100 MB as uint32) are added and clustered with far less extra memory."""
    out = subprocess.run([sys.executable, "-c", _MEDIUM, str(tmp_path / "m")], capture_output=True, text=True,
                         check=True, timeout=120)
    r = json.loads(out.stdout)
    assert r["removed"] == 19 * 1000 and r["ok"]
    signatures_bytes = 200_000 * 128 * 4
    assert r["peak"] - r["start"] < 0.6 * signatures_bytes


@pytest.mark.parametrize("linkage", ["single", "leader"])
def test_exact_verification_follows_exact_jaccard(tmp_path, linkage):
    """With fingerprints, a candidate pair is kept iff its exact Jaccard is ≥ the threshold."""
    import random
    from pathlib import Path

    from moli.corpus.dedup import jaccard, signatures_and_fingerprints

    fixture = Path(__file__).resolve().parent.parent / "fixtures" / "dedup" / "gov_sample.jsonl"
    laws = [json.loads(line)["text"] for line in fixture.read_text(encoding="utf-8").splitlines()]
    rng = random.Random(4)
    texts = []
    for law in laws:
        base = law[:700]
        texts.append(base)
        for cut in (10, 25, 40, 60, 90):  # drop a growing head: J from ≈ 0.98 down to ≈ 0.87
            texts.append(base[cut:] + "".join(rng.choice("的一是在不了有和人这中大为上") for _ in range(cut // 3)))
    order = list(range(len(texts)))
    rng.shuffle(order)
    texts = [texts[i] for i in order]
    sig, (vals, offs) = signatures_and_fingerprints(texts)
    idx = NearDuplicateIndex(128, 0.9, tmp_path / "x", linkage=linkage)
    for s in range(0, len(texts), 17):
        e = min(s + 17, len(texts))
        o = offs[s:e + 1]
        idx.add(np.arange(s, e), sig[s:e], (vals[o[0]:o[-1]], o - o[0]))
    got = idx.duplicates()
    assert idx.stats["verification"] == "exact" and idx.stats["exact_checked_pairs"] > 0
    # reference: exact Jaccard on all pairs, single linkage, earliest kept
    n = len(texts)
    parent = list(range(n))

    def find(x):
        while parent[x] != x:
            x = parent[x]
        return x

    similar = {(i, j) for i in range(n) for j in range(i + 1, n) if jaccard(texts[i], texts[j]) >= 0.9}
    if linkage == "single":
        for i, j in sorted(similar):
            ri, rj = find(i), find(j)
            if ri != rj:
                parent[max(ri, rj)] = min(ri, rj)
        want = {i: find(i) for i in range(n) if find(i) != i}
    else:  # in input order, join the earliest kept similar document
        want, kept = {}, []
        for j in range(n):
            leader = next((i for i in kept if (i, j) in similar), None)
            if leader is None:
                kept.append(j)
            else:
                want[j] = leader
    assert len(want) > 20
    assert got == want
    assert all(jaccard(texts[r], texts[k]) >= 0.9 for r, k in got.items()) or linkage == "single"


def test_union_find_merge_gives_the_earliest_member_of_each_component():
    from moli.corpus.lsh import _merge

    rng = np.random.default_rng(9)
    for trial in range(30):
        n = int(rng.integers(2, 300))
        labels = np.arange(n, dtype=np.int64)
        parent = list(range(n))

        def find(x, parent=parent):
            while parent[x] != x:
                x = parent[x]
            return x

        for _ in range(int(rng.integers(1, 5))):  # edges arrive in several batches
            m = int(rng.integers(0, n))
            u, v = rng.integers(0, n, size=m), rng.integers(0, n, size=m)
            _merge(labels, u.astype(np.int64), v.astype(np.int64))
            for a, b in zip(u.tolist(), v.tolist(), strict=True):
                ra, rb = find(a), find(b)
                if ra != rb:
                    parent[max(ra, rb)] = min(ra, rb)
            assert labels.tolist() == [find(i) for i in range(n)], trial


def test_reopen_to_deduplicate_a_new_dataset_against_an_old_one(tmp_path):
    """Cross-dataset de-duplication: the old corpus was added first, so its documents are kept."""
    rng = np.random.default_rng(21)
    old = _random_sigs(rng, 500)
    with NearDuplicateIndex(128, 0.8, tmp_path / "corpus", linkage="leader") as idx:
        idx.add(np.arange(1000, 1500), old)
        assert idx.duplicates() == {}
    new = _random_sigs(rng, 100)
    new[:30] = np.stack([_near_copy(rng, old[i * 7], 6) for i in range(30)])  # 30 near-copies of old rows
    again = NearDuplicateIndex.open(tmp_path / "corpus")
    assert (again.linkage, len(again)) == ("leader", 500)
    again.add(np.arange(5000, 5100), new)
    assert again.duplicates() == {5000 + i: 1000 + i * 7 for i in range(30)}
    assert json.loads((tmp_path / "corpus" / "meta.json").read_text())["n"] == 600


def test_reopen_cuts_a_half_written_batch(tmp_path):
    from moli.corpus.dedup import signatures_and_fingerprints

    texts = ["第一条 为了保护个人信息权益，规范个人信息处理活动，促进个人信息合理利用，制定本法。" * 2,
             "第一条 为了保护个人信息权益，规范个人信息处理活动，促进个人信息合理利用，特制定本法。" * 2,
             "完全无关的一段文字，说明浦东新区人工智能大模型产业发展的情况。" * 2]
    sig, (vals, offs) = signatures_and_fingerprints(texts)
    idx = NearDuplicateIndex(128, 0.8, tmp_path / "w")
    idx.add(np.array([1, 2, 3]), sig, (vals, offs))
    want = idx.duplicates()
    assert want == {2: 1}
    # a crash in the middle of the next add: some files got the new rows, meta.json did not
    for name in ("band_000.u64", "band_001.u64", "signatures.u32", "fingerprints.u32"):
        with open(tmp_path / "w" / name, "ab") as fh:
            fh.write(b"\x00" * 40)
    reopened = NearDuplicateIndex.open(tmp_path / "w")
    assert reopened.duplicates() == want
    assert reopened.stats["verification"] == "exact"
    assert (tmp_path / "w" / "band_000.u64").stat().st_size == 3 * 8
    with pytest.raises(InputError) as e:
        NearDuplicateIndex.open(tmp_path / "nothing-here")
    assert "meta.json" in e.value.zh and e.value.field == "workdir"
