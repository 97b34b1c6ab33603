"""A local stand-in for Firebase Cloud Messaging's HTTP v1 API and Google's OAuth 2.0 token
endpoint, enough for the real `google-auth` library and our push provider.

The token endpoint does what Google's does for a service account: it takes the JWT-bearer grant,
verifies the assertion's RS256 signature with the public key of the service account's key id, and
checks its issuer, audience, scope and lifetime. The send endpoint accepts only the access tokens
it issued (not expired, not revoked), checks the message against the v1 shape, records what it
accepted, and answers errors with FCM's JSON (`error.status` and an `FcmError` detail).

`unregistered` holds device tokens that answer UNREGISTERED; `fail_next` makes the next sends
answer the given statuses; `delay_s` and `token_delay_s` make each answer wait.
"""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
FCM_SCOPE = "https://www.googleapis.com/auth/firebase.messaging"
# Google requires this audience in every service-account assertion, whatever the token_uri.
GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"
FCM_ERROR_TYPE = "type.googleapis.com/google.firebase.fcm.v1.FcmError"

# HTTP status -> (google.rpc status, FCM errorCode or None), as FCM answers them.
ERRORS: dict[int, tuple[str, str | None]] = {
    400: ("INVALID_ARGUMENT", "INVALID_ARGUMENT"),
    401: ("UNAUTHENTICATED", None),
    403: ("PERMISSION_DENIED", "SENDER_ID_MISMATCH"),
    404: ("NOT_FOUND", "UNREGISTERED"),
    429: ("RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED"),
    500: ("INTERNAL", "INTERNAL"),
    503: ("UNAVAILABLE", "UNAVAILABLE"),
}
MESSAGE_FIELDS = {
    "name", "data", "notification", "android", "webpush", "apns", "fcm_options",
    "token", "topic", "condition",
}
RESERVED_DATA_KEYS = {"from", "notification", "message_type"}


def new_private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def new_service_account(
    token_uri: str,
    project_id: str = "ihanoi-test",
    client_email: str = "notifier@ihanoi-test.iam.gserviceaccount.com",
) -> dict[str, str]:
    """A throwaway service-account key file, parsed, with a freshly generated RSA key."""
    return {
        "type": "service_account",
        "project_id": project_id,
        "private_key_id": uuid.uuid4().hex,
        "private_key": new_private_key_pem(),
        "client_email": client_email,
        "client_id": "1" * 21,
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": token_uri,
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "universe_domain": "googleapis.com",
    }


def fcm_error(status: int, message: str, *, fcm_detail: bool = True) -> web.Response:
    """FCM's error answer; `fcm_detail=False` for errors of Google's API front end, which carry
    no FcmError detail (malformed JSON, permission denied)."""
    rpc_status, error_code = ERRORS.get(status, ("UNKNOWN", None))
    error: dict[str, Any] = {"code": status, "message": message, "status": rpc_status}
    if fcm_detail and error_code:
        error["details"] = [{"@type": FCM_ERROR_TYPE, "errorCode": error_code}]
    headers = {"Retry-After": "1"} if status == 429 else None
    return web.json_response({"error": error}, status=status, headers=headers)


def oauth_error(error: str, description: str) -> web.Response:
    return web.json_response({"error": error, "error_description": description}, status=400)


@dataclass(frozen=True)
class ServiceAccountKey:
    client_email: str
    project_id: str
    public_key: rsa.RSAPublicKey


@dataclass(frozen=True)
class AccessToken:
    project_id: str
    expires_at: float


@dataclass
class FakeFcm:
    token_lifetime_s: int = 3600
    token_delay_s: float = 0.0  # how long the token endpoint takes to answer
    delay_s: float = 0.0  # how long the send endpoint takes to answer
    messages: list[dict[str, Any]] = field(default_factory=list)
    unregistered: set[str] = field(default_factory=set)
    fail_next: list[int] = field(default_factory=list)
    token_requests: int = 0
    tokens_issued: list[str] = field(default_factory=list)
    unauthenticated: int = 0  # sends refused with 401 because of their access token
    _keys: dict[str, ServiceAccountKey] = field(default_factory=dict)
    _tokens: dict[str, AccessToken] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/token", self._token)
        app.router.add_post("/v1/projects/{project}/messages:send", self._send)
        return app

    def service_account(self, base_url: str, **identity: str) -> dict[str, str]:
        """A new service account whose key this fake trusts and whose token_uri is this fake."""
        info = new_service_account(f"{base_url}/token", **identity)
        self.trust(info)
        return info

    def trust(self, info: dict[str, str]) -> None:
        private_key = serialization.load_pem_private_key(info["private_key"].encode(), None)
        assert isinstance(private_key, rsa.RSAPrivateKey)
        self._keys[info["private_key_id"]] = ServiceAccountKey(
            info["client_email"], info["project_id"], private_key.public_key()
        )

    def revoke_tokens(self) -> None:
        with self._lock:
            self._tokens.clear()

    def sent_to(self, device_token: str) -> list[dict[str, Any]]:
        with self._lock:
            return [m for m in self.messages if m.get("token") == device_token]

    # The OAuth 2.0 token endpoint.

    async def _token(self, request: web.Request) -> web.Response:
        with self._lock:
            self.token_requests += 1
        if self.token_delay_s:
            await asyncio.sleep(self.token_delay_s)
        form = await request.post()
        grant_type = form.get("grant_type")
        if grant_type != JWT_BEARER_GRANT:
            return oauth_error("unsupported_grant_type", f"Invalid grant_type: {grant_type}")
        assertion = form.get("assertion")
        if not isinstance(assertion, str):
            return oauth_error("invalid_request", "Missing required parameter: assertion")
        try:
            key = self._key_of(assertion)
            claims = jwt.decode(
                assertion, key.public_key, algorithms=["RS256"], audience=GOOGLE_TOKEN_AUDIENCE,
                issuer=key.client_email, options={"require": ["iss", "aud", "iat", "exp"]},
            )
        except jwt.InvalidSignatureError:
            return oauth_error("invalid_grant", "Invalid JWT Signature.")
        except (jwt.InvalidTokenError, KeyError) as e:
            return oauth_error("invalid_grant", f"Invalid JWT: {e}")
        if claims["exp"] - claims["iat"] > 3600:
            return oauth_error("invalid_grant", "Invalid JWT: Token must be a short-lived token")
        if FCM_SCOPE not in str(claims.get("scope", "")).split():
            return oauth_error("invalid_scope", "Invalid OAuth scope or ID token audience.")
        return self._issue_token(key.project_id)

    def _key_of(self, assertion: str) -> ServiceAccountKey:
        return self._keys[jwt.get_unverified_header(assertion)["kid"]]

    def _issue_token(self, project_id: str) -> web.Response:
        token = f"ya29.fake-{secrets.token_urlsafe(24)}"
        with self._lock:
            self._tokens[token] = AccessToken(project_id, time.monotonic() + self.token_lifetime_s)
            self.tokens_issued.append(token)
        return web.json_response(
            {"access_token": token, "expires_in": self.token_lifetime_s, "token_type": "Bearer"}
        )

    # The FCM v1 send endpoint.

    async def _send(self, request: web.Request) -> web.Response:
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        token = self._access_token(request)
        if token is None:
            with self._lock:
                self.unauthenticated += 1
            return fcm_error(401, "Request had invalid authentication credentials.")
        project = request.match_info["project"]
        if token.project_id != project:
            denied = f"Permission denied on resource project {project}."
            return fcm_error(403, denied, fcm_detail=False)
        with self._lock:
            if self.fail_next:
                return fcm_error(self.fail_next.pop(0), "Injected failure.")
        try:
            body = await request.json()
        except ValueError:
            return fcm_error(400, "Invalid JSON payload received.", fcm_detail=False)
        problem = message_problem(body)
        if problem:
            return fcm_error(400, problem)
        message = body["message"]
        if message["token"] in self.unregistered:
            return fcm_error(404, "Requested entity was not found.")
        with self._lock:
            self.messages.append(message)
        return web.json_response({"name": f"projects/{project}/messages/{uuid.uuid4().hex}"})

    def _access_token(self, request: web.Request) -> AccessToken | None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        with self._lock:
            found = self._tokens.get(token) if scheme == "Bearer" else None
        return found if found and found.expires_at > time.monotonic() else None


def message_problem(body: Any) -> str | None:
    """What FCM would refuse in a send request's body, or None. Checks the fields we use."""
    message = body.get("message") if isinstance(body, dict) else None
    if not isinstance(message, dict):
        return "Request contains an invalid argument: message is required."
    unknown = set(message) - MESSAGE_FIELDS
    if unknown:
        return f"Invalid JSON payload received. Unknown name {sorted(unknown)[0]!r} at 'message'."
    if sum(1 for target in ("token", "topic", "condition") if message.get(target)) != 1:
        return "Exactly one of token, topic or condition must be set."
    return (
        _strings_problem(message, "token")
        or _notification_problem(message.get("notification"))
        or _data_problem(message.get("data"))
        or _android_problem(message.get("android"))
        or _apns_problem(message.get("apns"))
    )


def _strings_problem(values: dict[str, Any], *keys: str) -> str | None:
    for key in keys:
        if key in values and not isinstance(values[key], str):
            return f"Invalid value at 'message.{key}' (TYPE_STRING)"
    return None


def _notification_problem(notification: Any) -> str | None:
    if notification is None:
        return None
    if not isinstance(notification, dict) or set(notification) - {"title", "body", "image"}:
        return "Invalid value at 'message.notification'"
    return _strings_problem(notification, "title", "body", "image")


def _data_problem(data: Any) -> str | None:
    if data is None:
        return None
    if not isinstance(data, dict):
        return "Invalid value at 'message.data'"
    for key, value in data.items():
        if key in RESERVED_DATA_KEYS or key.startswith(("google", "gcm")):
            return f"Invalid data payload key: {key}"
        if not isinstance(value, str):
            return f"Invalid value at 'message.data[{key}].value' (TYPE_STRING)"
    return None


def _android_problem(android: Any) -> str | None:
    if android is None:
        return None
    if not isinstance(android, dict):
        return "Invalid value at 'message.android'"
    priority = android.get("priority", "normal")
    if not isinstance(priority, str) or priority.lower() not in {"normal", "high"}:
        return f"Invalid value at 'message.android.priority': {priority!r}"
    return None


def _apns_problem(apns: Any) -> str | None:
    if apns is None:
        return None
    headers = apns.get("headers", {}) if isinstance(apns, dict) else None
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        return "Invalid value at 'message.apns.headers'"
    if headers.get("apns-priority", "10") not in {"1", "5", "10"}:
        return "Invalid APNs priority"
    return None
