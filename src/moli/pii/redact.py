"""Redaction: mask (same length), tag ([PHONE]), pseudonymize (keyed, consistent, format- and
validity-preserving surrogates) and drop."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import random
import re
from functools import lru_cache

from moli.core.errors import InputError
from moli.pii import validators as v
from moli.pii.findings import Finding
from moli.pii.lexicons import division_names, surnames

MODES = ("mask", "tag", "pseudonymize", "drop")
# Real mobile prefixes (MIIT numbering plan; China Mobile/Unicom/Telecom/Broadnet).
MOBILE_PREFIXES = ("130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "147", "150", "151",
                   "152", "153", "155", "156", "157", "158", "159", "166", "172", "173", "175", "176", "177",
                   "178", "180", "181", "182", "183", "184", "185", "186", "187", "188", "189", "191", "193",
                   "195", "196", "197", "198", "199")
GIVEN_CHARS = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏辉玲建林宇浩凯健俊帆帅旭宁欣怡佳琪晨阳" \
              "雪梅婷颖博文昊然子轩梓涵一诺思远嘉怡雨桐志强海燕春红晓东立新永"
ROADS = ("建设路", "人民路", "解放路", "中山路", "和平路", "新华路", "胜利路", "文化路", "长江路", "黄河路",
         "光明街", "青年路", "友谊路", "朝阳路", "幸福路")
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_DIGIT = re.compile(r"\d")


def _default_key() -> bytes:
    env = os.environ.get("MOLI_PII_KEY")
    if env:
        return env.encode()
    from moli.core.settings import get_settings

    return hmac.new(get_settings().effective_secret_key.encode(), b"moli.pii.pseudonymize", "sha256").digest()


def _rng(key: bytes, kind: str, value: str, attempt: int) -> random.Random:
    digest = hmac.new(key, f"{kind}\x00{value}\x00{attempt}".encode(), hashlib.sha256).digest()
    return random.Random(int.from_bytes(digest, "big"))


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _refill(template: str, digits: str) -> str:
    """Put ``digits`` into the digit positions of ``template`` (keeps spaces, hyphens, +86 ...)."""
    it = iter(digits)
    return _DIGIT.sub(lambda m: next(it), template)


@lru_cache(maxsize=1)
def _area_codes() -> tuple[str, ...]:
    import gzip
    from importlib import resources

    raw = resources.files("moli.pii").joinpath("data/divisions.tsv.gz").read_bytes()
    codes = [ln.split("\t")[1] for ln in gzip.decompress(raw).decode().splitlines() if ln.startswith("a\t")]
    return tuple(c for c in codes if int(c[:2]) in v.ID_PROVINCES)


@lru_cache(maxsize=1)
def _divisions_by_level() -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for name, level in division_names().items():
        out.setdefault(level, []).append(name)
    return {k: tuple(sorted(x)) for k, x in out.items()}


def _id_card(rng: random.Random, s: str) -> str:
    area = rng.choice(_area_codes())
    if len(s) == 15:
        yy = s[6:8]
        m, d = rng.randint(1, 12), rng.randint(1, 28)
        return f"{area}{yy}{m:02d}{d:02d}{_digits(rng, 3)}"
    year = s[6:10]
    m, d = rng.randint(1, 12), rng.randint(1, 28)
    first = f"{area}{year}{m:02d}{d:02d}{_digits(rng, 3)}"
    return first + v.id_check_char(first)


def _bank_card(rng: random.Random, s: str) -> str:
    n = sum(c.isdigit() for c in s)
    while True:  # a UnionPay-like number that cannot be read as a resident ID or a USCC
        partial = "62" + _digits(rng, n - 3)
        digits = partial + v.luhn_check_digit(partial)
        if not v.id_structure_ok(digits) and not v.uscc_ok(digits):
            return _refill(s, digits)


def _phone(rng: random.Random, s: str, source: str) -> str:
    digits = "".join(_DIGIT.findall(s))
    if source == "mobile":
        prefix = digits[:-11]  # 86 / 0086 country code, kept
        new = prefix + rng.choice(MOBILE_PREFIXES) + _digits(rng, 8)
        return _refill(s, new)
    # landline: keep the country and area code (not identifying), replace the local number and extension
    m = re.match(r"^(\D*(?:(?:\+|00)?86\D*)?(?:0\d{2,3}|\(0\d{2,3}\))?\D*)(.*)$", s)
    head, rest = (m.group(1), m.group(2)) if m else ("", s)
    n = len(_DIGIT.findall(rest))
    new = str(rng.randint(2, 9)) + _digits(rng, n - 1)
    return head + _refill(rest, new)


def _email(rng: random.Random, s: str) -> str:
    domain = s.rsplit("@", 1)[1]
    return "u" + "".join(rng.choice("abcdefghijkmnpqrstuvwxyz23456789") for _ in range(9)) + "@" + domain


def _person(rng: random.Random, s: str) -> str:
    single, compound = surnames()
    sur = s[:2] if s[:2] in compound else s[:1]
    if len(s) <= len(sur):  # a bare surname: use another surname
        return rng.choice(sorted(single - {s}))
    return sur + "".join(rng.choice(GIVEN_CHARS) for _ in range(len(s) - len(sur)))


def _address(rng: random.Random, s: str) -> str:
    names = division_names()
    i, prefix = 0, ""
    while i < len(s):  # keep the leading division names (province, city, district, street)
        for n in range(min(12, len(s) - i), 1, -1):
            if s[i:i + n] in names:
                prefix += s[i:i + n]
                i += n
                break
        else:
            break
    if i >= len(s):  # only a place name: another place of the same level
        level = names.get(s, "c")
        return rng.choice(_divisions_by_level().get(level, _divisions_by_level()["c"]))
    return prefix + rng.choice(ROADS) + str(rng.randint(1, 999)) + "号"


def _upper_alnum(rng: random.Random, s: str) -> str:
    return "".join(rng.choice("0123456789") if c.isdigit() else c for c in s)


def _plate(rng: random.Random, s: str) -> str:
    out = [s[:2]]  # province and issuing-authority letter are kept (like a phone's area code)
    for c in s[2:]:
        if c.isdigit():
            out.append(rng.choice("0123456789"))
        elif c.isascii() and c.isalpha() and c not in "DF":
            out.append(rng.choice(PLATE_LETTERS))
        else:
            out.append(c)
    return "".join(out)


def _ip(rng: random.Random, s: str) -> str:
    if ":" in s:
        return str(ipaddress.IPv6Address(rng.getrandbits(128)))
    return ".".join(str(x) for x in (rng.randint(1, 223), rng.randint(0, 255), rng.randint(0, 255),
                                      rng.randint(1, 254)))


def _geo(rng: random.Random, s: str) -> str:
    def shift(m: re.Match) -> str:
        x = m.group()
        dec = len(x.split(".")[1]) if "." in x else 0
        val = float(x) + rng.uniform(-0.5, 0.5)
        return f"{abs(val):.{dec}f}" if dec else str(int(abs(val)))
    return re.sub(r"\d+(?:\.\d+)?", shift, s)


def _uscc(rng: random.Random, s: str) -> str:
    first = s[:2] + _digits(rng, 6) + "".join(rng.choice(v.USCC_CHARS) for _ in range(9))
    return first + v.uscc_check_char(first)


def surrogate(f: Finding, key: bytes, avoid: frozenset[str] = frozenset()) -> str:
    """The pseudonym of one finding: the same (kind, value, key) always gives the same surrogate."""
    s = f.text
    for attempt in range(50):
        rng = _rng(key, f.kind, s, attempt)
        k = f.kind
        if k == "ID_CARD":
            out = _id_card(rng, s)
        elif k == "BANK_CARD":
            out = _bank_card(rng, s)
        elif k == "PHONE":
            out = _phone(rng, s, f.source)
        elif k == "EMAIL":
            out = _email(rng, s)
        elif k == "PERSON":
            out = _person(rng, s)
        elif k == "ADDRESS":
            out = _address(rng, s)
        elif k in ("PASSPORT", "HK_MACAO_PERMIT"):
            out = _upper_alnum(rng, s)
        elif k == "LICENSE_PLATE":
            out = _plate(rng, s)
        elif k == "IP_ADDRESS":
            out = _ip(rng, s)
        elif k == "GEO_COORDINATE":
            out = _geo(rng, s)
        elif k == "USCC":
            out = _uscc(rng, s)
        else:
            out = f"[{k}]"
        if out != s and not any(a in out for a in avoid if len(a) > 1):
            return out
    return f"[{f.kind}]"


def apply(text: str, findings: list[Finding], mode: str, key: bytes | None = None) -> str:
    if mode not in MODES:
        raise InputError(f"未知的脱敏方式 {mode!r}（可用：{'|'.join(MODES)}）",
                         f"unknown redaction mode {mode!r} (one of {'|'.join(MODES)})", field="mode")
    if mode == "pseudonymize":
        key = key if key is not None else _default_key()
        avoid = frozenset(f.text for f in findings)
    parts, pos = [], 0
    for f in sorted(findings, key=lambda f: f.start):
        if f.start < pos:
            continue
        parts.append(text[pos:f.start])
        if mode == "tag":
            parts.append(f"[{f.kind}]")
        elif mode == "mask":
            parts.append("*" * (f.end - f.start))
        elif mode == "pseudonymize":
            parts.append(surrogate(f, key, avoid))
        pos = f.end
    parts.append(text[pos:])
    return "".join(parts)
