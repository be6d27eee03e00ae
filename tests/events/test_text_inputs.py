"""Event and competition texts as stored: a lone surrogate (YAML's or JSON's "\\udc00") or a control
character is refused naming the key, never a 500 at the database."""

from __future__ import annotations

import pytest

from moli.core.errors import InputError
from moli.events import service
from tests.events.helpers import write_competition


@pytest.mark.parametrize(("key", "value"), [("title", "沙龙\udc00"), ("venue", "\udc00"), ("description", "a\u0000b"),
                                            ("tags", ["topic:语料", "\udc00"])])
def test_event_text_is_checked(session, key, value):
    data = {"slug": "salon-x", "title": "沙龙", "venue": "张江", key: value}
    with pytest.raises(InputError) as e:
        service.create_event(session, data, publish=True)
    assert e.value.field == key and ("代理码位" in e.value.zh or "控制字符" in e.value.zh)
    ev = service.create_event(session, {"slug": "salon-y", "title": "沙龙", "venue": "张江", "description": "第一行\n第二行"})
    assert ev.description == "第一行\n第二行"


def test_events_yaml_with_an_escaped_surrogate_is_refused(session, tmp_path):
    path = tmp_path / "events.yaml"
    path.write_text('events:\n  - {slug: ev-1, title: "路演\\udc00日", online: true}\n', encoding="utf-8")
    with pytest.raises(InputError) as e:
        service.create_events_from_yaml(session, path)
    assert e.value.field == "events[0].title" and "代理码位" in e.value.zh


def test_competition_yaml_with_an_escaped_surrogate_is_refused(session, tmp_path):
    path, _ = write_competition(tmp_path, extra={"organiser": "\udc00"})
    with pytest.raises(InputError) as e:
        service.create_competition_from_yaml(session, path)
    assert e.value.field == "organiser" and "代理码位" in e.value.zh
