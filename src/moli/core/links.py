"""Links a user typed, made safe to put in an ``href``.

A user-supplied URL rendered as a link must never run script: ``javascript:``, ``data:`` or
``vbscript:`` links (and their disguises — browsers drop tabs and newlines inside a URL and ignore
case, so ``Java\tScript:`` is still script) would run in the session of whoever clicks them, a judge
or an administrator. Only web addresses and paths on this site are links.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from moli.core.errors import InputError

# What browsers strip from a URL before reading its scheme (WHATWG URL: leading/trailing C0 controls
# and spaces; tabs and newlines anywhere).
_STRIPPED = re.compile(r"[\x00-\x20\x7f]")


def safe_href(url: str | None) -> str | None:
    """``url`` when it is an http(s) address with a host or a path on this site (``/…``, not ``//…``);
    else None."""
    if not url:
        return None
    bare = _STRIPPED.sub("", url)
    if not bare or "\\" in bare:
        return None
    if bare.startswith("/"):
        return url.strip() if not bare.startswith("//") else None
    parts = urlsplit(bare)
    if parts.scheme.lower() in ("http", "https") and parts.hostname:
        return url.strip()
    return None


def href(url: str | None) -> str:
    """For templates: the link itself, or ``#`` for anything that is not a web address."""
    return safe_href(url) or "#"


def check_web_url(url: str | None, field: str = "url") -> str:
    """A link a user submits: empty, or an http(s) address (checked again when shown)."""
    url = (url or "").strip()
    if url and (safe_href(url) is None or url.startswith("/")):
        raise InputError(f"链接“{url[:80]}”不是以 http:// 或 https:// 开头的网址",
                         f"the link '{url[:80]}' is not a web address starting with http:// or https://", field=field)
    return url
