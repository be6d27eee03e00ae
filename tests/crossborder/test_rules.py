"""The rule files load, validate, and refuse malformed content with the file and key named."""

from __future__ import annotations

import shutil

import pytest
import yaml

from moli.core.errors import ConfigError
from moli.crossborder.rules import DATA_DIR, load_rulebook, rulebook


def test_packaged_rules_load_and_every_entry_is_cited():
    rb = rulebook()
    assert {r.id for r in rb.regimes} == {"order16_2024", "orders11_13_2022"}
    for item in [*rb.rules.values(), *rb.thresholds.values(), *rb.obligations, *rb.questions.values(),
                 *rb.dates.values(), *rb.regimes]:
        assert item.source and all(s in rb.sources for s in item.source)
        assert item.confidence in ("V1", "V2", "UNVERIFIED")
    assert rb.value("sa_general_min") == 1_000_000 and rb.value("sa_sensitive_min") == 10_000
    assert rb.value("scc_general_min") == 100_000 and rb.value("scc_sensitive_min") == 1
    sh = rb.lists["shanghai_ftz_lingang_2024"]
    assert str(sh.effective) == "2025-02-08" and set(sh.zones) == {"shanghai_ftz", "lingang"}
    assert len(sh.scenarios) == 6 and sh.counts["data_items"] == 84
    city = rb.lists["shanghai_citywide_2026"]
    assert "shanghai_other" in city.zones and len(city.sectors) == 4


def test_regime_boundaries():
    import datetime as dt

    rb = rulebook()
    assert rb.regime_for(dt.date(2024, 3, 22)).id == "order16_2024"
    assert rb.regime_for(dt.date(2024, 3, 21)).id == "orders11_13_2022"
    assert rb.regime_for(dt.date(2022, 9, 1)).id == "orders11_13_2022"
    assert rb.regime_for(dt.date(2022, 8, 31)) is None


def _copy(tmp_path):
    for name in ("rules.yaml", "negative_lists.yaml"):
        shutil.copy(DATA_DIR / name, tmp_path / name)
    return tmp_path / "rules.yaml", tmp_path / "negative_lists.yaml"


def _edit(path, fn):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    fn(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


@pytest.mark.parametrize("mutate, file, key", [
    (lambda d: d["rules"]["important_data"].pop("source"), "rules.yaml", "rules.important_data.source"),
    (lambda d: d["rules"]["ciio_pi"].update(confidence="V9"), "rules.yaml", "rules.ciio_pi.confidence"),
    (lambda d: d["rules"]["ciio_pi"].update(source=["S99"]), "rules.yaml", "rules.ciio_pi.source"),
    (lambda d: d["rules"].pop("volume_exempt"), "rules.yaml", "rules"),
    (lambda d: d["thresholds"][0].update(value=-1), "rules.yaml", "thresholds.0.value"),
    (lambda d: d["lists"][0]["zones"].append("atlantis"), "negative_lists.yaml", "lists.0.zones.2"),
    (lambda d: d["lists"][0]["scenarios"][0].update(sector="space"), "negative_lists.yaml", "lists.0"),
])
def test_malformed_rules_name_file_and_key(tmp_path, mutate, file, key):
    rp, lp = _copy(tmp_path)
    _edit(rp if file == "rules.yaml" else lp, mutate)
    with pytest.raises(ConfigError) as info:
        load_rulebook(rp, lp)
    assert file in info.value.zh and file in info.value.en
    assert key in info.value.en, info.value.en


def test_yaml_syntax_error_names_line(tmp_path):
    rp, lp = _copy(tmp_path)
    lines = rp.read_text(encoding="utf-8").splitlines()
    lines[20] = "  broken: [unclosed"
    rp.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_rulebook(rp, lp)
    assert "rules.yaml" in info.value.en and "line" in info.value.en
