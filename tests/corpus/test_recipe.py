import pytest
import yaml

from moli.core.errors import ConfigError
from moli.corpus.recipe import load_recipe

from .conftest import write_recipe


def _write(tmp_path, data):
    p = tmp_path / "r.yaml"
    p.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return p


BASE = {"name": "x", "input": {"paths": ["does-not-exist/*.jsonl"]}, "steps": [{"normalize": {}}],
        "output": {"path": "out"}}


def test_issue_recipe_shape_loads_with_defaults(tmp_path):
    p = write_recipe(tmp_path / "r.yaml", inputs=["docs/**/*.html", "more/*.jsonl"], out="out/pudong-gov")
    r = load_recipe(p)
    assert [s.name for s in r.steps] == ["normalize", "language", "quality", "pii", "dedup_exact", "dedup_near"]
    assert r.steps[0].t2s is True and r.steps[-1].threshold == 0.8
    assert r.output_dir == str((tmp_path / "out" / "pudong-gov").resolve())
    assert len(r.hash()) == 64 and r.hash() == load_recipe(p).hash()


def test_unknown_step_fails_before_any_input_is_read(tmp_path):
    # the input path does not exist: the error must be about the step, not the input
    p = _write(tmp_path, {**BASE, "steps": [{"normalize": {}}, {"dedupe": {}}]})
    with pytest.raises(ConfigError) as exc:
        load_recipe(p)
    assert exc.value.field == "steps[1].dedupe"
    assert "dedupe" in exc.value.zh and "steps[1]" in exc.value.en


def test_wrong_parameter_type_names_the_key(tmp_path):
    p = _write(tmp_path, {**BASE, "steps": [{"dedup_near": {"threshold": "high"}}]})
    with pytest.raises(ConfigError) as exc:
        load_recipe(p)
    assert exc.value.field == "steps[0].dedup_near.threshold"


def test_unknown_parameter_and_unknown_top_level_key(tmp_path):
    with pytest.raises(ConfigError) as exc:
        load_recipe(_write(tmp_path, {**BASE, "steps": [{"normalize": {"t2s": True, "colour": 1}}]}))
    assert exc.value.field == "steps[0].normalize.colour"
    with pytest.raises(ConfigError) as exc:
        load_recipe(_write(tmp_path, {**BASE, "outptu": {}}))
    assert exc.value.field == "outptu"
    with pytest.raises(ConfigError) as exc:
        load_recipe(_write(tmp_path, {**BASE, "output": {"path": "o", "shard_size": "many"}}))
    assert exc.value.field == "output.shard_size"


def test_bad_yaml_names_the_line(tmp_path):
    p = tmp_path / "r.yaml"
    p.write_text("name: x\nsteps: [normalize\n", encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_recipe(p)
    assert "line" in exc.value.en
