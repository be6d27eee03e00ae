"""Streaming readers: byte offsets of bad bytes, JSON line numbers, long lines."""

import pytest

from moli.core.errors import InputError
from moli.pii.io import CHUNK, decoded_lines, iter_jsonl


def test_bad_byte_offset_across_chunks(tmp_path):
    p = tmp_path / "x.txt"
    head = ("啊" * (CHUNK // 3 + 5) + "\n").encode()
    p.write_bytes(head + b"ok\n" + b"\xff\xfe tail\n")
    with pytest.raises(InputError) as exc:
        list(decoded_lines(p))
    assert f"byte offset {len(head) + 3}" in exc.value.en and f"字节偏移 {len(head) + 3}" in exc.value.zh
    assert "line 3" in exc.value.en


def test_multibyte_char_split_across_chunks_is_fine(tmp_path):
    p = tmp_path / "y.txt"
    text = "a" * (CHUNK - 1) + "中文\n第二行"
    p.write_text(text, encoding="utf-8")
    lines = list(decoded_lines(p))
    assert "".join(line for _, line in lines) == text and lines[-1] == (2, "第二行")


def test_malformed_json_line_number_and_skip(tmp_path):
    p = tmp_path / "a.jsonl"
    p.write_text('{"id": 1, "text": "a"}\n\n{"id": 2, "text": \n[1, 2]\n{"id": 3, "text": "c"}\n', encoding="utf-8")
    with pytest.raises(InputError) as exc:
        list(iter_jsonl(p))
    assert "line 3" in exc.value.en and "第 3 行" in exc.value.zh
    skipped = []
    got = [obj["id"] for _, obj in iter_jsonl(p, skip_bad=True, skipped=skipped)]
    assert got == [1, 3] and [ln for ln, _ in skipped] == [3, 4]


def test_line_without_newlines_streams_in_pieces(tmp_path):
    p = tmp_path / "long.txt"
    text = ("这是一个很长的句子。" * 30000) + "电话13945671234"
    p.write_text(text, encoding="utf-8")
    pieces = [ln for _, ln in decoded_lines(p, max_chars=50_000)]
    assert len(pieces) > 5 and max(map(len, pieces)) <= 50_000
    assert "".join(pieces) == text
    assert all(x.endswith("。") for x in pieces[:-1])  # cut after sentence ends


def test_scan_of_long_single_line_keeps_whole_file_offsets(tmp_path):
    from moli.pii.files import MAX_PIECE, scan_file

    p = tmp_path / "long.txt"
    text = "啊" * (MAX_PIECE + 1234) + "电话13945671234"
    p.write_text(text, encoding="utf-8")
    rec = next(scan_file(p, kinds={"PHONE"}))
    f = rec["findings"][0]
    assert text[f["start"]:f["end"]] == "13945671234"


def test_bom_at_file_start_is_dropped(tmp_path):
    p = tmp_path / "bom.jsonl"
    p.write_bytes(b'\xef\xbb\xbf{"id":1,"text":"a"}\n{"id":2,"text":"b"}\n')
    assert [obj["id"] for _, obj in iter_jsonl(p)] == [1, 2]
    skipped = []
    assert [obj["id"] for _, obj in iter_jsonl(p, skip_bad=True, skipped=skipped)] == [1, 2] and skipped == []
    # only at the start: a U+FEFF later in the text is content
    t = tmp_path / "bom.txt"
    t.write_bytes(b"\xef\xbb\xbfab\n\xef\xbb\xbfc\n")
    assert [ln for _, ln in decoded_lines(t)] == ["ab\n", "\ufeffc\n"]


@pytest.mark.parametrize("kw, hint", [({}, "--skip-bad"), ({"skip_flag": "--allow-partial"}, "--allow-partial"),
                                       ({"skip_flag": None}, None)])
def test_skip_hint_is_the_callers_flag(tmp_path, kw, hint):
    p = tmp_path / "bad.jsonl"
    p.write_text('{"id": 1}\nnot json\n', encoding="utf-8")
    with pytest.raises(InputError) as exc:
        list(iter_jsonl(p, **kw))
    both = exc.value.zh + exc.value.en
    assert "line 2" in exc.value.en and all(f not in both for f in ("--skip-bad", "--allow-partial") if f != hint)
    assert (hint in exc.value.zh and hint in exc.value.en) if hint else ("可加" not in both and "to skip it" not in both)


def test_repeated_keys_renamed_only_when_asked(tmp_path):
    p = tmp_path / "dup.jsonl"
    p.write_text('{"手机": "1", "手机": "2", "x": {"a": 1, "a": 2}}\n', encoding="utf-8")
    assert [obj for _, obj in iter_jsonl(p)] == [{"手机": "2", "x": {"a": 2}}]  # json.loads, as before
    renamed = []
    (_, obj), = iter_jsonl(p, renamed=renamed)
    assert obj == {"手机": "1", "手机 (2)": "2", "x": {"a": 1, "a (2)": 2}} and type(obj) is dict
    assert renamed == [(1, "手机", "手机 (2)")]
