"""HMAC-SHA256 signatures on step events, with a timestamp to bound replays.

The sender computes `hex(HMAC(secret, f"{timestamp}.{raw body}"))` and sends it as
`X-DVC-Signature: v1=<hex>` with `X-DVC-Timestamp: <unix seconds>`, the scheme that Slack and
Stripe use.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-DVC-Signature"
TIMESTAMP_HEADER = "X-DVC-Timestamp"


class SignatureError(ValueError):
    pass


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"v1={mac.hexdigest()}"


def verify(
    secret: bytes,
    timestamp_header: str | None,
    signature_header: str | None,
    body: bytes,
    max_age_s: int,
    now: float | None = None,
) -> None:
    """Raise SignatureError unless the body is signed with `secret` within `max_age_s`."""
    if not timestamp_header or not signature_header:
        raise SignatureError(f"missing {TIMESTAMP_HEADER} or {SIGNATURE_HEADER} header")
    try:
        timestamp = int(timestamp_header)
    except ValueError as e:
        raise SignatureError(f"{TIMESTAMP_HEADER} must be unix seconds") from e
    now = time.time() if now is None else now
    if abs(now - timestamp) > max_age_s:
        raise SignatureError(f"{TIMESTAMP_HEADER} is more than {max_age_s} s from now")
    if not hmac.compare_digest(sign(secret, timestamp, body), signature_header):
        raise SignatureError("signature does not match")
