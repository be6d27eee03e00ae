"""Helpers for the events tests: write a small competition to disk and create it."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from moli.events import service

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "events"
LABELS = ["finance", "sports", "politics", "science"]


def write_competition(tmp: Path, *, slug: str = "t-cls", n: int = 40, metric: str = "accuracy",
                      daily_limit: int = 5, total_limit: int = 100, start: str = "2026-01-01T00:00:00+08:00",
                      end: str = "2026-12-31T00:00:00+08:00", unique_labels: bool = False, extra: dict | None = None,
                      scorer: str | None = None) -> tuple[Path, dict[str, str]]:
    tmp.mkdir(parents=True, exist_ok=True)
    answers = {f"q{i:05d}": (f"SECRET-{i:05d}-标签" if unique_labels else LABELS[(i * 7) % 4]) for i in range(n)}
    (tmp / "answers.jsonl").write_text("".join(json.dumps({"id": k, "label": v}, ensure_ascii=False) + "\n"
                                               for k, v in answers.items()), encoding="utf-8")
    (tmp / "inputs.jsonl").write_text("".join(json.dumps({"id": k, "text": f"文本 {k}"}, ensure_ascii=False) + "\n"
                                              for k in answers), encoding="utf-8")
    spec = {"id": slug, "title": "测试分类赛", "title_en": "Test classification", "metric": metric,
            "answers": "answers.jsonl", "public_fraction": 0.5,
            "data": [{"name": "test_inputs.jsonl", "path": "inputs.jsonl", "description": "测试输入"}],
            "phases": [{"name": "main", "start": start, "end": end, "daily_limit": daily_limit,
                        "total_limit": total_limit}]}
    spec.update(extra or {})
    if scorer is not None:
        (tmp / "myscorer.py").write_text(scorer, encoding="utf-8")
    path = tmp / "comp.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return path, answers


def make_competition(session, tmp: Path, **kw):
    path, answers = write_competition(tmp, **kw)
    comp = service.create_competition_from_yaml(session, path)
    session.commit()
    return comp, answers


def jsonl(preds: dict[str, str]) -> bytes:
    return "".join(json.dumps({"id": k, "label": v}, ensure_ascii=False) + "\n" for k, v in preds.items()).encode()
