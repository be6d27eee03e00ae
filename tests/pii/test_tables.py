"""Column scan over CSV / JSONL / Parquet / XLSX, header meaning, iterator API, bad input."""

import pytest

from moli.core.errors import InputError
from moli.pii import classify_columns, iter_table_rows, scan_table
from moli.pii.tables import header_kind

EXPECTED = {"客户姓名": "PERSON", "身份证号": "ID_CARD", "mobile_phone": "PHONE", "email": "EMAIL",
            "card_no": "BANK_CARD", "company_name": None}


@pytest.mark.parametrize("header,kind", [
    ("客户姓名", "PERSON"), ("联系人电话", "PHONE"), ("身份证号码", "ID_CARD"), ("name", "PERSON"),
    ("customerName", "PERSON"), ("company_name", None), ("user_name", None), ("Mobile Phone", "PHONE"),
    ("家庭住址", "ADDRESS"), ("统一社会信用代码", "USCC"), ("备注", None), ("client_ip", "IP_ADDRESS"),
])
def test_header_kind(header, kind):
    assert header_kind(header) == kind


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet", "xlsx"])
def test_scan_table_every_format(fmt, table_files, table_rows):
    rep = scan_table(table_files[fmt]).to_dict()
    assert rep["rows"] == len(table_rows) and rep["format"] == fmt
    cols = {c["column"]: c for c in rep["columns"]}
    for col, kind in EXPECTED.items():
        assert cols[col]["kind"] == kind, (fmt, col, cols[col])
    n = len(table_rows)
    assert cols["身份证号"]["kinds"]["ID_CARD"] == n
    assert cols["mobile_phone"]["kinds"]["PHONE"] == n
    assert cols["card_no"]["kinds"]["BANK_CARD"] == n
    assert cols["客户姓名"]["kinds"]["PERSON"] >= 0.9 * n
    assert cols["地址"]["kind"] == "ADDRESS"
    assert cols["card_no"]["sensitive"] == {"pipl_gbt45574_2025": True, "gbt35273_2020_strict": True}
    assert cols["身份证号"]["sensitive"]["gbt35273_2020_strict"] is True


def test_sample_rows_limits_reading(table_files):
    assert scan_table(table_files["csv"], sample_rows=5).rows == 5


def test_iter_rows_and_classify(table_files, table_rows):
    rows = list(iter_table_rows(table_files["parquet"]))
    assert rows == table_rows
    it = iter_table_rows(table_files["csv"])
    sample = [next(it) for _ in range(10)]
    kinds = classify_columns(list(sample[0]), sample)
    assert {c: kinds[c] for c in EXPECTED} == EXPECTED


def test_csv_ragged_row_and_skip_bad(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("姓名,手机\n张伟,13945671234\n李娜\n王芳,13812345678\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        scan_table(p)
    assert "3" in exc.value.zh and "record 3" in exc.value.en
    rep = scan_table(p, skip_bad=True)
    assert rep.rows == 2 and rep.skipped[0][0] == 3


def test_non_utf8_csv_names_byte_offset(tmp_path):
    p = tmp_path / "gbk.csv"
    data = "姓名,手机\n张伟,13945671234\n".encode("gbk")
    p.write_bytes(data)
    with pytest.raises(InputError) as exc:
        scan_table(p)
    assert str(p) in exc.value.en and "byte offset 0" in exc.value.en
    rep = scan_table(p, encoding="gbk")
    assert rep.rows == 1 and {c.name: c.kind for c in rep.columns}["手机"] == "PHONE"


def test_unsupported_and_missing(tmp_path):
    with pytest.raises(InputError):
        scan_table(tmp_path / "x.docx")
    with pytest.raises(InputError):
        scan_table(tmp_path / "missing.csv")
    bad = tmp_path / "broken.parquet"
    bad.write_bytes(b"not parquet")
    with pytest.raises(InputError) as exc:
        scan_table(bad)
    assert "Parquet" in exc.value.en


def test_repeated_csv_columns_kept_apart(tmp_path):
    p = tmp_path / "dup.csv"
    p.write_text("手机,手机,姓名,手机 (2)\n13812345678,13987654321,王建国,x\n", encoding="utf-8")
    renamed = []
    rows = list(iter_table_rows(p, renamed=renamed))
    assert rows == [{"手机": "13812345678", "手机 (3)": "13987654321", "姓名": "王建国", "手机 (2)": "x"}]
    assert renamed == [(1, "手机", "手机 (3)")]
    rep = scan_table(p)
    assert [c.name for c in rep.columns] == ["手机", "手机 (3)", "姓名", "手机 (2)"]
    assert [c.kind for c in rep.columns][:2] == ["PHONE", "PHONE"]
    assert rep.to_dict()["renamed_columns"] == [{"line": 1, "column": "手机", "renamed_to": "手机 (3)"}]
    # the contract for other readers (crossborder): rows are dicts without the renamed list, classify works
    assert list(iter_table_rows(p))[0]["手机 (3)"] == "13987654321"
    assert classify_columns(rows[0], rows)["手机 (3)"] == "PHONE"


def test_repeated_xlsx_jsonl_parquet_columns_kept_apart(tmp_path):
    import openpyxl
    import pyarrow as pa
    import pyarrow.parquet as pq

    x = tmp_path / "dup.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["手机", "手机", None, None])
    wb.active.append(["13812345678", "13987654321", "a", "b"])
    wb.save(x)
    assert list(iter_table_rows(x)) == [{"手机": "13812345678", "手机 (2)": "13987654321", "column_3": "a",
                                         "column_4": "b"}]
    j = tmp_path / "dup.jsonl"
    j.write_text('{"手机": "13812345678", "手机": "13987654321"}\n' * 3, encoding="utf-8")
    rep = scan_table(j)
    assert [(c.name, c.non_empty) for c in rep.columns] == [("手机", 3), ("手机 (2)", 3)]
    assert rep.renamed == [(1, "手机", "手机 (2)")]  # once, not once per line
    q = tmp_path / "dup.parquet"
    pq.write_table(pa.table([pa.array(["13812345678"]), pa.array(["13987654321"])], names=["手机", "手机"]), q)
    assert list(iter_table_rows(q)) == [{"手机": "13812345678", "手机 (2)": "13987654321"}]


def test_csv_cell_over_128_kib(tmp_path):
    p = tmp_path / "big.csv"
    p.write_text("id,备注\n1," + "长" * 200_000 + "电话13812345678\n2,短\n", encoding="utf-8")
    rows = list(iter_table_rows(p))
    assert len(rows) == 2 and rows[0]["备注"].endswith("13812345678")
    from moli.pii import tables

    huge = tmp_path / "huge.csv"
    with open(huge, "w", encoding="utf-8") as fh:
        fh.write("id,备注\n1,a\n2,")
        fh.write("x" * (tables.MAX_CSV_FIELD + 10))
        fh.write("\n")
    with pytest.raises(InputError) as exc:
        list(iter_table_rows(huge))
    assert "record 3" in exc.value.en and "第 3 条记录" in exc.value.zh and str(huge) in exc.value.en


def test_sample_rows_must_be_positive(table_files):
    for n in (0, -1):
        with pytest.raises(InputError) as exc:
            scan_table(table_files["csv"], sample_rows=n)
        assert exc.value.field == "--sample-rows"


def test_csv_skip_hint_is_the_callers_flag(tmp_path):
    p = tmp_path / "ragged.csv"
    p.write_text("a,b\n1,2\n3\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        list(iter_table_rows(p, skip_flag="--allow-partial"))
    assert "--allow-partial" in exc.value.en and "--skip-bad" not in exc.value.en + exc.value.zh
