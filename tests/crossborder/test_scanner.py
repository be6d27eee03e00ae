"""The scanner on real files in every format, a SQL table and a corpus folder, with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from moli.core.errors import InputError
from moli.crossborder.distinct import DistinctCounter, HyperLogLog, digests
from moli.crossborder.scanner import ScanOptions, scan

from .conftest import write_csv, write_jsonl, write_parquet, write_xlsx

WRITERS = {"csv": write_csv, "jsonl": write_jsonl, "parquet": write_parquet, "xlsx": write_xlsx}


@pytest.mark.parametrize("fmt", list(WRITERS))
def test_formats_count_distinct_people(tmp_path, people, fmt):
    path = WRITERS[fmt](tmp_path / f"orders.{fmt}", people.rows)
    r = scan([path])
    assert r["rows"] == len(people.rows)
    assert r["individuals"] == people.individuals
    assert r["sensitive_individuals_by_profile"]["pipl_gbt45574_2025"] == people.sensitive_pipl
    assert r["sensitive_individuals_by_profile"]["gbt35273_2020_strict"] == people.sensitive_strict
    assert r["method"] == "exact" and not r["partial"]
    cols = {c["column"]: c for c in r["sources"][0]["columns"]}
    assert cols["身份证号"]["kind"] == "ID_CARD" and cols["身份证号"]["role"] == "identifier"
    assert cols["银行卡号"]["kind"] == "BANK_CARD" and cols["银行卡号"]["sensitive"]["pipl_gbt45574_2025"] is True
    assert cols["手机号"]["kind"] == "PHONE" and cols["邮箱"]["kind"] == "EMAIL"
    assert cols["金额"]["role"] == "none"


def test_people_across_files_counted_once(tmp_path, people):
    a = write_csv(tmp_path / "a.csv", people.rows[:300])
    b = write_parquet(tmp_path / "b.parquet", people.rows[200:])
    r = scan([a, b])
    assert r["individuals"] == people.individuals
    assert r["rows"] == 300 + len(people.rows) - 200


def test_sql_table_streamed(tmp_path, people):
    import sqlalchemy as sa

    url = f"sqlite:///{tmp_path / 'crm.db'}"
    engine = sa.create_engine(url)
    md = sa.MetaData()
    t = sa.Table("customers", md, *[sa.Column(h, sa.String) for h in people.rows[0]])
    md.create_all(engine)
    with engine.begin() as conn:
        conn.execute(t.insert(), people.rows)
    engine.dispose()
    r = scan(sql=url, table="customers", options=ScanOptions(batch_rows=100))
    assert r["rows"] == len(people.rows) and r["individuals"] == people.individuals
    with pytest.raises(InputError) as info:
        scan(sql=url, table="nope")
    assert "nope" in info.value.en


def test_corpus_folder_free_text(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    (tmp_path / "out" / "data").mkdir(parents=True)
    docs = [
        {"id": "d1", "text": "客户张伟的手机号是13812345678，请尽快回电处理退款事宜，谢谢配合。"},
        {"id": "d2", "text": "再次联系：电话 +86 138-1234-5678，邮箱 zhangwei@example.com，订单已经发货。"},
        {"id": "d3", "text": "今天上海天气晴朗，浦东新区举办人工智能大会，吸引了众多企业参展。"},
        {"id": "d4", "text": "王芳的邮箱 wangfang@example.org 已更新，请同步到客户关系管理系统中。"},
    ]
    pq.write_table(pa.Table.from_pylist(docs), tmp_path / "out" / "data" / "part-0000.parquet")
    r = scan([tmp_path / "out"])
    cols = {c["column"]: c for c in r["sources"][0]["columns"]}
    assert cols["text"]["role"] == "text"
    assert cols["text"]["kinds_found"]["PHONE"] == 2 and cols["text"]["kinds_found"]["EMAIL"] == 2
    # the same phone in d1 and d2 is one person; every other identifier in a text cell counts as
    # its own person (a cell may name several people): the two emails -> 3 in all
    assert r["individuals"] == 3


def test_declared_key_and_sensitive_column(tmp_path):
    rows = [{"会员号": f"M{i % 40}", "诊断": "高血压" if i % 2 else "", "城市": "上海"} for i in range(200)]
    path = write_jsonl(tmp_path / "members.jsonl", rows)
    r = scan([path], options=ScanOptions(key_columns=("会员号",), sensitive_columns=("诊断",)))
    assert r["individuals"] == 40  # the declared key identifies a person: 40 members
    # members M1, M3, ... carry a diagnosis: 20 people with sensitive PI
    assert r["sensitive_individuals"] == 20
    with pytest.raises(InputError) as info:
        scan([path], options=ScanOptions(key_columns=("客户号",)))
    assert info.value.field == "--key"


def test_rows_without_identifier_counted_one_each(tmp_path):
    rows = [{"姓名": n, "地址": "上海市浦东新区世纪大道100号"} for n in ["张伟", "王芳", "张伟", "李娜"]]
    r = scan([write_jsonl(tmp_path / "n.jsonl", rows)])
    assert r["individuals"] == 4 and r["unidentified_rows"] == 4
    assert any("conservative" in n["en"] for n in r["notes"])


def test_unreadable_file_named_and_partial(tmp_path, people):
    good = write_csv(tmp_path / "good.csv", people.rows)
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"this is not parquet")
    with pytest.raises(InputError) as info:
        scan([good, bad])
    assert "bad.parquet" in info.value.zh and "bad.parquet" in info.value.en
    r = scan([good, bad], options=ScanOptions(allow_partial=True))
    assert r["partial"] and r["errors"][0]["source"].endswith("bad.parquet")
    assert r["individuals"] == people.individuals
    with pytest.raises(InputError) as info:
        scan([tmp_path / "missing.csv"])
    assert "missing.csv" in info.value.en


def test_malformed_csv_row(tmp_path, people):
    path = write_csv(tmp_path / "x.csv", people.rows[:50])
    with open(path, "a", encoding="utf-8") as fh:
        fh.write("only,three,fields\n")
    with pytest.raises(InputError) as info:
        scan([path])
    assert "x.csv" in info.value.en
    r = scan([path], options=ScanOptions(allow_partial=True))
    assert r["partial"] and r["rows"] == 50
    assert r["sources"][0]["skipped_rows"][0]["line"] is not None


def _csv_bytes(rows: list[dict]) -> str:
    import csv
    import io

    from .conftest import HEADER

    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=HEADER, lineterminator="\r\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig"])
def test_gbk_and_bom_csv_count_as_utf8(tmp_path, people, encoding):
    """What Excel writes on Chinese Windows (GBK/GB18030) and UTF-8 with a BOM read like plain UTF-8;
    25 copies of the rows make the file larger than a 1 MB block, so characters straddle block ends."""
    rows = people.rows * 25
    text = _csv_bytes(rows)
    path = tmp_path / f"orders_{encoding}.csv"
    path.write_bytes(text.encode(encoding))
    assert path.stat().st_size > 1 << 20
    r = scan([path])
    assert r["rows"] == len(rows) and r["individuals"] == people.individuals
    assert r["sensitive_individuals_by_profile"]["pipl_gbt45574_2025"] == people.sensitive_pipl
    cols = {c["column"]: c for c in r["sources"][0]["columns"]}
    assert cols["身份证号"]["kind"] == "ID_CARD" and cols["姓名"]["non_empty"] == len(rows)
    if encoding.startswith("gb"):
        assert r["sources"][0]["encoding"] == "gb18030"
        assert any("GB18030" in n["zh"] and path.name in n["zh"] for n in r["notes"])
    else:
        assert r["sources"][0]["encoding"] == "utf-8"
        assert not any("GB18030" in n["zh"] for n in r["notes"])


def test_csv_neither_utf8_nor_gb18030_names_file_and_byte(tmp_path):
    head = "姓名,手机号\n张伟,13812345678\n".encode("gbk")
    path = tmp_path / "broken.csv"
    path.write_bytes(head + b"\xff\xff,13900000000\n")
    with pytest.raises(InputError) as info:
        scan([path])
    e = info.value
    assert e.zh.startswith(f"{path}：") and f"字节偏移 {len(head)} 处" in e.zh and "GB18030" in e.zh
    assert f"at byte offset {len(head)}" in e.en and "UTF-8" in e.en
    # a UTF-8 file with one stray GBK line: the offset is where that line starts
    good = "姓名,手机号\n张伟,13812345678\n".encode()
    mixed = tmp_path / "mixed.csv"
    mixed.write_bytes(good + "李娜,13900000000\n".encode("gbk"))
    with pytest.raises(InputError) as info:
        scan([mixed])
    assert f"字节偏移 {len(good)} 处" in info.value.zh
    # the header itself undecodable
    hdr = tmp_path / "hdr.csv"
    hdr.write_bytes(b"\xff\xfe\x00a,b\n1,2\n")
    with pytest.raises(InputError) as info:
        scan([hdr])
    assert "hdr.csv" in info.value.zh and "字节偏移 0 处" in info.value.zh


def test_csv_explicit_encoding(tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_bytes("姓名,手机号\n张伟,13812345678\n".encode("gbk"))
    assert scan([path], options=ScanOptions(encoding="gbk"))["individuals"] == 1
    with pytest.raises(InputError) as info:
        scan([path], options=ScanOptions(encoding="utf-8"))
    assert "gbk.csv" in info.value.zh and "UTF-8" in info.value.zh and "字节偏移 0 处" in info.value.zh
    with pytest.raises(InputError) as info:
        scan([path], options=ScanOptions(encoding="no-such-codec"))
    assert info.value.field == "--encoding"


def test_source_names_hide_the_stored_path(tmp_path, people):
    """An upload stored as 00_good.csv in a server folder is shown as good.csv, in results and errors."""
    good = write_csv(tmp_path / "00_good.csv", people.rows[:50])
    bad_csv = tmp_path / "01_corrupt.csv"
    bad_csv.write_bytes(b"\xff\xfe\xfd,\x00\n1,2\n")
    bad_pq = tmp_path / "02_bad.parquet"
    bad_pq.write_bytes(b"nope")
    bad_jsonl = tmp_path / "03_bad.jsonl"
    bad_jsonl.write_text('{"手机号": "13812345678"}\nnot json\n', encoding="utf-8")
    names = {"00_good.csv": "good.csv", "01_corrupt.csv": "corrupt.csv", "02_bad.parquet": "bad.parquet",
             "03_bad.jsonl": "bad.jsonl"}
    r = scan([good, bad_csv, bad_pq, bad_jsonl], options=ScanOptions(allow_partial=True, source_names=names))
    assert r["sources"][0]["source"] == "good.csv"
    shown = repr(r)
    assert str(tmp_path) not in shown and "00_good" not in shown and "01_corrupt" not in shown
    assert {e["source"] for e in r["errors"]} >= {"corrupt.csv", "bad.parquet"}
    assert "good.csv:身份证号" in r["identifier_columns"]
    for f in (bad_csv, bad_pq):
        with pytest.raises(InputError) as info:
            scan([f], options=ScanOptions(source_names=names))
        assert str(tmp_path) not in f"{info.value.zh}{info.value.en}{info.value.field}{info.value}"
        assert info.value.zh.startswith(names[f.name])


def test_unsupported_format(tmp_path):
    p = tmp_path / "a.docx"
    p.write_text("x")
    with pytest.raises(InputError) as info:
        scan([p])
    assert ".docx" in info.value.en


def test_hyperloglog_beyond_exact_limit(tmp_path):
    rows = [{"手机号": f"139{i:08d}"} for i in range(30000)]
    r = scan([write_parquet(tmp_path / "p.parquet", rows)], options=ScanOptions(exact_limit=5000))
    assert r["method"] == "hyperloglog"
    assert abs(r["individuals"] - 30000) / 30000 < 0.03
    assert any("HyperLogLog" in n["en"] for n in r["notes"])


def test_distinct_counter_exact_then_sketch():
    c = DistinctCounter(exact_limit=10_000, chunk=1000)
    c.add(str(i % 7000) for i in range(50_000))
    assert c.method == "exact" and c.count() == 7000
    c.add(str(i) for i in range(100_000))
    assert c.method == "hyperloglog"
    assert abs(c.count() - 100_000) / 100_000 < 0.03


def test_hll_small_and_merge():
    a, b = HyperLogLog(12), HyperLogLog(12)
    a.add_hashes(digests(str(i) for i in range(3000)))
    b.add_hashes(digests(str(i) for i in range(2000, 6000)))
    assert abs(a.estimate() - 3000) < 3000 * 0.05
    a.merge(b)
    assert abs(a.estimate() - 6000) < 6000 * 0.05
    assert HyperLogLog(12).estimate() == 0
    assert np.all(a.registers <= 64)


def test_sql_table_on_the_configured_database(db_url, people):
    """The same SQL scan on SQLite and (with -m postgres) PostgreSQL, streamed with yield_per."""
    import sqlalchemy as sa

    engine = sa.create_engine(db_url)
    md = sa.MetaData()
    t = sa.Table("cb_scan_customers", md, sa.Column("id", sa.Integer, primary_key=True),
                 *[sa.Column(h, sa.String(200)) for h in people.rows[0]])
    md.create_all(engine)
    with engine.begin() as conn:
        conn.execute(t.insert(), people.rows)
    engine.dispose()
    r = scan(sql=db_url, table="cb_scan_customers", options=ScanOptions(batch_rows=128))
    assert r["rows"] == len(people.rows) and r["individuals"] == people.individuals
    assert r["sensitive_individuals_by_profile"]["pipl_gbt45574_2025"] == people.sensitive_pipl


def test_jsonl_keys_that_appear_late_are_scanned(tmp_path):
    rows = [{"订单": i} for i in range(9000)] + [{"订单": 9000 + i, "手机号": f"1390000{i:04d}"} for i in range(50)]
    r = scan([write_jsonl(tmp_path / "late.jsonl", rows)])
    cols = {c["column"]: c for c in r["sources"][0]["columns"]}
    assert cols["手机号"]["kind"] == "PHONE" and r["individuals"] == 50


def test_columns_named_for_sensitive_categories_count_without_being_declared(tmp_path):
    rows = [{"会员号": f"M{i % 40}", "手机号": f"138{i % 40:08d}", "诊断": "高血压" if i % 2 else "",
             "消费记录": "购物" if i % 5 == 0 else "", "检验批次": "B1", "城市": "上海"} for i in range(200)]
    r = scan([write_jsonl(tmp_path / "members.jsonl", rows)])
    cols = {c["column"]: c for c in r["sources"][0]["columns"]}
    assert cols["诊断"]["sensitive_category"] == "medical_health" and cols["诊断"]["role"] == "pi"
    assert cols["消费记录"]["sensitive_category"] == "property_transactions"
    assert "sensitive_category" not in cols["检验批次"] and cols["检验批次"]["role"] == "none"  # product inspection
    assert r["individuals"] == 40
    # the odd phone numbers carry a diagnosis: 20 people; transactions (every 5th row, all even
    # numbers) count only under the strict GB/T 35273 profile: 20 + 4 more there
    assert r["sensitive_individuals_by_profile"] == {"pipl_gbt45574_2025": 20, "gbt35273_2020_strict": 24}
    note = next(n for n in r["notes"] if "by their name" in n["en"])
    assert "诊断（医疗健康信息）" in note["zh"] and "消费记录" in note["zh"]
    # English headers match whole tokens only: "interface_id" is not a face
    from moli.crossborder.scanner import sensitive_header

    assert sensitive_header("patient_diagnosis")[0] == "medical_health"
    assert sensitive_header("monthlySalary")[0] == "financial_account"
    assert sensitive_header("interface_id") is None and sensitive_header("流水号") is None


def test_a_misleading_column_name_can_be_excluded(tmp_path):
    rows = [{"手机号": f"138{i:08d}", "行程安排": "展会", "诊断": "高血压"} for i in range(10)]
    path = write_jsonl(tmp_path / "staff.jsonl", rows)
    assert scan([path])["sensitive_individuals"] == 10
    r = scan([path], options=ScanOptions(plain_columns=("行程安排",)))
    cols = {c["column"]: c for c in r["sources"][0]["columns"]}
    assert "sensitive_category" not in cols["行程安排"] and cols["行程安排"]["role"] == "none"
    assert cols["诊断"]["sensitive_category"] == "medical_health" and r["sensitive_individuals"] == 10
    r = scan([path], options=ScanOptions.from_dict({"plain_columns": ["行程安排", "诊断"]}))
    assert r["sensitive_individuals"] == 0 and r["individuals"] == 10
    with pytest.raises(InputError) as info:
        scan([path], options=ScanOptions(plain_columns=("没有这列",)))
    assert info.value.field == "--not-sensitive-column" and "没有这列" in info.value.zh


def test_text_that_mentions_sensitive_information_makes_its_person_sensitive(tmp_path):
    notes = ["客户来电咨询退货流程，已告知办理方式。", "客户称三年前被诊断为二型糖尿病，要求更换包装。",
             "客户说明其年收入约30万元，申请提高额度。", "客户询问今天门店几点关门，附近哪家医院开门。"]
    rows = [{"手机号": f"138{i:08d}", "备注": notes[i % 4] + "请回电确认办理结果并记录。"} for i in range(40)]
    path = write_jsonl(tmp_path / "calls.jsonl", rows)
    r = scan([path])
    cols = {c["column"]: c for c in r["sources"][0]["columns"]}
    assert cols["备注"]["role"] == "none"  # a short note column: not searched for identifiers, read for mentions
    assert cols["备注"]["sensitive_mentions"] == {"medical_health": 10, "financial_account": 10}
    # 40 callers; the 10 with a diagnosis and the 10 with an income are sensitive under both profiles;
    # 医院 in passing is not a statement about the caller
    assert r["individuals"] == 40
    assert r["sensitive_individuals_by_profile"] == {"pipl_gbt45574_2025": 20, "gbt35273_2020_strict": 20}
    note = next(n for n in r["notes"] if "mentions sensitive" in n["en"])
    assert "备注 列 10 条医疗健康信息" in note["zh"] and "--not-sensitive-column" in note["en"]
    # a column the user says is not sensitive is not read for mentions
    r = scan([path], options=ScanOptions(plain_columns=("备注",)))
    assert r["sensitive_individuals"] == 0 and "sensitive_mentions" not in r["sources"][0]["columns"][1]
    # without personal information in the row, a mention is about nobody
    anon = write_jsonl(tmp_path / "anon.jsonl", [{"备注": notes[1] + "请回电确认办理结果并记录。"}] * 5)
    r = scan([anon])
    assert r["individuals"] == 0 and r["sensitive_individuals"] == 0


def test_a_text_cell_that_names_its_person_and_a_diagnosis_is_sensitive(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    (tmp_path / "out" / "data").mkdir(parents=True)
    docs = [{"id": "d1", "text": "柯志远，81岁，手机13945671234，近期因头晕被诊断为高血压，主治医师为其开具了立普妥。"},
            {"id": "d2", "text": "钟立诚的手机号是15943217890，他的快递明天送达，请保持电话畅通，谢谢配合。"},
            {"id": "d3", "text": "再次提醒：13945671234 的机主请于周五前到社区医院复查，携带既往史资料。"}]
    pq.write_table(pa.Table.from_pylist(docs), tmp_path / "out" / "data" / "part-0000.parquet")
    r = scan([tmp_path / "out"])
    cols = {c["column"]: c for c in r["sources"][0]["columns"]}
    # d1 and d3 are the same person (same phone), with health information; d2 is not sensitive
    assert r["individuals"] == 2 and r["sensitive_individuals"] == 1
    assert cols["text"]["sensitive_mentions"] == {"medical_health": 2}


def test_a_long_text_column_named_for_a_sensitive_category_is_sensitive(tmp_path):
    record = "主诉头痛三天，伴有恶心，查体血压偏高，建议进一步检查并按时服药，一周后到门诊复查，如有不适随时就诊。"  # no listed phrase
    rows = [{"手机号": f"139{i:08d}", "病历": record if i % 2 else ""} for i in range(10)]
    r = scan([write_jsonl(tmp_path / "clinic.jsonl", rows)])
    cols = {c["column"]: c for c in r["sources"][0]["columns"]}
    assert cols["病历"]["role"] == "text" and cols["病历"]["sensitive_category"] == "medical_health"
    assert r["individuals"] == 10 and r["sensitive_individuals"] == 5  # the five with a record
    r = scan([write_jsonl(tmp_path / "clinic.jsonl", rows)], options=ScanOptions(plain_columns=("病历",)))
    assert r["sensitive_individuals"] == 0


def test_a_bad_mention_file_is_named(tmp_path, monkeypatch):
    from moli.core.errors import ConfigError
    from moli.crossborder import rules, scanner

    (tmp_path / "sensitive_headers.yaml").write_bytes((rules.DATA_DIR / "sensitive_headers.yaml").read_bytes())
    (tmp_path / "sensitive_mentions.yaml").write_text("categories:\n  weather: ['台风']\n", encoding="utf-8")
    monkeypatch.setattr(rules, "DATA_DIR", tmp_path)
    scanner.mention_patterns.cache_clear()
    scanner._sensitive_headers.cache_clear()
    try:
        with pytest.raises(ConfigError) as info:
            scanner.mention_patterns()
        assert "sensitive_mentions.yaml" in info.value.en and "weather" in info.value.en
        (tmp_path / "sensitive_mentions.yaml").write_text("categories:\n  medical_health: ['(诊断']\n", encoding="utf-8")
        scanner.mention_patterns.cache_clear()
        with pytest.raises(ConfigError, match="sensitive_mentions.yaml"):
            scanner.mention_patterns()
    finally:
        scanner.mention_patterns.cache_clear()
        scanner._sensitive_headers.cache_clear()


def test_a_product_description_is_not_someones_biometrics(tmp_path):
    from moli.crossborder.scanner import is_note_header, sensitive_mentions

    rows = [{"手机号": f"137{i:08d}", "商品描述": "智能指纹锁，支持虹膜识别", "订单备注": "指纹锁请放快递柜"} for i in range(8)]
    r = scan([write_jsonl(tmp_path / "orders.jsonl", rows)])
    assert r["individuals"] == 8 and r["sensitive_individuals"] == 0
    assert is_note_header("订单备注") and is_note_header("Remarks") and not is_note_header("备用电话")
    assert sensitive_mentions("已采集该员工的指纹信息和人脸照片") == ["biometric"]


def test_csv_utf8_then_another_encoding_past_the_first_block_says_so(tmp_path):
    lines = ["姓名,手机"] + [f"王建国{i},1381234{i % 10000:04d}" for i in range(60_000)]  # > 1 MB of UTF-8 first
    path = tmp_path / "later.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode() + "李娜,13987654321\n".encode("gbk"))
    with pytest.raises(InputError) as info:
        scan([path])
    assert "不是有效的 UTF-8 编码" in info.value.zh and "--encoding" in info.value.zh
    assert "引号" not in info.value.zh and "not valid UTF-8" in info.value.en
