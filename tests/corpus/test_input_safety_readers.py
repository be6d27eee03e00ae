"""Bad inputs are recorded per file and the run goes on (corrupt PDFs, GBK file names, folders,
JSON arrays, empty .doc files)."""

import json
import logging
import os

import pyarrow.parquet as pq
import pytest

from moli.core.errors import InputError
from moli.corpus.document import Document, Removed
from moli.corpus.pipeline import build
from moli.corpus.readers import JSON_ARRAY_MAX_BYTES, expand_inputs, read_file, readable_name

from .conftest import write_recipe


def _pdf(cmap_line: bytes, *, xref_shift: int = 0) -> bytes:
    """A one-page PDF whose font has a /ToUnicode CMap with ``cmap_line`` (``<0001> <4E2D>`` maps the
    page's one glyph to 中); ``xref_shift`` makes the xref offsets wrong (pypdf warns and repairs)."""
    cmap = (b"/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
            b"1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
            b"1 beginbfchar\n" + cmap_line + b"\nendbfchar\nendcmap\nend\nend\n")
    content = b"BT /F1 12 Tf 72 720 Td <0001> Tj ET"
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type0 /BaseFont /X /Encoding /Identity-H /ToUnicode 6 0 R "
        b"/DescendantFonts [7 0 R] >>",
        b"<< /Length %d >>\nstream\n" % len(cmap) + cmap + b"\nendstream",
        b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /X /CIDSystemInfo << /Registry (Adobe) "
        b"/Ordering (Identity) /Supplement 0 >> >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, o in enumerate(objs, 1):
        offsets.append(len(out) + xref_shift)
        out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


GOOD_CMAP = b"<0001> <4E2D>"
LONG_CODE_CMAP = b"<000000000000000000000001> <4E2D>"  # pypdf: LimitReachedError, not a PdfReadError


def _items(paths):
    out = {}
    for f in expand_inputs(paths):
        for item in read_file(f):
            doc = item.document if isinstance(item, Removed) else item
            out[doc.id] = item
    return out


def test_a_pdf_library_error_is_recorded_as_corrupt_pdf_and_reading_goes_on(tmp_path, caplog):
    (tmp_path / "bad.pdf").write_bytes(_pdf(LONG_CODE_CMAP, xref_shift=3))
    (tmp_path / "good.txt").write_text("浦东新区关于加强语料库建设的通知。", encoding="utf-8")
    with caplog.at_level(logging.DEBUG):
        items = _items([str(tmp_path / "*")])
    bad = items["bad.pdf"]
    assert isinstance(bad, Removed) and bad.reason == "corrupt_pdf"
    error = bad.document.meta["error"]
    assert str(tmp_path / "bad.pdf") in error and "LimitReachedError" in error
    assert "pypdf" in error  # its warnings are counted in the message, not printed on their own
    assert not [r for r in caplog.records if r.name.startswith("pypdf")]
    assert isinstance(items["good.txt"], Document)


def test_pypdf_warnings_are_counted_per_file_not_logged(tmp_path, caplog):
    (tmp_path / "shifted.pdf").write_bytes(_pdf(GOOD_CMAP, xref_shift=3))
    with caplog.at_level(logging.DEBUG):
        (f,) = expand_inputs([str(tmp_path / "shifted.pdf")])
        items = list(read_file(f))
    assert not [r for r in caplog.records if r.name.startswith("pypdf")]
    (item,) = items
    doc = item.document if isinstance(item, Removed) else item
    assert "中" in doc.text
    assert doc.meta["pdf_warnings"] >= 1
    assert logging.getLogger("pypdf").propagate  # restored after the read


def _gbk_file(folder, name: str, text: str) -> bytes:
    raw = os.fsencode(str(folder)) + b"/" + name.encode("gbk")
    with open(raw, "wb") as fh:
        fh.write(text.encode("utf-8"))
    return raw


def test_a_gbk_file_name_gives_a_decoded_id_and_the_file_is_still_read(tmp_path):
    _gbk_file(tmp_path, "通知二.txt", "浦东新区关于加强语料库建设的通知。各单位认真执行。\n")
    (f,) = expand_inputs([str(tmp_path / "*.txt")])
    assert f.rel == "通知二.txt" and f.url.endswith("/通知二.txt")
    f.url.encode("utf-8")  # valid UTF-8, no surrogates
    (doc,) = list(read_file(f))
    assert isinstance(doc, Document) and doc.id == "通知二.txt" and "语料库" in doc.text
    doc.source.encode("utf-8")


def test_readable_name_tries_utf8_then_gb18030_else_escapes():
    assert readable_name("通知.txt") == "通知.txt"
    assert readable_name(os.fsdecode("通知二.txt".encode("gbk"))) == "通知二.txt"
    odd = readable_name(os.fsdecode(b"a\xff\xff\xff.txt"))
    odd.encode("utf-8")
    assert odd.startswith("a") and odd.endswith(".txt") and "\\x" in odd


def test_a_build_with_a_gbk_name_and_a_corrupt_pdf_finishes(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    _gbk_file(src, "通知二.txt", "浦东新区关于加强语料库建设的通知。各单位认真执行。\n")
    (src / "bad.pdf").write_bytes(_pdf(LONG_CODE_CMAP))
    recipe = write_recipe(tmp_path / "r.yaml", inputs=["in/*"], out="out/c", steps=[{"normalize": {}}])
    from moli.corpus.recipe import load_recipe

    build(load_recipe(recipe), workers=1)
    out = tmp_path / "out" / "c"
    kept = [r for p in sorted((out / "data").glob("*.parquet")) for r in pq.read_table(p).to_pylist()]
    assert [r["id"] for r in kept] == ["通知二.txt"]
    removed = [r for p in sorted((out / "removed").glob("*.parquet")) for r in pq.read_table(p).to_pylist()]
    assert [(r["id"], r["reason"]) for r in removed] == [("bad.pdf", "corrupt_pdf")]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert "通知二.txt" in json.dumps(manifest, ensure_ascii=False)


def test_a_folder_given_as_a_path_is_an_error_suggesting_a_glob(tmp_path):
    (tmp_path / "many").mkdir()
    (tmp_path / "many" / "a.txt").write_text("文字。", encoding="utf-8")
    for pattern in ("many", "many/"):
        with pytest.raises(InputError) as exc:
            expand_inputs([pattern], base_dir=tmp_path)
        assert "many/**" in exc.value.zh and "many/**" in exc.value.en
    assert [f.rel for f in expand_inputs(["many/**"], base_dir=tmp_path)] == ["a.txt"]


def test_nothing_readable_is_an_error_naming_patterns_and_skipped_suffixes(tmp_path):
    (tmp_path / "x.xyz").write_text("x")
    (tmp_path / "y.sha256").write_text("x")
    with pytest.raises(InputError) as exc:
        expand_inputs(["x.xyz"], base_dir=tmp_path)
    assert "x.xyz" in exc.value.en and ".xyz" in exc.value.en
    with pytest.raises(InputError) as exc:
        expand_inputs(["*"], base_dir=tmp_path)
    assert ".xyz" in exc.value.zh and ".sha256" in exc.value.zh
    (tmp_path / "ok.txt").write_text("文字。", encoding="utf-8")  # some files fine: the rest are skipped
    assert [f.rel for f in expand_inputs(["*"], base_dir=tmp_path)] == ["ok.txt"]


def test_a_json_array_file_is_read_as_records(tmp_path):
    (tmp_path / "arr.json").write_text(
        '\n  [{"id": "j1", "text": "第一条。", "issuer": "国务院"}, 7, {"text": "第三条。"}]', encoding="utf-8")
    (tmp_path / "lines.json").write_text('{"id": "l1", "text": "一行。"}\n{"id": "l2", "text": "两行。"}\n',
                                         encoding="utf-8")
    (tmp_path / "broken.json").write_text('[{"id": "b1", ', encoding="utf-8")
    items = _items([str(tmp_path / "*.json")])
    assert isinstance(items["j1"], Document) and items["j1"].text == "第一条。"
    assert items["j1"].meta["issuer"] == "国务院"
    assert items["arr.json#2"].reason == "bad_json" and "item 2" in items["arr.json#2"].document.meta["error"]
    assert items["arr.json#3"].text == "第三条。"
    assert items["l1"].text == "一行。" and items["l2"].text == "两行。"  # a .json starting with { is JSON Lines
    assert items["broken.json"].reason == "bad_json"


def test_a_json_array_over_the_size_cap_says_to_use_json_lines(tmp_path, monkeypatch):
    import moli.corpus.readers as readers

    assert JSON_ARRAY_MAX_BYTES >= 64 * 1024 * 1024
    monkeypatch.setattr(readers, "JSON_ARRAY_MAX_BYTES", 100)
    (tmp_path / "big.json").write_text(json.dumps([{"text": "字" * 20}] * 10, ensure_ascii=False), encoding="utf-8")
    (item,) = _items([str(tmp_path / "big.json")]).values()
    assert item.reason == "json_too_large" and "JSON Lines" in item.document.meta["error"]


def test_an_empty_doc_names_the_doc_format(tmp_path):
    (tmp_path / "empty.doc").write_bytes(b"")
    (tmp_path / "empty.docx").write_bytes(b"")
    items = _items([str(tmp_path / "*")])
    doc_err = items["empty.doc"].document.meta["error"]
    assert items["empty.doc"].reason == "empty"
    assert "DOC " in doc_err and "DOCX" not in doc_err
    assert "DOCX" in items["empty.docx"].document.meta["error"]
