import pytest

from notifier.signing import SignatureError, sign, verify

SECRET = b"s3cret"
BODY = b'{"event_id": "e1"}'
NOW = 1_800_000_000


def test_a_fresh_correct_signature_passes() -> None:
    verify(SECRET, str(NOW), sign(SECRET, NOW, BODY), BODY, 300, now=NOW + 10)


@pytest.mark.parametrize(
    ("timestamp", "signature", "body", "reason"),
    [
        (None, "v1=00", BODY, "missing"),
        (str(NOW), None, BODY, "missing"),
        ("yesterday", "v1=00", BODY, "unix seconds"),
        (str(NOW - 301), sign(SECRET, NOW - 301, BODY), BODY, "from now"),
        (str(NOW), sign(b"other", NOW, BODY), BODY, "does not match"),
        (str(NOW), sign(SECRET, NOW, BODY), BODY + b" ", "does not match"),
        (str(NOW + 1), sign(SECRET, NOW, BODY), BODY, "does not match"),
    ],
)
def test_anything_else_is_refused(
    timestamp: str | None, signature: str | None, body: bytes, reason: str
) -> None:
    with pytest.raises(SignatureError, match=reason):
        verify(SECRET, timestamp, signature, body, 300, now=NOW)
