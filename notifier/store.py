"""The notifier's record: step events received and notifications with their status.

SQLAlchemy Core on an async engine, so the same statements run on SQLite (embedded default,
aiosqlite) and PostgreSQL (asyncpg). Status changes are conditional updates: a notification moves
to `sending` only from a state that allows it, which is what keeps a duplicate queue message from
becoming a duplicate SMS.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

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
    OPEN = (CREATED, QUEUED, SENDING, TEMPORARY_FAILURE)  # not yet final


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
    # The business key: a dossier's step, or a direct send's client reference ("api:<key>:<ref>").
    sa.Column("dossier_code", sa.String(200), nullable=False),
    sa.Column("step", sa.String(40), nullable=False),  # the template's name
    sa.Column("channel", sa.String(10), nullable=False),
    sa.Column("recipient", sa.String(200), nullable=False),  # phone, or push device token
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("title", sa.Text, nullable=True),
    sa.Column("link", sa.Text, nullable=True),
    sa.Column("fallback_sms", sa.Text, nullable=True),  # a push's SMS text if the push fails
    sa.Column("fallback_phone", sa.String(20), nullable=True),
    sa.Column("template_version", sa.Integer, nullable=False),
    sa.Column("test", sa.Boolean, nullable=False, default=False),  # test key: never delivered
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("provider", sa.String(20), nullable=True),
    sa.Column("provider_ref", sa.String(64), nullable=True),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    # When a deferred or failed notification may be queued (again); NULL: not to be retried.
    sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("enqueued_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("dead_lettered", sa.Boolean, nullable=False, default=False),
    sa.Column("purged", sa.Boolean, nullable=False, default=False),
    # One message per business key, however often the event is delivered.
    sa.UniqueConstraint("dossier_code", "step", "channel", "recipient", name="uq_notification_key"),
    sa.CheckConstraint(
        "status IN (" + ", ".join(f"'{s}'" for s in Status.ALL) + ")", name="ck_notification_status"
    ),
)
sa.Index("ix_notification_due", notifications.c.status, notifications.c.next_attempt_at)
sa.Index("ix_notification_recipient", notifications.c.recipient, notifications.c.created_at)

recipients = sa.Table(
    "notifier_recipients",
    metadata,
    sa.Column("phone", sa.String(20), primary_key=True),
    sa.Column("push_token", sa.String(200), nullable=True),  # iHanoi app installation
    sa.Column("sms_opt_out", sa.Boolean, nullable=False, default=False),
    sa.Column("push_opt_out", sa.Boolean, nullable=False, default=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True)
class Recipient:
    phone: str
    push_token: str | None = None
    sms_opt_out: bool = False
    push_opt_out: bool = False


@dataclass(frozen=True)
class NewNotification:
    """One message to store: rendered, its channel and recipient chosen, maybe deferred."""

    channel: str
    recipient: str
    body: str
    title: str | None = None
    link: str | None = None
    fallback_sms: str | None = None
    fallback_phone: str | None = None
    not_before: datetime.datetime | None = None


@dataclass(frozen=True)
class Notification:
    id: str
    dossier_code: str
    step: str
    channel: str
    recipient: str
    body: str
    title: str | None
    link: str | None
    fallback_sms: str | None
    fallback_phone: str | None
    test: bool
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


def _rows(
    key: str, template: str, messages: Sequence[NewNotification], template_version: int,
    **extra: Any,
) -> list[dict[str, Any]]:
    now = _now()
    return [
        dict(
            id=str(uuid.uuid4()), dossier_code=key, step=template, channel=m.channel,
            recipient=m.recipient, body=m.body, title=m.title, link=m.link,
            fallback_sms=m.fallback_sms, fallback_phone=m.fallback_phone,
            template_version=template_version, attempts=0, created_at=now, updated_at=now,
            # Ready now: stored as queued, for the caller to put on the queue once committed.
            status=Status.CREATED if m.not_before else Status.QUEUED,
            enqueued_at=None if m.not_before else now, next_attempt_at=m.not_before,
            **{"test": False, "event_id": None, **extra},
        )
        for m in messages
    ]


# More to write for a batch of events, inside the transaction that stores them (the dossier
# mirror): the events and their notifications are then stored together or not at all.
EventsHook = Callable[[AsyncConnection, Sequence[StepEvent]], Awaitable[object]]


def dialect_insert(engine: AsyncEngine, table: sa.Table) -> Any:
    """An INSERT in the engine's dialect, the one that knows ON CONFLICT."""
    return (postgresql if engine.dialect.name == "postgresql" else sqlite).insert(table)


def insert_new(engine: AsyncEngine, table: sa.Table) -> Any:
    """INSERT … ON CONFLICT DO NOTHING: a duplicate is normal for our callers, and must not
    abort the transaction as an error would on PostgreSQL."""
    return dialect_insert(engine, table).on_conflict_do_nothing()


def _key(event: StepEvent) -> tuple[str, str]:
    return event.dossier_code, event.step.value


def _notification(row: Any) -> Notification:
    return Notification(**{f: getattr(row, f) for f in Notification.__dataclass_fields__})


class NotificationStore:
    def __init__(self, engine: AsyncEngine, schema: str | None = None) -> None:
        self._engine = engine
        self._schema = schema
        # Built once: SQLAlchemy memoizes a statement's cache key on the statement, so the hot
        # inserts do not have theirs worked out again on every batch.
        self._new_events = insert_new(engine, events).returning(events.c.event_id)
        self._new_notifications = insert_new(engine, notifications).returning(notifications.c.id)
        # Plain reads without a transaction, which would cost a BEGIN and a ROLLBACK per batch.
        self._reads = engine.execution_options(isolation_level="AUTOCOMMIT")

    @classmethod
    def from_url(cls, url: str, schema: str | None = None) -> NotificationStore:
        """On PostgreSQL, `schema` (if given) is put first on every connection's search path."""
        if not url.startswith("postgresql"):
            return cls(create_async_engine(url, pool_pre_ping=True))
        # Enough connections for concurrent commits to share the WAL flush (group commit). No
        # pre-ping (it doubled the cost of a short query): a connection that a server restart
        # broke fails once, is discarded by the pool, and the caller's retry gets a new one.
        # Batches of every size give statements of every length (IN lists, multi-row VALUES):
        # a statement cache larger than asyncpg's 100 keeps them prepared.
        connect_args: dict[str, Any] = {"prepared_statement_cache_size": 2000}
        if schema:
            connect_args["server_settings"] = {"search_path": schema}
        return cls(
            create_async_engine(url, pool_size=20, max_overflow=20, connect_args=connect_args),
            schema,
        )

    @property
    def engine(self) -> AsyncEngine:
        """The engine, shared with the dossier mirror and lookup audit (same database)."""
        return self._engine

    async def create_schema(self) -> None:
        """Create what is missing: the PostgreSQL schema, then the tables."""
        async with self._engine.begin() as conn:
            if self._schema:
                await conn.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{self._schema}"'))
            await conn.run_sync(metadata.create_all)

    async def close(self) -> None:
        await self._engine.dispose()

    async def record_events(
        self,
        batch: Sequence[tuple[StepEvent, Sequence[NewNotification]]],
        template_version: int,
        also: EventsHook | None = None,
    ) -> list[Ingested]:
        """Store events and their messages, many in one transaction (one WAL flush for all),
        with what `also` writes for them. A repeated event, or a new event for a step already
        notified, stores no new message; so does the second of two such events in one batch."""
        async with self._engine.begin() as conn:
            if also is not None:
                await also(conn, [event for event, _ in batch])
            new_events = await self._insert_events(conn, [event for event, _ in batch])
            keys = {_key(event) for event, _ in batch}
            existing = await self._ids_by_key(conn, keys)
            owners: dict[tuple[str, str], int] = {}  # step -> the batch item that notifies it
            rows: dict[int, list[dict[str, Any]]] = {}
            for index, (event, messages) in enumerate(batch):
                key = _key(event)
                if event.event_id in new_events and key not in existing and key not in owners:
                    new_events.discard(event.event_id)  # a repeat later in the batch is not new
                    owners[key] = index
                    rows[index] = _rows(*key, messages, template_version, event_id=event.event_id)
            all_rows = [row for item in rows.values() for row in item]
            inserted = await self._insert_notifications(conn, all_rows)
            if len(inserted) < len(all_rows) or len(owners) < len(batch):
                existing = await self._ids_by_key(conn, keys)  # the first ids of the repeats
        results = []
        for index, (event, _) in enumerate(batch):
            ids = [row["id"] for row in rows.get(index, [])]
            if owners.get(_key(event)) == index and set(ids) <= inserted:
                results.append(Ingested(False, ids))
            else:
                results.append(Ingested(True, existing.get(_key(event), [])))
        return results

    async def _insert_events(self, conn: Any, batch: Sequence[StepEvent]) -> set[str]:
        """Insert the events; the ids of those not seen before."""
        now = _now()
        rows = [
            dict(event_id=e.event_id, dossier_code=e.dossier_code, step=e.step.value,
                 occurred_at=e.occurred_at, received_at=now)
            for e in batch
        ]
        return set(await conn.scalars(self._new_events, rows))

    async def _insert_notifications(self, conn: Any, rows: list[dict[str, Any]]) -> set[str]:
        if not rows:
            return set()
        return set(await conn.scalars(self._new_notifications, rows))

    @staticmethod
    async def _ids_by_key(
        conn: Any, keys: set[tuple[str, str]]
    ) -> dict[tuple[str, str], list[str]]:
        query = (
            sa.select(notifications.c.id, notifications.c.dossier_code, notifications.c.step)
            .where(sa.tuple_(notifications.c.dossier_code, notifications.c.step).in_(list(keys)))
            .order_by(notifications.c.created_at)
        )
        found: dict[tuple[str, str], list[str]] = {}
        for row in await conn.execute(query):
            found.setdefault((row.dossier_code, row.step), []).append(row.id)
        return found

    async def record_direct(
        self, key: str, template: str, messages: Sequence[NewNotification],
        template_version: int, test: bool,
    ) -> Ingested:
        """Store a direct send under its client key; the same key again stores nothing."""
        async with self._engine.begin() as conn:
            return await self._store_messages(
                conn, key, template, messages, template_version, test=test
            )

    async def _store_messages(
        self, conn: Any, key: str, template: str, messages: Sequence[NewNotification],
        template_version: int, **extra: Any,
    ) -> Ingested:
        """Insert the messages unless this key and template have some already (a repeat, or a
        concurrent request for the same step)."""
        existing = await self._ids_for(conn, key, template)
        if existing:
            return Ingested(True, existing)
        ids = []
        for row in _rows(key, template, messages, template_version, **extra):
            query = self._new_notifications.values(**row)
            ids += [r.id for r in await conn.execute(query)]
        if len(ids) < len(messages):
            return Ingested(True, await self._ids_for(conn, key, template))
        return Ingested(False, ids)

    @staticmethod
    async def _ids_for(conn: Any, key: str, template: str) -> list[str]:
        query = sa.select(notifications.c.id).filter_by(dossier_code=key, step=template)
        return [row.id for row in await conn.execute(query.order_by(notifications.c.created_at))]

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

    async def claim_for_sending(self, ids: Sequence[str]) -> list[Notification]:
        """Those of `ids` now in `sending`, in one statement; the others are held by another
        worker or done."""
        if not ids:
            return []
        query = (
            notifications.update()
            .where(notifications.c.id.in_(ids), notifications.c.status.in_(Status.SENDABLE))
            .values(status=Status.SENDING, attempts=notifications.c.attempts + 1,
                    updated_at=_now())
            .returning(*notifications.c)
        )
        async with self._engine.begin() as conn:
            return [_notification(row) for row in await conn.execute(query)]

    async def mark_sent(self, sent: Sequence[tuple[str, str, str]]) -> None:
        """Record (id, provider, provider reference) of messages the providers accepted, in one
        transaction."""
        if not sent:
            return
        now = _now()
        query = (
            notifications.update()
            .where(notifications.c.id == sa.bindparam("notification_id"))
            .where(notifications.c.status == Status.SENDING)
            .values(status=Status.SENT, provider=sa.bindparam("sent_by"),
                    provider_ref=sa.bindparam("reference"), sent_at=now, updated_at=now)
        )
        rows = [{"notification_id": i, "sent_by": p, "reference": r[:64]} for i, p, r in sent]
        async with self._engine.begin() as conn:
            await conn.execute(query, rows)

    async def record_receipt(
        self, provider: str, provider_ref: str, status: str, error: str | None = None
    ) -> bool:
        """A provider's delivery receipt: sent → delivered or permanent-failure. A receipt for
        a message in another state (repeated, or late) changes nothing."""
        query = (
            notifications.update()
            .where(notifications.c.provider == provider)
            .where(notifications.c.provider_ref == provider_ref)
            .where(notifications.c.status == Status.SENT)
            .values(status=status, error=error, updated_at=_now())
        )
        async with self._engine.begin() as conn:
            return (await conn.execute(query)).rowcount == 1

    async def retry_later(self, notification_id: str, at: datetime.datetime, error: str) -> None:
        await self.transition(
            notification_id, [Status.SENDING], Status.TEMPORARY_FAILURE,
            next_attempt_at=at, error=error[:500],
        )

    async def dead_letter(self, notification_id: str, from_status: str, error: str) -> bool:
        """Give up: a final temporary-failure, kept for an operator to look at."""
        return await self.transition(
            notification_id, [from_status], Status.TEMPORARY_FAILURE,
            next_attempt_at=None, dead_lettered=True, error=error[:500],
        )

    async def add_sms_fallback(self, push: Notification) -> list[str]:
        """After a push failed for good: the SMS it carried, stored once."""
        if not (push.fallback_sms and push.fallback_phone):
            return []
        message = NewNotification("sms", push.fallback_phone, push.fallback_sms)
        [row] = _rows(push.dossier_code, push.step, [message], 0, test=push.test)
        query = self._new_notifications.values(**row)
        async with self._engine.begin() as conn:
            return [r.id for r in await conn.execute(query)]

    async def contacts(
        self, phones: Sequence[str], since: datetime.datetime
    ) -> tuple[dict[str, Recipient], dict[str, int]]:
        """For a batch of phones: their recipient records, and how many messages each was sent
        since `since` (for the per-recipient limit)."""
        wanted = sorted(set(phones))
        counts = (
            sa.select(notifications.c.recipient, sa.func.count())
            .where(notifications.c.recipient.in_(wanted), notifications.c.created_at >= since)
            .group_by(notifications.c.recipient)
        )
        async with self._reads.connect() as conn:
            rows = await conn.execute(recipients.select().where(recipients.c.phone.in_(wanted)))
            known = {
                r.phone: Recipient(r.phone, r.push_token, r.sms_opt_out, r.push_opt_out)
                for r in rows
            }
            recent = {r[0]: int(r[1]) for r in await conn.execute(counts)}
        return known, recent

    # Recipients: the iHanoi backend tells us who has the app and who opted out.

    async def recipient(self, phone: str) -> Recipient | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(recipients.select().filter_by(phone=phone))).first()
        if row is None:
            return None
        return Recipient(row.phone, row.push_token, row.sms_opt_out, row.push_opt_out)

    async def save_recipient(self, recipient: Recipient) -> None:
        values = dict(
            push_token=recipient.push_token, sms_opt_out=recipient.sms_opt_out,
            push_opt_out=recipient.push_opt_out, updated_at=_now(),
        )
        async with self._engine.begin() as conn:
            updated = await conn.execute(
                recipients.update().filter_by(phone=recipient.phone).values(**values)
            )
            if updated.rowcount == 0:
                await conn.execute(recipients.insert().values(phone=recipient.phone, **values))

    # Housekeeping, run by every sender process; each statement is safe to run concurrently.

    async def take_due(self, limit: int) -> list[str]:
        """Deferred or failed notifications whose time has come, moved to queued."""
        now = _now()
        due = (
            sa.select(notifications.c.id)
            .where(notifications.c.status.in_([Status.CREATED, Status.TEMPORARY_FAILURE]))
            .where(notifications.c.next_attempt_at <= now)
            .limit(limit)
        )
        return await self._move(due, [Status.CREATED, Status.TEMPORARY_FAILURE], now)

    async def take_lost(self, older_than: datetime.datetime, limit: int) -> list[str]:
        """Queued notifications whose queue entry may be gone (a Redis restart): queue again.
        A second entry for a notification is harmless: only one worker can claim it."""
        lost = (
            sa.select(notifications.c.id)
            .where(notifications.c.status == Status.QUEUED)
            .where(notifications.c.enqueued_at < older_than)
            .limit(limit)
        )
        return await self._move(lost, [Status.QUEUED], _now())

    async def _move(
        self, ids: sa.Select[Any], allowed: list[str], now: datetime.datetime
    ) -> list[str]:
        query = (
            notifications.update()
            .where(notifications.c.id.in_(ids.scalar_subquery()))
            .where(notifications.c.status.in_(allowed))
            .values(status=Status.QUEUED, enqueued_at=now, updated_at=now)
            .returning(notifications.c.id)
        )
        async with self._engine.begin() as conn:
            return [row.id for row in await conn.execute(query)]

    async def release_stalled(self, older_than: datetime.datetime) -> int:
        """Notifications left in `sending` by a worker that died: retry them now."""
        query = (
            notifications.update()
            .where(notifications.c.status == Status.SENDING)
            .where(notifications.c.updated_at < older_than)
            .values(status=Status.TEMPORARY_FAILURE, next_attempt_at=_now(),
                    error="the worker sending it stopped", updated_at=_now())
        )
        async with self._engine.begin() as conn:
            return (await conn.execute(query)).rowcount

    async def expire(self, created_before: datetime.datetime) -> int:
        """Notifications still not sent long after they were created: give up on them."""
        query = (
            notifications.update()
            .where(notifications.c.status.in_(Status.OPEN))
            .where(notifications.c.created_at < created_before)
            .values(status=Status.TEMPORARY_FAILURE, next_attempt_at=None, dead_lettered=True,
                    error="expired: not sent within the time allowed", updated_at=_now())
        )
        async with self._engine.begin() as conn:
            return (await conn.execute(query)).rowcount

    async def purge(self, created_before: datetime.datetime) -> int:
        """Past the retention period: keep the record of what happened, drop what was said and
        to whom."""
        query = (
            notifications.update()
            .where(notifications.c.created_at < created_before)
            .where(notifications.c.purged.is_(False))
            .where(notifications.c.status.notin_(Status.OPEN))
            .values(body="", title=None, link=None, fallback_sms=None, fallback_phone=None,
                    recipient=sa.literal("purged:") + notifications.c.id, purged=True)
        )
        async with self._engine.begin() as conn:
            return (await conn.execute(query)).rowcount
