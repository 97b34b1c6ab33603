"""The notifier's record: step events received and notifications with their status.

SQLAlchemy Core on an async engine, so the same statements run on SQLite (embedded default,
aiosqlite) and PostgreSQL (asyncpg). Status changes are conditional updates: a notification moves
to `sending` only from a state that allows it, which is what keeps a duplicate queue message from
becoming a duplicate SMS.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from notifier.events import StepEvent


class Status:
    CREATED = "created"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    TEMPORARY_FAILURE = "temporary-failure"
    PERMANENT_FAILURE = "permanent-failure"
    TECHNICAL_FAILURE = "technical-failure"

    ALL = (
        CREATED, QUEUED, SENDING, SENT, DELIVERED,
        TEMPORARY_FAILURE, PERMANENT_FAILURE, TECHNICAL_FAILURE,
    )
    SENDABLE = (CREATED, QUEUED, TEMPORARY_FAILURE)


metadata = sa.MetaData()

events = sa.Table(
    "notifier_events",
    metadata,
    sa.Column("event_id", sa.String(100), primary_key=True),
    sa.Column("dossier_code", sa.String(64), nullable=False),
    sa.Column("step", sa.String(40), nullable=False),
    sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
)

notifications = sa.Table(
    "notifier_notifications",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("event_id", sa.String(100), nullable=True),
    sa.Column("dossier_code", sa.String(64), nullable=False),
    sa.Column("step", sa.String(40), nullable=False),
    sa.Column("channel", sa.String(10), nullable=False),
    sa.Column("recipient", sa.String(20), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("template_version", sa.Integer, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("provider", sa.String(20), nullable=True),
    sa.Column("provider_ref", sa.String(64), nullable=True),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    # One message per business key, however often the event is delivered.
    sa.UniqueConstraint("dossier_code", "step", "channel", "recipient", name="uq_notification_key"),
    sa.CheckConstraint(
        "status IN (" + ", ".join(f"'{s}'" for s in Status.ALL) + ")", name="ck_notification_status"
    ),
)


@dataclass(frozen=True)
class Notification:
    id: str
    dossier_code: str
    step: str
    channel: str
    recipient: str
    body: str
    status: str
    provider: str | None
    provider_ref: str | None
    attempts: int
    error: str | None
    created_at: datetime.datetime
    sent_at: datetime.datetime | None


@dataclass(frozen=True)
class Ingested:
    """What recording an event did: new notification ids to queue, or a duplicate."""

    duplicate: bool
    notification_ids: list[str]


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def _notification(row: Any) -> Notification:
    return Notification(**{f: getattr(row, f) for f in Notification.__dataclass_fields__})


class NotificationStore:
    def __init__(self, engine: AsyncEngine, schema: str | None = None) -> None:
        self._engine = engine
        self._schema = schema

    @classmethod
    def from_url(cls, url: str, schema: str | None = None) -> NotificationStore:
        """On PostgreSQL, `schema` (if given) is put first on every connection's search path."""
        if not (schema and url.startswith("postgresql")):
            return cls(create_async_engine(url, pool_pre_ping=True))
        connect_args = {"server_settings": {"search_path": schema}}
        return cls(create_async_engine(url, pool_pre_ping=True, connect_args=connect_args), schema)

    async def create_schema(self) -> None:
        """Create what is missing: the PostgreSQL schema, then the tables."""
        async with self._engine.begin() as conn:
            if self._schema:
                await conn.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{self._schema}"'))
            await conn.run_sync(metadata.create_all)

    async def close(self) -> None:
        await self._engine.dispose()

    async def record_event(self, event: StepEvent, body: str, template_version: int) -> Ingested:
        """Store the event and its SMS in one transaction; a repeated event stores nothing."""
        now = _now()
        key = dict(dossier_code=event.dossier_code, step=event.step.value, channel="sms",
                   recipient=event.phone)
        async with self._engine.begin() as conn:
            try:
                async with conn.begin_nested():
                    await conn.execute(events.insert().values(
                        event_id=event.event_id, dossier_code=event.dossier_code,
                        step=event.step.value, occurred_at=event.occurred_at, received_at=now,
                    ))
            except IntegrityError:
                return Ingested(duplicate=True, notification_ids=await self._ids_for(conn, key))
            existing = await self._ids_for(conn, key)
            if existing:  # a new event id for a step already notified
                return Ingested(duplicate=True, notification_ids=existing)
            notification_id = str(uuid.uuid4())
            await conn.execute(notifications.insert().values(
                id=notification_id, event_id=event.event_id, body=body,
                template_version=template_version, status=Status.CREATED, attempts=0,
                created_at=now, updated_at=now, **key,
            ))
        return Ingested(duplicate=False, notification_ids=[notification_id])

    @staticmethod
    async def _ids_for(conn: Any, key: dict[str, str]) -> list[str]:
        query = sa.select(notifications.c.id).filter_by(**key)
        return [row.id for row in await conn.execute(query)]

    async def get(self, notification_id: str) -> Notification | None:
        async with self._engine.connect() as conn:
            query = notifications.select().where(notifications.c.id == notification_id)
            row = (await conn.execute(query)).first()
        return _notification(row) if row else None

    async def list_for_dossier(self, dossier_code: str) -> list[Notification]:
        async with self._engine.connect() as conn:
            query = notifications.select().where(notifications.c.dossier_code == dossier_code)
            return [_notification(r) for r in await conn.execute(query.order_by("created_at"))]

    async def transition(
        self, notification_id: str, allowed_from: Sequence[str], to: str, **values: Any
    ) -> bool:
        """Move to `to` only from one of `allowed_from`; False when the row was elsewhere."""
        query = (
            notifications.update()
            .where(notifications.c.id == notification_id)
            .where(notifications.c.status.in_(allowed_from))
            .values(status=to, updated_at=_now(), **values)
        )
        async with self._engine.begin() as conn:
            result = await conn.execute(query)
        return result.rowcount == 1

    async def claim_for_sending(self, notification_id: str) -> Notification | None:
        """The notification, now in `sending`, or None if another worker has it or it is done."""
        claimed = await self.transition(
            notification_id, Status.SENDABLE, Status.SENDING,
            attempts=notifications.c.attempts + 1,
        )
        return await self.get(notification_id) if claimed else None
