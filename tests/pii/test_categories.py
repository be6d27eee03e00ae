"""Legal categories under both sensitivity profiles."""

import datetime as dt

import pytest
import yaml

from moli.core.errors import InputError
from moli.core.paths import shared_dir
from moli.pii import KINDS, is_sensitive, profiles
from moli.pii.categories import category_of, sensitivity


def test_profiles_match_crossborder_rules():
    rules = yaml.safe_load((shared_dir() / "reference" / "crossborder_rules.yaml").read_text(encoding="utf-8"))
    declared = rules["pi_categories"]["sensitivity_profiles"]
    ids = {k for k, v in declared.items() if isinstance(v, dict)}
    assert set(profiles()) == ids == {"pipl_gbt45574_2025", "gbt35273_2020_strict"}
    default = [k for k in ids if declared[k].get("default")]
    assert profiles()[0] == default[0]


@pytest.mark.parametrize("kind,pipl,strict", [
    ("BANK_CARD", True, True), ("GEO_COORDINATE", True, True), ("PASSPORT", False, True),
    ("ID_CARD", False, True), ("PHONE", False, False), ("PERSON", False, False), ("USCC", False, False),
])
def test_is_sensitive(kind, pipl, strict):
    assert is_sensitive(kind, "pipl_gbt45574_2025") is pipl
    assert is_sensitive(kind, "gbt35273_2020_strict") is strict


def test_child_id_is_sensitive_under_pipl():
    year = dt.date.today().year - 5
    first = f"110101{year}0101123"
    from moli.pii.validators import id_check_char

    child = first + id_check_char(first)
    assert is_sensitive("ID_CARD", "pipl_gbt45574_2025", value=child) is True
    assert is_sensitive("ID_CARD", "pipl_gbt45574_2025", value="110101199003074514") is False


def test_every_kind_has_a_category_and_errors_are_bilingual():
    for k in KINDS:
        assert category_of(k) and sensitivity(k, "gbt35273_2020_strict") in ("true", "false", "conditional")
    with pytest.raises(InputError) as exc:
        is_sensitive("PHONE", "gdpr")
    assert "gdpr" in exc.value.zh and "gdpr" in exc.value.en
