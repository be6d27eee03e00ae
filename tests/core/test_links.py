import pytest

from moli.core.errors import InputError
from moli.core.links import check_web_url, href, safe_href


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JavaScript:alert(1)", " java\tscript:alert(1)",
                                 "java\nscript:alert(1)", "\x01javascript:alert(1)", "data:text/html,<script>x</script>",
                                 "vbscript:msgbox(1)", "//evil.example/x", "/\\evil.example", "http:///nohost",
                                 "ftp://files.example/x", "mailto:a@b.example", ""])
def test_anything_but_a_web_address_is_no_link(url):
    assert safe_href(url) is None and href(url) == "#"


@pytest.mark.parametrize("url", ["https://example.org/a?b=1#c", "HTTP://Example.org", "/corpus/demo?version=1"])
def test_web_addresses_and_site_paths_stay_links(url):
    assert safe_href(url) == url and href(url) == url


def test_a_submitted_link_must_be_a_web_address():
    assert check_web_url("  https://example.org/x ") == "https://example.org/x"
    assert check_web_url("") == ""
    for bad in ("javascript:alert(1)", "/local/path", "example.org"):
        with pytest.raises(InputError, match="http:// 或 https://"):
            check_web_url(bad)
