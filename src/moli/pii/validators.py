"""Check digits and structural checks: GB 11643 (resident ID), Luhn (bank cards), GB 32100 (USCC)."""

from __future__ import annotations

import datetime as _dt
import ipaddress

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"  # index = sum(d_i * w_i) % 11   (GB 11643-1999, ISO 7064 MOD 11-2)
# Province-level prefixes of GB/T 2260 (incl. 71 台湾, 81 香港, 82 澳门, 83 港澳台居民居住证).
ID_PROVINCES = frozenset({11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45,
                          46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83})
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100-2015
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def id_check_char(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits of a resident ID."""
    s = sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK[s % 11]


def id_checksum_ok(number: str) -> bool:
    return len(number) == 18 and number[:17].isdigit() and id_check_char(number[:17]) == number[17].upper()


def _real_date(y: int, m: int, d: int, today: _dt.date | None = None) -> bool:
    try:
        day = _dt.date(y, m, d)
    except ValueError:
        return False
    return _dt.date(1900, 1, 1) <= day <= (today or _dt.date.today())  # holders alive when IDs were issued


def id_structure_ok(number: str) -> bool:
    """Province prefix and birth date of an 18- or 15-digit resident ID (not the check digit)."""
    if len(number) == 18:
        if not number[:17].isdigit() or number[17] not in "0123456789Xx":
            return False
        y, m, d = int(number[6:10]), int(number[10:12]), int(number[12:14])
    elif len(number) == 15 and number.isdigit():
        y, m, d = 1900 + int(number[6:8]), int(number[8:10]), int(number[10:12])
    else:
        return False
    return int(number[:2]) in ID_PROVINCES and _real_date(y, m, d)


def luhn_ok(digits: str) -> bool:
    if not digits.isdigit():
        return False
    total = 0
    for i, c in enumerate(reversed(digits)):
        v = ord(c) - 48
        if i % 2 == 1:
            v *= 2
            if v > 9:
                v -= 9
        total += v
    return total % 10 == 0


def luhn_check_digit(partial: str) -> str:
    """The digit that makes ``partial + digit`` pass Luhn."""
    for d in "0123456789":
        if luhn_ok(partial + d):
            return d
    raise AssertionError("unreachable")


def uscc_check_char(first17: str) -> str:
    s = sum(USCC_CHARS.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARS[(31 - s % 31) % 31]


def uscc_ok(code: str) -> bool:
    code = code.upper()
    if len(code) != 18 or any(c not in USCC_CHARS for c in code):
        return False
    return uscc_check_char(code[:17]) == code[17]


def ip_ok(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
