"""Structured kinds: valid and invalid check digits, boundaries, full-width forms, priorities."""

import pytest
from faker import Faker

from moli.pii import detect
from moli.pii import validators as v
from moli.pii.patterns import find_patterns

STRUCT = {"PHONE", "ID_CARD", "PASSPORT", "HK_MACAO_PERMIT", "BANK_CARD", "EMAIL", "IP_ADDRESS", "LICENSE_PLATE",
          "GEO_COORDINATE", "USCC"}


def kinds_of(text):
    return [(f.kind, f.text, f.valid) for f in detect(text, kinds=STRUCT)]


def test_id_card_check_digit_valid_and_invalid():
    good = "11010119900307451" + v.id_check_char("11010119900307451")
    bad_last = "0" if good[-1] != "0" else "1"
    bad = good[:-1] + bad_last
    assert kinds_of(f"身份证号{good}。") == [("ID_CARD", good, True)]
    assert kinds_of(f"身份证号{bad}。") == [("ID_CARD", bad, False)]


def test_id_card_x_check_char_and_lowercase():
    fake = Faker("zh_CN")
    Faker.seed(7)
    ids = [fake.ssn() for _ in range(300)]
    xs = [i for i in ids if i.endswith("X")]
    assert xs, "Faker should produce some IDs ending in X"
    for i in ids[:100] + xs:
        assert kinds_of(f"证件：{i}") == [("ID_CARD", i, True)]
    low = xs[0][:-1] + "x"
    assert kinds_of(low) == [("ID_CARD", low, True)]


def test_id_card_bad_date_or_province_not_reported():
    # 1990-02-30 is not a date; province 99 does not exist
    first = "11010119900230451"
    assert not any(k == "ID_CARD" for k, _, _ in kinds_of(first + v.id_check_char(first)))
    first = "99010119900307451"
    assert not any(k == "ID_CARD" for k, _, _ in kinds_of(first + v.id_check_char(first)))


def test_id_card_embedded_in_longer_digit_run_is_not_an_id():
    first = "11010119900307451"
    good = first + v.id_check_char(first)
    assert not any(k == "ID_CARD" for k, _, _ in kinds_of("9" + good + "7"))
    assert not any(k == "ID_CARD" for k, _, _ in kinds_of("ab" + good))


def test_old_15_digit_id():
    assert kinds_of("旧身份证110101900307451号") == [("ID_CARD", "110101900307451", None)]


def test_bank_card_luhn():
    fake = Faker("zh_CN")
    Faker.seed(3)
    for _ in range(30):
        num = fake.credit_card_number()
        if len(num) < 15:
            continue
        found = kinds_of(f"卡：{num}；")
        assert found == [("BANK_CARD", num, True)], (num, found)
    partial = "622202123456789012"
    good = partial + v.luhn_check_digit(partial)
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    assert kinds_of(f"转入 {good} 。") == [("BANK_CARD", good, True)]
    assert kinds_of(f"数字 {bad} 。") == []  # Luhn fails, no card context
    assert kinds_of(f"银行卡号：{bad}") == [("BANK_CARD", bad, False)]
    grouped = " ".join(good[i:i + 4] for i in range(0, 16, 4)) + " " + good[16:]
    assert kinds_of(f"卡号 {grouped}") == [("BANK_CARD", grouped, True)]


@pytest.mark.parametrize("text,expected", [
    ("手机13945671234联系", "13945671234"),
    ("电话：+86 138-1234-5678。", "+86 138-1234-5678"),
    ("call 0086 13812345678", "0086 13812345678"),
    ("联系电话：58788388-64516", "58788388-64516"),
    ("座机 021-58788388", "021-58788388"),
    ("座机 (021)58788388转123", "(021)58788388转123"),
    ("热线 0755-88886666-8001", "0755-88886666-8001"),
    ("Tel: +86 21 58788388", "+86 21 58788388"),
    ("电话 58788388。", "58788388"),
    ("手机１３９４５６７１２３４", "１３９４５６７１２３４"),
])
def test_phone_forms(text, expected):
    assert [t for k, t, _ in kinds_of(text) if k == "PHONE"] == [expected]


def test_phone_boundaries_and_non_phones():
    assert kinds_of("订单号 213945671234567") == []  # mobile-like digits inside a longer run
    assert kinds_of("12345678901") == []  # second digit 2 is not a mobile prefix
    assert kinds_of("共计 58788388 元") == []  # bare 8 digits without a phone cue


def test_email_ip_geo_plate_passport_permit_uscc():
    t = ("邮箱 zhang.san+x@mail.example.com.cn；IP 202.96.128.86 与 2001:db8::8a2e:370:7334；"
         "坐标 31.2304,121.4737；北纬39°54′，东经116°23′；车牌 沪AD12345 与 京A·12345 与 粤B12345；"
         "护照 E12345678；通行证 C12345678；信用代码 91350100M000100Y43。")
    got = kinds_of(t)
    kinds = [k for k, _, _ in got]
    assert ("EMAIL", "zhang.san+x@mail.example.com.cn", None) in got
    assert ("IP_ADDRESS", "202.96.128.86", None) in got
    assert ("IP_ADDRESS", "2001:db8::8a2e:370:7334", None) in got
    assert ("GEO_COORDINATE", "31.2304,121.4737", None) in got
    assert any(k == "GEO_COORDINATE" and t.startswith("北纬39°54′") for k, t, _ in got)
    assert [t for k, t, _ in got if k == "LICENSE_PLATE"] == ["沪AD12345", "京A·12345", "粤B12345"]
    assert ("PASSPORT", "E12345678", None) in got
    assert ("HK_MACAO_PERMIT", "C12345678", None) in got
    assert ("USCC", "91350100M000100Y43", True) in got
    assert kinds.count("USCC") == 1
    uscc = [f for f in detect(t, kinds={"USCC"})][0]
    assert uscc.personal is False


def test_invalid_ip_and_short_decimals_are_not_reported():
    assert kinds_of("版本 1.2.3.4.5 与 999.1.1.1") == []
    assert kinds_of("比例 31.2,121.4") == []  # too coarse to be a precise location


def test_uscc_check_char():
    assert v.uscc_ok("91350100M000100Y43")
    assert not v.uscc_ok("91350100M000100Y44")
    assert kinds_of("代码 91350100M000100Y44 号") == []
    assert kinds_of("统一社会信用代码：91350100M000100Y44") == [("USCC", "91350100M000100Y44", False)]


def test_offsets_are_code_point_indices():
    t = "𠀋😀张：13945671234"
    f = find_patterns(t)[0]
    assert t[f.start:f.end] == "13945671234" == f.text


def test_unknown_kind_is_an_error():
    from moli.core.errors import InputError

    with pytest.raises(InputError) as exc:
        detect("x", kinds={"PHONES"})
    assert "PHONES" in exc.value.zh and "PHONES" in exc.value.en


def test_finding_to_dict():
    f = detect("13945671234", kinds={"PHONE"})[0]
    assert f.to_dict() == {"kind": "PHONE", "start": 0, "end": 11, "text": "13945671234", "score": f.score,
                           "valid": None, "personal": True}


def test_number_that_reads_as_id_and_card_follows_the_nearer_cue():
    n = "620102199001010257"  # a valid resident ID that also passes Luhn
    assert v.id_checksum_ok(n) and v.luhn_ok(n)
    got = kinds_of(f"银行卡号：{n}；身份证：{n}；号码 {n}")
    assert [k for k, _, _ in got] == ["BANK_CARD", "ID_CARD", "ID_CARD"]


def test_birth_year_before_1900_is_not_an_id():
    first = "11010118890307451"
    assert not any(k == "ID_CARD" for k, _, _ in kinds_of(first + v.id_check_char(first)))
