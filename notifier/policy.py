"""Which channels a message takes, and when it may go.

- Push first where the resident has the iHanoi app (and has not turned pushes off); SMS when they
  have no app, for the steps that must reach them (`must_reach`), and when a push fails for good.
- Opt-outs are honoured per channel.
- Quiet hours (22:00–07:00 in Hanoi by default) hold back what is not urgent until they end.
- A per-recipient limit holds back a flood (an upstream bug sending the same resident dozens of
  messages) until the next window.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from notifier.store import Recipient
from notifier.templates import Template

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass(frozen=True)
class QuietHours:
    start: datetime.time = datetime.time(22, 0)
    end: datetime.time = datetime.time(7, 0)
    zone: ZoneInfo = HANOI

    def release(self, now: datetime.datetime) -> datetime.datetime | None:
        """When a non-urgent message created at `now` may go: None if right away."""
        local = now.astimezone(self.zone)
        clock = local.time()
        inside = (clock >= self.start or clock < self.end) if self.start > self.end else (
            self.start <= clock < self.end
        )
        if not inside:
            return None
        day = local.date() if clock < self.end else local.date() + datetime.timedelta(days=1)
        return datetime.datetime.combine(day, self.end, tzinfo=self.zone)


@dataclass(frozen=True)
class Route:
    push: bool
    sms: bool
    sms_is_fallback: bool  # the SMS waits for the push to fail


def route(template: Template, recipient: Recipient | None) -> Route:
    has_app = bool(recipient and recipient.push_token and not recipient.push_opt_out)
    sms_allowed = not (recipient and recipient.sms_opt_out)
    if not has_app:
        return Route(push=False, sms=sms_allowed, sms_is_fallback=False)
    return Route(
        push=True,
        sms=sms_allowed and template.must_reach,
        sms_is_fallback=sms_allowed and not template.must_reach,
    )
