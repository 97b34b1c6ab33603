"""Vietnamese mobile numbers: parsing to E.164 and masking for logs."""

from __future__ import annotations

import re

_NON_DIGITS = re.compile(r"[\s.()-]")
# After the country code: a 9-digit mobile number starting 3, 5, 7, 8 or 9 (the 2018 numbering).
_MOBILE = re.compile(r"^(?:\+?84|0)([35789]\d{8})$")


class InvalidPhone(ValueError):
    pass


def to_e164(raw: str) -> str:
    """'0912 345 678', '+84912345678' or '84912345678' -> '+84912345678'."""
    match = _MOBILE.match(_NON_DIGITS.sub("", raw))
    if not match:
        raise InvalidPhone("not a Vietnamese mobile number")
    return f"+84{match.group(1)}"


def mask(phone: str) -> str:
    """Keep only the last three digits: '+84912345678' -> '+84******678'."""
    if len(phone) <= 6:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 6) + phone[-3:]
