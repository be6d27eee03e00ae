"""Demo content (演示数据): a real-looking event calendar from the seed's events, and a news-title
classification competition built from THUCNews titles, plus an expert-judged track.

``load(session)`` is idempotent (running it twice adds nothing). ``build_demo_competition()``
regenerates the committed data under ``data/demo_cls/`` from ``../shared`` (run once by a developer).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from moli.core.errors import ConfigError
from moli.events import service
from moli.events.models import Competition, Event
from moli.events.schemas import EventIn, load_competition_yaml, parse_competition

DATA = Path(__file__).resolve().parent / "data"
DEMO_CLS = DATA / "demo_cls"
THUCNEWS = "data/classification/thucnews_titles.jsonl"  # relative to the shared folder


def build_demo_competition(per_class_train: int = 30, per_class_test: int = 30) -> dict:
    """Write train.jsonl (with labels), test_inputs.jsonl (no labels) and answers.jsonl (hidden)
    from THUCNews titles (MIT-licensed repository 649453932/Chinese-Text-Classification-Pytorch),
    taking titles per class in sha1 order so the selection is reproducible."""
    from moli.core.paths import shared_dir

    rows = [json.loads(line) for line in (shared_dir() / THUCNEWS).open(encoding="utf-8")]
    rows.sort(key=lambda r: hashlib.sha1(("demo-cls:" + r["id"]).encode()).hexdigest())
    train, test, seen = [], [], {}
    for r in rows:
        k = seen.get(r["label"], 0)
        if k < per_class_train:
            train.append(r)
        elif k < per_class_train + per_class_test:
            test.append(r)
        seen[r["label"]] = k + 1
    DEMO_CLS.mkdir(parents=True, exist_ok=True)

    def write(name: str, items: list[dict]) -> None:
        tmp = DEMO_CLS / (name + ".tmp")
        tmp.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), encoding="utf-8")
        tmp.replace(DEMO_CLS / name)

    write("train.jsonl", [{"id": r["id"], "text": r["text"], "label": r["label"], "label_zh": r["label_zh"]}
                          for r in train])
    write("test_inputs.jsonl", [{"id": r["id"], "text": r["text"]} for r in test])
    write("answers.jsonl", [{"id": r["id"], "label": r["label"]} for r in test])
    return {"train": len(train), "test": len(test)}


BASELINE_TEAM = "基线：字二元朴素贝叶斯 / baseline: char-bigram naive Bayes"


def _bigrams(text: str) -> list[str]:
    t = "".join(ch for ch in text if not ch.isspace())
    return [t[i:i + 2] for i in range(len(t) - 1)] or [t]


def baseline_predictions() -> bytes:
    """A small, honest baseline for the demo board: multinomial naive Bayes over character bigrams
    (add-one smoothing), trained on train.jsonl, predicting test_inputs.jsonl."""
    import math
    from collections import Counter, defaultdict

    train = [json.loads(x) for x in (DEMO_CLS / "train.jsonl").read_text(encoding="utf-8").splitlines()]
    test = [json.loads(x) for x in (DEMO_CLS / "test_inputs.jsonl").read_text(encoding="utf-8").splitlines()]
    counts: dict[str, Counter] = defaultdict(Counter)
    docs = Counter(r["label"] for r in train)
    for r in train:
        counts[r["label"]].update(_bigrams(r["text"]))
    vocab = {g for c in counts.values() for g in c}
    totals = {lab: sum(c.values()) for lab, c in counts.items()}
    out = []
    for r in test:
        grams = _bigrams(r["text"])
        best = max(docs, key=lambda lab: math.log(docs[lab]) + sum(
            math.log((counts[lab][g] + 1) / (totals[lab] + len(vocab))) for g in grams))
        out.append(json.dumps({"id": r["id"], "label": best}, ensure_ascii=False))
    return ("\n".join(out) + "\n").encode("utf-8")


def _events() -> list[dict]:
    raw = yaml.safe_load((DATA / "demo_events.yaml").read_text(encoding="utf-8"))
    for i, e in enumerate(raw["events"]):
        if not e.get("source") or "confidence" not in e:
            raise ConfigError(f"demo_events.yaml 第 {i + 1} 个活动缺少 source/confidence",
                              f"demo_events.yaml event {i + 1} needs source and confidence", field=f"events[{i}]")
    return raw["events"]


def load(session: Session) -> dict:
    """Load the demo events, roadshow slots, the demo classification competition and the judged
    track; returns what was added (all zeros on a second run)."""
    added = {"events": 0, "slots": 0, "competitions": 0}
    for e in _events():
        if session.scalar(select(Event.id).where(Event.slug == e["slug"])) is not None:
            continue
        fields = {k: v for k, v in e.items() if k not in ("confidence", "roadshow")}
        ev = service.create_event(session, EventIn.model_validate(fields), publish=True)
        added["events"] += 1
        if e.get("roadshow"):
            rs = e["roadshow"]
            start = rs["start"] if isinstance(rs["start"], datetime) else datetime.fromisoformat(str(rs["start"]))
            service.add_slots(session, ev, start, int(rs["minutes"]), int(rs["count"]))
            added["slots"] += int(rs["count"])
    session.flush()
    if session.scalar(select(Competition.id).where(Competition.slug == "demo-cls")) is None:
        service.create_competition_from_yaml(session, DEMO_CLS / "comp.yaml")
        added["competitions"] += 1
    comp = session.scalar(select(Competition).where(Competition.slug == "demo-cls"))
    if service.get_team(session, comp, BASELINE_TEAM) is None and service.open_phase(session, comp) is not None:
        team = service.create_team(session, comp, BASELINE_TEAM)
        session.commit()
        sub = service.submit(session, comp, team, baseline_predictions(), file_name="baseline_char_bigram_nb.jsonl")
        service.score_submission(session, sub.id)
        added["baseline_public_score"] = sub.public_score
    judged = yaml.safe_load((DATA / "demo_judged.yaml").read_text(encoding="utf-8"))
    if session.scalar(select(Competition.id).where(Competition.slug == judged["id"])) is None:
        judged.pop("source", None)
        judged.pop("confidence", None)
        service.create_competition(session, parse_competition(judged, "demo_judged.yaml"), DATA)
        added["competitions"] += 1
    session.flush()
    return added


def demo_spec():
    return load_competition_yaml(DEMO_CLS / "comp.yaml")
