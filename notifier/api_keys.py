"""API keys for direct sends: `Authorization: Bearer <secret>`.

Keys come from NOTIFIER_API_KEYS as "name:kind:secret" items separated by commas; kind is "live"
or "test". A test key's messages go through the whole pipeline (rendering, storage, queue, sender)
but are never handed to a provider, so that a team can integrate without texting anyone.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass


@dataclass(frozen=True)
class ApiKey:
    name: str
    test: bool
    secret: str


class ApiKeyError(ValueError):
    pass


def parse_keys(spec: str) -> list[ApiKey]:
    keys = []
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, kind, secret = [*item.split(":", 2), "", ""][:3]
        if kind not in ("live", "test") or not name or len(secret) < 16:
            raise ApiKeyError(
                "NOTIFIER_API_KEYS: each key is name:live|test:secret, the secret ≥ 16 characters"
            )
        keys.append(ApiKey(name, kind == "test", secret))
    return keys


def authenticate(keys: list[ApiKey], authorization: str | None) -> ApiKey | None:
    """The key presented as a bearer token, compared in constant time; None if unknown."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    found = None
    for key in keys:
        if hmac.compare_digest(key.secret.encode(), token.strip().encode()):
            found = key
    return found
