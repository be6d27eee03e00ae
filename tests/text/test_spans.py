from hypothesis import given, settings
from hypothesis import strategies as st

import moli.text.spans as spans
from moli.text.spans import Claimed, occurrences

ALPHABET = "哈张三李四a"


def find_loop(text: str, s: str) -> list[int]:
    out, i = [], text.find(s)
    while i >= 0:
        out.append(i)
        i = text.find(s, i + len(s))
    return out


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=300), st.lists(st.text(alphabet=ALPHABET, min_size=1, max_size=3),
                                                         min_size=1, max_size=40))
def test_occurrences_take_what_str_find_takes_on_both_paths(text, strings):
    expected = {s: find_loop(text, s) for s in strings}
    for limit in (0, 10**12):  # the automaton, then the str.find loop
        spans._FIND_LIMIT, saved = limit, spans._FIND_LIMIT
        try:
            assert occurrences(text, strings) == expected
        finally:
            spans._FIND_LIMIT = saved


def test_occurrences_of_names_in_a_long_roster_count_like_str_count():
    names = [f"张{chr(0x4E00 + i)}{chr(0x4E00 + 2 * i)}" for i in range(3000)]
    text = "，".join(names * 3) + "哈哈哈"
    found = occurrences(text, [*names, "哈哈"])
    assert all(len(found[n]) == 3 for n in names)
    assert found["哈哈"] == [len(text) - 3]  # non-overlapping, left to right, as str.count


def test_claimed_tests_overlap_of_half_open_spans():
    c = Claimed(20, [(2, 5)])
    assert c.overlaps(4, 6) and c.overlaps(0, 3) and c.overlaps(3, 4)
    assert not c.overlaps(5, 9) and not c.overlaps(0, 2) and not c.overlaps(7, 7)
    c.claim(10, 12)
    assert c.overlaps(11, 15) and not c.overlaps(12, 15)
    c.claim(8, 8)  # an empty span takes nothing
    assert not c.overlaps(8, 9)
