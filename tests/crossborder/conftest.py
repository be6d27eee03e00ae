"""Generated datasets for the scanner tests: real files in every format, with a known answer."""

from __future__ import annotations

import csv
import json
import random
from dataclasses import dataclass
from pathlib import Path

import pytest

HEADER = ["订单号", "姓名", "身份证号", "手机号", "邮箱", "银行卡号", "金额", "城市", "备注", "状态"]


@dataclass
class People:
    rows: list[dict]
    individuals: int              # distinct persons (by ID number)
    sensitive_pipl: int           # persons with a bank card or who are under 14
    sensitive_strict: int         # every person with an ID number (GB/T 35273 strict)


def make_people(n_people: int = 120, n_rows: int = 600, seed: int = 7, minors: int = 5) -> People:
    from faker import Faker

    fake = Faker("zh_CN")
    Faker.seed(seed)
    rnd = random.Random(seed)
    people = []
    for i in range(n_people):
        minor = i < minors
        people.append({
            "姓名": fake.name(),
            "身份证号": fake.ssn(min_age=3, max_age=12) if minor else fake.ssn(min_age=20, max_age=70),
            "手机号": fake.phone_number(),
            "邮箱": fake.email(),
            "银行卡号": fake.credit_card_number(card_type="unionpay") if i % 3 == 0 else "",
            "minor": minor,
        })
    rows = []
    for j in range(n_rows):
        p = people[j % n_people] if j < n_people else rnd.choice(people)
        rows.append({"订单号": str(100000 + j), "姓名": p["姓名"], "身份证号": p["身份证号"], "手机号": p["手机号"],
                     "邮箱": p["邮箱"], "银行卡号": p["银行卡号"], "金额": str(rnd.randint(1, 999)),
                     "城市": fake.city(), "备注": "无", "状态": "ok"})
    ids = {p["身份证号"] for p in people}
    sens = {p["身份证号"] for p in people if p["银行卡号"] or p["minor"]}
    return People(rows, len(ids), len(sens), len(ids))


def write_csv(path: Path, rows: list[dict]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=HEADER)
        w.writeheader()
        w.writerows(rows)
    return path


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    with open(path, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r, ensure_ascii=False) + "\n")
    return path


def write_parquet(path: Path, rows: list[dict]) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.Table.from_pylist(rows), path)
    return path


def write_xlsx(path: Path, rows: list[dict]) -> Path:
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(HEADER)
    for r in rows:
        ws.append([r[h] for h in HEADER])
    wb.save(path)
    return path


@pytest.fixture(scope="session")
def people() -> People:
    return make_people()
