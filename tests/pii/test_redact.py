"""Redaction modes; pseudonymize: keyed, consistent, format- and validity-preserving (hypothesis)."""

import re

import pytest
from faker import Faker
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moli.core.errors import InputError
from moli.pii import detect, redact, redact_with_findings
from moli.pii import validators as v
from moli.pii.findings import Finding
from moli.pii.redact import MOBILE_PREFIXES, surrogate

STRUCT = {"PHONE", "ID_CARD", "BANK_CARD", "EMAIL", "IP_ADDRESS", "LICENSE_PLATE", "USCC", "PASSPORT"}
KEY = b"0123456789abcdef-test-key"
fake = Faker("zh_CN")


def test_tag_mask_drop():
    t = "电话13945671234，邮箱a@b.cn。"
    assert redact(t, "tag", kinds=STRUCT) == "电话[PHONE]，邮箱[EMAIL]。"
    masked = redact(t, "mask", kinds=STRUCT)
    assert len(masked) == len(t) and "13945671234" not in masked and masked.startswith("电话***********")
    assert redact(t, "drop", kinds=STRUCT) == "电话，邮箱。"


def test_unknown_mode():
    with pytest.raises(InputError) as exc:
        redact("13945671234", "blur")
    assert "blur" in exc.value.zh and "mask" in exc.value.en


def test_redact_with_findings_offsets_refer_to_input():
    t = "甲13945671234乙"
    out, found = redact_with_findings(t, "tag", kinds={"PHONE"})
    assert out == "甲[PHONE]乙" and t[found[0].start:found[0].end] == "13945671234"


ids = st.integers(0, 10**9).map(lambda s: (fake.seed_instance(s), fake.ssn())[1])
mobiles = st.integers(0, 10**9).map(lambda s: (fake.seed_instance(s), fake.phone_number())[1])
cards = st.text("0123456789", min_size=14, max_size=16).map(lambda d: "62" + d)
keys = st.binary(min_size=16, max_size=32)


def _luhn_card(prefix: str) -> str:
    return prefix + v.luhn_check_digit(prefix)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(id_=ids, mob=mobiles, card=cards.map(_luhn_card), key=keys)
def test_pseudonymize_properties(id_, mob, card, key):
    text = f"身份证：{id_}，手机：{mob}，银行卡号：{card}。"
    values = [id_, mob, card]
    found = detect(text, kinds=STRUCT)
    assert sorted(f.text for f in found) == sorted(values)
    out = redact(text, "pseudonymize", key=key, kinds=STRUCT)
    # never contains an input value
    for val in values:
        assert val not in out
    # deterministic under a key
    assert out == redact(text, "pseudonymize", key=key, kinds=STRUCT)
    # check digits stay valid and formats are kept
    new = {f.kind: f.text for f in detect(out, kinds=STRUCT)}
    assert set(new) == {"ID_CARD", "PHONE", "BANK_CARD"}
    assert v.id_checksum_ok(new["ID_CARD"]) and v.id_structure_ok(new["ID_CARD"])
    assert new["ID_CARD"][6:10] == id_[6:10]  # same birth year
    assert v.luhn_ok(new["BANK_CARD"]) and len(new["BANK_CARD"]) == len(card)
    assert new["PHONE"][:3] in MOBILE_PREFIXES and len(new["PHONE"]) == 11


@settings(max_examples=30, deadline=None)
@given(key1=keys, key2=keys)
def test_pseudonymize_depends_on_key(key1, key2):
    t = "手机13945671234，身份证110101199003074514"
    if key1 != key2:
        a = redact(t, "pseudonymize", key=key1, kinds=STRUCT)
        b = redact(t, "pseudonymize", key=key2, kinds=STRUCT)
        assert a != b


def test_consistent_within_and_across_documents():
    t1 = "张先生手机13945671234，再说一遍13945671234。"
    out = redact(t1, "pseudonymize", key=KEY, kinds={"PHONE"})
    nums = re.findall(r"1\d{10}", out)
    assert len(nums) == 2 and nums[0] == nums[1] != "13945671234"
    out2 = redact("另一份：13945671234", "pseudonymize", key=KEY, kinds={"PHONE"})
    assert nums[0] in out2


def test_formats_are_kept():
    t = "电话 +86 138-1234-5678，座机 021-58788388转123，邮箱 wang.li@163.com，车牌 沪AD12345，IP 202.96.128.86"
    out = redact(t, "pseudonymize", key=KEY, kinds=STRUCT)
    assert re.search(r"\+86 1\d\d-\d{4}-\d{4}", out)
    assert re.search(r"021-[2-9]\d{7}转\d{3}", out)
    assert re.search(r"u[a-z0-9]{9}@163\.com", out)
    assert re.search(r"沪A[DF][A-Z0-9]\d{4}|沪A\w{6}", out)
    new = detect(out, kinds=STRUCT)
    assert [f.kind for f in new] == ["PHONE", "PHONE", "EMAIL", "LICENSE_PLATE", "IP_ADDRESS"]
    for old in ("138-1234-5678", "58788388", "wang.li@163.com", "AD12345", "202.96.128.86"):
        assert old not in out


def test_person_keeps_surname_and_length():
    for name in ("张伟", "欧阳娜娜", "李建国"):
        f = Finding("PERSON", 0, len(name), name)
        s = surrogate(f, KEY)
        assert s != name and len(s) == len(name)
        sur = "欧阳" if name.startswith("欧阳") else name[0]
        assert s.startswith(sur)
        assert surrogate(f, KEY) == s


def test_address_keeps_divisions():
    a = "浙江省杭州市西湖区文三路826号"
    s = surrogate(Finding("ADDRESS", 0, len(a), a), KEY)
    assert s.startswith("浙江省杭州市西湖区") and s != a and "文三路826号" not in s and s.endswith("号")


def test_avoid_other_input_values():
    f = Finding("PERSON", 0, 2, "张伟")
    first = surrogate(f, KEY)
    again = surrogate(f, KEY, avoid=frozenset({"张伟", first}))
    assert again not in ("张伟", first)


def test_cued_names_policy_redacts_only_announced_names():
    t = "习近平总书记指出……联系人姓名：卿逸男\n联系电话：58788388-64516。卿逸男负责答复。"
    out = redact(t, "tag", names="cued")
    assert "卿逸男" not in out and out.count("[PERSON]") == 2 and "习近平" in out and "[PHONE]" in out
    assert "习近平" not in redact(t, "tag")  # names="all" (default) redacts every name
    with pytest.raises(InputError):
        redact_with_findings(t, "tag", names="some")
