"""The local mirror of dossier states, kept current by the notifier's step events.

Used as the dossier source when the city's system cannot be queried directly (or as its cache).
Events may arrive twice or out of order: each carries `occurred_at`, and a row only moves
forward in time, so a late "received" never overwrites "result_ready".
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from dossiers.model import Dossier, DossierStatus, PaymentState
from notifier.events import StepEvent
from notifier.store import dialect_insert

metadata = sa.MetaData()

mirror = sa.Table(
    "dossier_mirror",
    metadata,
    sa.Column("code", sa.String(64), primary_key=True),
    sa.Column("procedure", sa.Text, nullable=False),
    sa.Column("status", sa.String(30), nullable=False),
    sa.Column("applicant_phone", sa.String(20), nullable=False),
    sa.Column("details", sa.Text, nullable=False),  # JSON: the step's optional details
    sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
)

_DATES = ("due_date", "new_due_date", "supplement_deadline")


class MirrorDossierSource:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._upsert = _upsert(engine)  # built once, see NotificationStore

    async def create_schema(self) -> None:
        async with self._engine.begin() as conn:
            await conn.run_sync(metadata.create_all)

    async def apply(self, event: StepEvent) -> bool:
        """Record the event's state unless the row already holds a later one. True if applied."""
        async with self._engine.begin() as conn:
            [applied] = await self.record(conn, [event])
        return applied

    async def record(self, conn: AsyncConnection, events: Sequence[StepEvent]) -> list[bool]:
        """`apply` for many events in the caller's transaction, in one statement (the notifier
        stores step events with it, see `notifier.store.EventsHook`)."""
        latest: dict[str, int] = {}  # per dossier, the batch's latest event: the only one to write
        for i, event in enumerate(events):
            known = latest.get(event.dossier_code)
            if known is None or events[known].occurred_at < event.occurred_at:
                latest[event.dossier_code] = i
        rows = [_row(events[i]) for i in latest.values()]
        written = set(await conn.scalars(self._upsert, rows))
        return [
            latest[e.dossier_code] == i and e.dossier_code in written for i, e in enumerate(events)
        ]

    async def get(self, code: str) -> Dossier | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(mirror.select().filter_by(code=code))).first()
        return _dossier(row) if row else None

    async def close(self) -> None:
        return None


def _upsert(engine: AsyncEngine) -> Any:
    """Insert, or move a known dossier forward; a row holding this state or a later one is left
    alone. Returns the codes written. Executed with many rows, it is compiled once and sent as
    multi-row statements by SQLAlchemy's "insertmanyvalues"."""
    insert = dialect_insert(engine, mirror)
    return insert.on_conflict_do_update(
        index_elements=[mirror.c.code],
        set_={c.name: insert.excluded[c.name] for c in mirror.columns if c.name != "code"},
        where=mirror.c.occurred_at < insert.excluded.occurred_at,
    ).returning(mirror.c.code)


def _row(event: StepEvent) -> dict[str, Any]:
    return dict(
        code=event.dossier_code, procedure=event.procedure, status=event.step.value,
        applicant_phone=event.phone,
        details=json.dumps(event.details.model_dump(mode="json") if event.details else {}),
        occurred_at=event.occurred_at,
    )


def _dossier(row: Any) -> Dossier:
    details: dict[str, Any] = json.loads(row.details)
    for name in _DATES:
        if details.get(name):
            details[name] = datetime.date.fromisoformat(details[name])
    details["missing_documents"] = tuple(details.get("missing_documents") or ())
    details["payment"] = PaymentState(details.pop("payment_state", None) or "not_required")
    return Dossier(
        code=row.code, procedure=row.procedure, status=DossierStatus(row.status),
        applicant_phone=row.applicant_phone, updated_at=row.occurred_at,
        **{k: v for k, v in details.items() if v is not None},
    )
