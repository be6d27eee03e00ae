from datetime import UTC, datetime

from moli.web.templating import format_date, format_datetime, format_number, format_pct, nav_items


def test_dates_are_shown_in_shanghai_time():
    utc = datetime(2026, 11, 30, 17, 30, tzinfo=UTC)
    assert format_datetime(utc) == "2026-12-01 01:30"  # UTC+8 crosses midnight
    assert format_date(utc) == "2026-12-01"
    assert format_datetime(datetime(2026, 11, 30, 17, 30)) == "2026-12-01 01:30"  # SQLite's naive UTC
    assert format_datetime(None) == "—"


def test_numbers_and_percentages():
    assert format_number(1234567) == "1,234,567" and format_number(2.5) == "2.50" and format_number(None) == "—"
    assert format_pct(0.456) == "46%" and format_pct(None) == "—"


def test_navigation_is_chinese_first_and_complete():
    hrefs = [h for h, _, _ in nav_items()]
    required = ["/", "/corpus", "/crossborder", "/market", "/outbound", "/events", "/jobs"]
    assert [h for h in hrefs if h in required] == required  # in this order; features may add more
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in zh) and en.isascii() for _, zh, en in nav_items())
