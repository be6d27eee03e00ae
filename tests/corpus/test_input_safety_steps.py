"""Step parameter mistakes are found when the recipe is loaded; `moli corpus card` on a folder that is
not a build output is a clear error."""

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from moli.core.errors import ConfigError, InputError
from moli.corpus.card import write_card
from moli.corpus.recipe import load_recipe
from moli.corpus.steps import Quality, load_quality_rules


def _recipe(tmp_path, quality: dict):
    p = tmp_path / "q.yaml"
    p.write_text(yaml.safe_dump({"name": "q", "input": {"paths": ["nothing-here/*"]},
                                 "steps": [{"normalize": {}}, {"quality": quality}],
                                 "output": {"path": "out/q"}}), encoding="utf-8")
    return p


def test_an_unknown_override_fails_at_recipe_load_naming_step_and_valid_rules(tmp_path):
    with pytest.raises(ConfigError) as exc:
        load_recipe(_recipe(tmp_path, {"overrides": {"min_charz": {"min": 3}}}))
    msg = exc.value.en
    assert "q.yaml" in msg and "steps[1].quality" in msg
    assert "min_charz" in msg and "min_chars" in msg and "max_symbol_ratio" in msg


def test_an_unknown_key_inside_an_override_is_refused():
    with pytest.raises(ValidationError) as exc:
        Quality(overrides={"min_chars": {"mn": 3}})
    assert "mn" in str(exc.value) and "min_lines" in str(exc.value)
    assert Quality(overrides={"min_chars": {"min": 3}}).rules()  # a valid override still works


@pytest.mark.parametrize("body, what", [
    ("rules: [1, 2]\n", "rules is a list"),
    ("- 1\n- 2\n", "top level is a list"),
    ("version: x\n", "no rules key"),
    ("rules: {a: 3}\n", "rule a is a int"),
    ("rules: {a: {metric: n_charz, min: 1, source: s, confidence: low}}\n", "unknown metric 'n_charz'"),
    ("rules: {a: {metric: n_chars, min: lots, source: s, confidence: low}}\n", "min is not a number"),
])
def test_a_malformed_rules_file_is_an_input_error_naming_file_and_shape(tmp_path, body, what):
    rules = tmp_path / f"rules-{abs(hash(body))}.yaml"
    rules.write_text(body, encoding="utf-8")
    with pytest.raises(InputError) as exc:
        Quality(rules_path=str(rules))
    assert str(rules) in exc.value.en and str(rules) in exc.value.zh
    assert what in exc.value.en and "expected rules: {name: {metric:" in exc.value.en
    with pytest.raises(InputError):  # also when the recipe is loaded, before any input is read
        load_recipe(_recipe(tmp_path, {"rules_path": str(rules)}))


def test_a_well_formed_rules_file_is_used(tmp_path):
    rules = tmp_path / "ok.yaml"
    rules.write_text("rules: {tiny: {metric: n_chars, min: 5, source: test, confidence: low}}\n", encoding="utf-8")
    assert list(load_quality_rules(str(rules))["rules"]) == ["tiny"]
    q = Quality(rules_path=str(rules), overrides={"tiny": {"min": 2}})
    assert q.rules() == [("tiny", "n_chars", 2, None, 0)]


def test_card_on_a_folder_without_manifest_is_an_input_error(tmp_path, moli_home):
    (tmp_path / "stats.json").write_text("{}", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        write_card(tmp_path)
    assert "manifest.json" in exc.value.en and "build it first" in exc.value.en
    res = subprocess.run([str(Path(sys.executable).with_name("moli")), "corpus", "card", str(tmp_path)],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 2, res.stderr
    assert "不是完整的语料输出" in res.stderr and "Traceback" not in res.stderr
