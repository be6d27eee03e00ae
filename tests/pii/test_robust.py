"""Any text: detect never raises, offsets index the input, spans do not overlap, redaction is consistent."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moli.pii import detect, redact_with_findings

ALPHABET = st.sampled_from(list("张王李欧阳娜伟明上海市浦东新区世纪大道号路的了，。：\n\r\t 0123456789"
                                "１３８＠@.-+xyzABCX京沪😀𠀋") + ["联系人：", "电话", "13945671234", "110101199003074514"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ALPHABET, max_size=80).map("".join))
def test_detect_any_text(text):
    found = detect(text)
    last_end = -1
    for f in sorted(found, key=lambda f: f.start):
        assert 0 <= f.start < f.end <= len(text)
        assert text[f.start:f.end] == f.text
        assert f.start >= last_end  # no overlaps
        last_end = f.end
    out, again = redact_with_findings(text, "tag")
    assert [(f.kind, f.start, f.end) for f in again] == [(f.kind, f.start, f.end) for f in found]
    assert out.count("[") >= len(found)


def test_long_text_without_punctuation():
    text = "张" * 5000 + "13945671234" + "王" * 5000
    found = detect(text)
    assert any(f.kind == "PHONE" and f.start == 5000 for f in found)
