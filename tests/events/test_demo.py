"""The demo content loads, is idempotent, and its competition can be entered and scored."""

import json

from moli.events import demo, service
from moli.events.demo import DEMO_CLS
from moli.text.metrics import macro_f1


def test_demo_load_is_idempotent_and_scores(session):
    first = demo.load(session)
    session.commit()
    assert first["events"] >= 8 and first["slots"] == 8 and first["competitions"] == 2
    assert 0.3 < first["baseline_public_score"] < 1.0  # the char-bigram baseline beats chance (0.1)
    assert demo.load(session) == {"events": 0, "slots": 0, "competitions": 0}
    titles = [e.title for e in service.list_events(session, None)]
    assert any("世界人工智能大会" in t for t in titles) and any("数据要素" in t for t in titles)
    assert any("模力浦东行" in t for t in titles) and any("全球数商大会" in t for t in titles)
    comp = service.get_competition(session, "demo-cls")
    assert comp.n_answers == 300 and comp.metric == "macro_f1"
    answers = [json.loads(x) for x in (DEMO_CLS / "answers.jsonl").read_text(encoding="utf-8").splitlines()]
    train = [json.loads(x) for x in (DEMO_CLS / "train.jsonl").read_text(encoding="utf-8").splitlines()]
    assert not {a["id"] for a in answers} & {t["id"] for t in train}
    # a majority-class baseline scores far below a perfect file, and both are accepted
    team = service.create_team(session, comp, "基线队")
    data = "".join(json.dumps({"id": a["id"], "label": "sports"}) + "\n" for a in answers).encode()
    sub = service.score_submission(session, service.submit(session, comp, team, data).id)
    assert sub.status == "scored" and sub.public_score < 0.1
    pub = service.scoring.public_ids("demo-cls", [a["id"] for a in answers], 0.5)
    expected = macro_f1(["sports"] * len(pub), [a["label"] for a in answers if a["id"] in pub])
    assert abs(sub.public_score - expected) < 1e-9
