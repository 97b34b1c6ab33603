import datetime

from notifier.policy import HANOI, QuietHours, route
from notifier.store import Recipient
from notifier.templates import Templates


def at(hour: int, minute: int = 0, day: int = 2) -> datetime.datetime:
    return datetime.datetime(2026, 12, day, hour, minute, tzinfo=HANOI)


def test_quiet_hours_hold_messages_until_seven_in_hanoi() -> None:
    quiet = QuietHours()
    assert quiet.release(at(23, 30)) == at(7, day=3)
    assert quiet.release(at(6, 59)) == at(7)
    assert quiet.release(at(7)) is None
    assert quiet.release(at(21, 59)) is None
    # The clock is Hanoi's whatever the server's zone: 16:00 UTC is 23:00 in Hanoi.
    utc = datetime.datetime(2026, 12, 2, 16, 0, tzinfo=datetime.timezone.utc)
    assert quiet.release(utc) == at(7, day=3)


def test_routes_follow_the_app_the_step_and_opt_outs() -> None:
    templates = Templates()
    received, ready = templates.get("received"), templates.get("result_ready")
    app_user = Recipient("+84912345678", push_token="token")
    assert route(received, None) == route(received, Recipient("+84912345678"))
    assert (route(received, None).push, route(received, None).sms) == (False, True)
    assert (route(received, app_user).push, route(received, app_user).sms) == (True, False)
    assert route(received, app_user).sms_is_fallback
    assert (route(ready, app_user).push, route(ready, app_user).sms) == (True, True)
    muted = Recipient("+84912345678", push_token="token", push_opt_out=True, sms_opt_out=True)
    assert (route(ready, muted).push, route(ready, muted).sms) == (False, False)
