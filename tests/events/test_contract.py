"""The competition YAML contract: clear errors naming the key or line; the public/private split."""

import json

import pytest
import yaml

from moli.core.errors import InputError
from moli.events import scoring, service
from moli.events.schemas import load_competition_yaml
from tests.events.helpers import FIXTURES, make_competition, write_competition


def _spec(tmp_path, **changes):
    path, _ = write_competition(tmp_path)
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw.update(changes)
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def test_fixture_yaml_loads_with_the_contract_fields():
    spec = load_competition_yaml(FIXTURES / "comp.yaml")
    assert spec.id == "fixture-cls" and spec.metric == "accuracy" and spec.public_fraction == 0.5
    assert spec.phases[0].daily_limit == 5 and spec.phases[0].total_limit == 100
    assert spec.phases[0].start.utcoffset().total_seconds() == 8 * 3600


def test_unknown_metric_names_the_key(tmp_path):
    with pytest.raises(InputError) as e:
        load_competition_yaml(_spec(tmp_path, metric="bleu"))
    assert e.value.field == "metric"
    assert "metric" in e.value.zh and "bleu" in e.value.en and "未知" not in e.value.en
    assert "comp.yaml" in e.value.zh


def test_phase_ending_before_it_starts_names_the_phase(tmp_path):
    phases = [{"name": "main", "start": "2026-05-01T00:00:00+08:00", "end": "2026-04-01T00:00:00+08:00"}]
    with pytest.raises(InputError) as e:
        load_competition_yaml(_spec(tmp_path, phases=phases))
    assert e.value.field == "phases[0]"
    assert "ends" in e.value.en and "before it starts" in e.value.en and "phases[0]" in e.value.zh


def test_unknown_key_and_naive_dates_are_refused(tmp_path):
    with pytest.raises(InputError) as e:
        load_competition_yaml(_spec(tmp_path, answer="x.jsonl"))
    assert e.value.field == "answer" and "未知的键" in e.value.zh
    phases = [{"name": "main", "start": "2026-05-01T00:00:00", "end": "2026-06-01T00:00:00"}]
    with pytest.raises(InputError) as e:
        load_competition_yaml(_spec(tmp_path, phases=phases))
    assert e.value.field == "phases[0].start"


def test_invalid_yaml_names_the_line(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("id: x\ntitle: [unclosed\nmetric: accuracy\n", encoding="utf-8")
    with pytest.raises(InputError) as e:
        load_competition_yaml(p)
    assert "line" in e.value.en and "行" in e.value.zh


def test_duplicate_answer_id_names_the_line(session, tmp_path):
    path, _ = write_competition(tmp_path)
    with (tmp_path / "answers.jsonl").open("a", encoding="utf-8") as fh:
        fh.write(json.dumps({"id": "q00003", "label": "sports"}) + "\n")
    with pytest.raises(InputError) as e:
        service.create_competition_from_yaml(session, path)
    assert "line 41" in e.value.en and "q00003" in e.value.en and "first on line 4" in e.value.en
    assert "第 41 行" in e.value.zh
    session.rollback()
    from moli.events.models import Competition

    assert session.query(Competition).count() == 0  # nothing half-written


def test_public_data_file_that_exposes_answers_is_refused(session, tmp_path):
    path, answers = write_competition(tmp_path)
    (tmp_path / "inputs.jsonl").write_text(json.dumps({"id": "q00002", "text": "x", "label": answers["q00002"]}) + "\n")
    with pytest.raises(InputError) as e:
        service.create_competition_from_yaml(session, path)
    assert "exposes the hidden answer" in e.value.en and "q00002" in e.value.en


def test_missing_custom_scorer_module_names_metric(session, tmp_path):
    path, _ = write_competition(tmp_path, metric="custom:no_such_scorer_mod:score")
    with pytest.raises(InputError) as e:
        service.create_competition_from_yaml(session, path)
    assert e.value.field == "metric"


def test_duplicate_competition_id_is_a_conflict(session, tmp_path):
    make_competition(session, tmp_path / "a")
    with pytest.raises(service.Conflict):
        make_competition(session, tmp_path / "b")


def test_public_split_is_deterministic_exact_and_per_competition():
    ids = [f"id{i}" for i in range(1000)]
    a = scoring.public_ids("comp-a", ids, 0.3)
    assert len(a) == 300
    assert a == scoring.public_ids("comp-a", list(reversed(ids)), 0.3)  # order does not matter
    b = scoring.public_ids("comp-b", ids, 0.3)
    assert a != b and 40 < len(a & b) < 160  # independent draws overlap about 0.3 * 300 = 90
    assert len(scoring.public_ids("x", ["only", "two"], 0.01)) == 1  # both boards keep one id


def test_answers_reader_rejects_bad_lines():
    with pytest.raises(InputError) as e:
        scoring.read_jsonl_labels(['{"id": 1, "label": "a"}', "{oops"], "answers.jsonl")
    assert "line 2" in e.value.en
    with pytest.raises(InputError) as e:
        scoring.read_jsonl_labels(['{"id": 1, "label": null}'], "answers.jsonl")
    assert "line 1" in e.value.en and e.value.field == "label"


def test_validation_names_lines_even_when_the_fast_path_is_fooled():
    ids = {"a", "b", "c"}
    ok = scoring.validate_predictions(b'{"id": "a", "label": 1}\n\n{"id": "b", "label": "x"}\n{"id": "c", "label": "y"}\n', ids)
    assert ok.ok and ok.predictions == {"a": "1", "b": "x", "c": "y"}
    two_on_one = b'{"id": "a", "label": "x"}, {"id": "b", "label": "y"}\n{"id": "c", "label": "z"}\n'
    v = scoring.validate_predictions(two_on_one, ids)
    assert not v.ok and v.problems_en[0] == "line 1 is not valid JSON"
    v = scoring.validate_predictions(b'{"id": "a", "label": "x"}\n["b", "y"]\n{"id": "c", "label": "z"}\n', ids)
    assert not v.ok and "line 2 must be an object with id and label" in v.problems_en


def test_impossible_date_is_an_input_error_naming_the_key(tmp_path):
    path, _ = write_competition(tmp_path, start="2026-02-30T00:00:00+08:00")
    path.write_text(path.read_text(encoding="utf-8").replace("'2026-02-30T00:00:00+08:00'", "2026-02-30T00:00:00+08:00"),
                    encoding="utf-8")
    assert "start: 2026-02-30T00:00:00+08:00" in path.read_text(encoding="utf-8")  # unquoted, as a user writes it
    with pytest.raises(InputError) as e:
        load_competition_yaml(path)
    assert e.value.field == "phases[0].start" and "comp.yaml" in e.value.en and "日期" in e.value.zh
    assert "不是有效的日期时间" in e.value.zh and "Input should" not in e.value.zh  # the reason in Chinese


def test_own_rules_speak_chinese_first(tmp_path):
    with pytest.raises(InputError) as e:
        load_competition_yaml(_spec(tmp_path, id="Bad Id"))
    assert "小写字母" in e.value.zh and "lower-case" not in e.value.zh
    assert "lower-case" in e.value.en and "小写" not in e.value.en
    with pytest.raises(InputError) as e:
        load_competition_yaml(_spec(tmp_path, metric=None))
    assert e.value.field == "metric" and "需要 metric" in e.value.zh and "needs 'metric'" in e.value.en
    from moli.events.schemas import EventIn, parse_events

    with pytest.raises(InputError) as e:
        parse_events({"events": [{"slug": "ev-1", "title": "活动", "online": True,
                                  "starts_at": "2026-05-02T10:00:00+08:00", "ends_at": "2026-05-01T10:00:00+08:00"}]},
                     "ev.yaml")
    assert e.value.field == "events[0].ends_at" and "结束时间早于开始时间" in e.value.zh
    assert "ends before it starts" in e.value.en and "早于" not in e.value.en and "ev-1" in e.value.en
    from pydantic import ValidationError

    from moli.events.schemas import raise_validation

    with pytest.raises(ValidationError) as bad:
        EventIn.model_validate({"slug": "ev-2", "title": "x", "url": "javascript:alert(1)", "online": True})
    with pytest.raises(InputError) as e:
        raise_validation(bad.value, "event")
    assert "链接须以" in e.value.zh and "http" in e.value.en and "链接" not in e.value.en


def test_a_single_answer_id_is_refused(session, tmp_path):
    path, _ = write_competition(tmp_path, n=1)
    with pytest.raises(InputError) as e:
        service.create_competition_from_yaml(session, path)
    assert e.value.field == "answers" and "至少需要 2 个" in e.value.zh and "at least 2" in e.value.en
    comp, answers = make_competition(session, tmp_path / "two", n=2, slug="t-two")
    assert comp.n_answers == 2


def test_answers_file_with_bom_is_accepted(session, tmp_path):
    path, answers = write_competition(tmp_path)
    ans = tmp_path / "answers.jsonl"
    ans.write_bytes(b"\xef\xbb\xbf" + ans.read_bytes())
    comp = service.create_competition_from_yaml(session, path)
    assert comp.n_answers == len(answers)
    assert scoring.read_jsonl_labels(['\ufeff{"id": "a", "label": "x"}', '{"id": "b", "label": "y"}'], "s") == \
        {"a": "x", "b": "y"}
