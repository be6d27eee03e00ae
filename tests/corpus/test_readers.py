import io

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from moli.core.errors import InputError
from moli.corpus.document import Document, Removed
from moli.corpus.readers import (
    expand_inputs,
    extract_html_selectolax,
    extract_html_trafilatura,
    read_file,
    soffice_path,
)

from .conftest import FIXTURES


def _read_all(paths, **kw):
    out = {}
    for f in expand_inputs(paths):
        for item in read_file(f, **kw):
            doc = item.document if isinstance(item, Removed) else item
            out[doc.id] = item
    return out


def test_every_format_reads_and_bad_files_are_recorded(bad_docs):
    items = _read_all([str(bad_docs / "*")])
    docs = {k: v for k, v in items.items() if isinstance(v, Document)}
    bad = {k: v for k, v in items.items() if isinstance(v, Removed)}
    # records keep their id_field ids; files get their relative path
    assert {"law-93a3acc412b9", "dup-exact", "pii-1", "csv-1", "report.md", "notice.txt", "page.html",
            "standard.docx"} <= set(docs)
    first = (bad_docs / "report.md").read_text(encoding="utf-8").splitlines()[0]
    assert docs["report.md"].meta["title"] == first.removeprefix("# ")
    assert docs["csv-1"].meta["issuer"] == "国务院"
    assert docs["law-93a3acc412b9"].meta["title"] == "中华人民共和国户口登记条例"
    reasons = {k: v.reason for k, v in bad.items()}
    assert reasons["corrupt.pdf"] in ("corrupt_pdf", "unreadable")
    assert reasons["encrypted.docx"] == "encrypted_or_ole"
    assert reasons["empty.html"] == "no_text"
    assert reasons["binary.txt"] == "binary_file"
    assert reasons["laws.jsonl.gz#11"] == "bad_json"
    assert reasons["no-text"] == "missing_field:text"
    for v in bad.values():
        assert str(bad_docs) in v.document.meta["error"]  # the message names the file


def test_docx_keeps_paragraph_and_table_order(tmp_path):
    import docx

    d = docx.Document()
    d.add_paragraph("第一章 总则")
    t = d.add_table(rows=2, cols=2)
    t.cell(0, 0).text, t.cell(0, 1).text = "项目", "要求"
    t.cell(1, 0).text, t.cell(1, 1).text = "数据", "分类分级"
    d.add_paragraph("第二章 附则")
    p = tmp_path / "t.docx"
    d.save(p)
    (doc,) = _read_all([str(p)]).values()
    assert doc.text == "第一章 总则\n项目 | 要求\n数据 | 分类分级\n第二章 附则"


def test_pdf_without_text_layer_is_flagged_needs_ocr(tmp_path):
    from pypdf import PdfWriter

    w = PdfWriter()
    w.add_blank_page(width=595, height=842)
    buf = io.BytesIO()
    w.write(buf)
    (tmp_path / "scan.pdf").write_bytes(buf.getvalue())
    (item,) = _read_all([str(tmp_path / "scan.pdf")]).values()
    assert isinstance(item, Removed) and item.reason == "needs_ocr"
    assert item.document.meta["needs_ocr"] is True


def test_pdf_text_layer_is_read():
    (doc,) = _read_all([str(FIXTURES / "pdf" / "standard.pdf")]).values()
    assert "核电厂" in doc.text and doc.meta["pages"] >= 1


def test_parquet_and_fsspec_memory_url():
    import fsspec

    table = pa.table({"id": ["a", "b"], "text": ["第一条 数据安全。", "第二条 个人信息。"], "year": [2021, 2021]})
    buf = io.BytesIO()
    pq.write_table(table, buf)
    fs = fsspec.filesystem("memory")
    fs.pipe("/corpus-test/part.parquet", buf.getvalue())
    fs.pipe("/corpus-test/sub/x.txt", "第三条 测试文本。".encode())
    items = _read_all(["memory://corpus-test/**"])
    assert items["a"].text == "第一条 数据安全。" and items["a"].meta["year"] == 2021
    assert items["sub/x.txt"].text == "第三条 测试文本。"


def test_missing_input_is_a_clear_error(tmp_path):
    with pytest.raises(InputError) as exc:
        expand_inputs([str(tmp_path / "nothing" / "*.jsonl")])
    assert exc.value.field == "input.paths" and "nothing" in exc.value.zh


def test_html_extractors_drop_navigation_and_scripts(docs_dir):
    html = (docs_dir / "page.html").read_text(encoding="utf-8")
    for fn in (extract_html_selectolax, extract_html_trafilatura):
        text, title = fn(html)
        assert "第一条" in text, fn.__name__
        assert "不应出现的脚本文字" not in text and "ICP备" not in text, fn.__name__
        assert "土地调查条例" in (title or "")


def test_doc_without_libreoffice_names_the_missing_tool(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))  # no soffice on PATH
    assert soffice_path() is None
    (tmp_path / "old.doc").write_bytes((FIXTURES / "doc" / "standard.doc").read_bytes())
    (item,) = _read_all([str(tmp_path / "old.doc")]).values()
    assert item.reason == "missing_tool:soffice" and "LibreOffice" in item.document.meta["error"]
    assert "soffice" in item.document.meta["error"]


@pytest.mark.slow
@pytest.mark.skipif(soffice_path() is None, reason="LibreOffice (soffice) is not installed")
def test_doc_is_converted_with_libreoffice():
    (doc,) = _read_all([str(FIXTURES / "doc" / "standard.doc")]).values()
    assert isinstance(doc, Document) and doc.meta["format"] == "doc"
    assert "核电厂" in doc.text and "编制说明" in doc.text
