"""Table fixtures generated with Faker zh_CN (seeded) in every format the scanner reads."""

import csv
import json

import pytest
from faker import Faker

from moli.pii import validators as v

COLUMNS = ["客户姓名", "身份证号", "mobile_phone", "email", "地址", "card_no", "company_name", "备注"]


def make_rows(n: int = 40, seed: int = 11) -> list[dict]:
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    rows = []
    for i in range(n):
        partial = "6222" + str(10**13 + i * 7919)[:13]
        rows.append({
            "客户姓名": fake.name(), "身份证号": fake.ssn(), "mobile_phone": fake.phone_number(),
            "email": fake.email(), "地址": fake.province() + fake.city_name() + "市" + fake.street_name() + f"{i + 1}号",
            "card_no": partial + v.luhn_check_digit(partial), "company_name": fake.company(),
            "备注": fake.sentence(),
        })
    return rows


@pytest.fixture(scope="session")
def table_rows():
    return make_rows()


@pytest.fixture(scope="session")
def table_files(tmp_path_factory, table_rows):
    d = tmp_path_factory.mktemp("tables")
    with open(d / "people.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS)
        w.writeheader()
        w.writerows(table_rows)
    with open(d / "people.jsonl", "w", encoding="utf-8") as fh:
        for r in table_rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist(table_rows), d / "people.parquet", row_group_size=16)
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("people")
    ws.append(COLUMNS)
    for r in table_rows:
        ws.append([r[c] for c in COLUMNS])
    wb.save(d / "people.xlsx")
    return {fmt: d / f"people.{fmt}" for fmt in ("csv", "jsonl", "parquet", "xlsx")}
