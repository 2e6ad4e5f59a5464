"""The journal: every HTTP request, SOAP operation and e-mail, bounded, with secrets masked.

Entries live in the store so every worker process writes to one journal. Each service keeps at most
``limit`` entries; the oldest are dropped, so long demos and load runs do not grow without end.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Column, Integer, String, Table, Text, delete, func, select

from koppeling.harness.keys import mask_data, mask_text
from koppeling.harness.store import Database, UtcDateTime, from_row, inserted_id, metadata

journal_table = Table(
    "journal",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("service", String(32), nullable=False, index=True),
    Column("at", UtcDateTime(), nullable=False),
    Column("kind", String(16), nullable=False),  # http | soap | email | event
    Column("method", String(8)),
    Column("path", String(512)),
    Column("status", Integer),
    Column("operation", String(64)),
    Column("school", String(16), index=True),
    Column("correlation_id", String(64), index=True),
    Column("summary", String(512)),
    Column("request", Text),
    Column("response", Text),
    Column("data", Text),
)

_INSERT = journal_table.insert()
MAX_BODY = 8192
PRUNE_EVERY = 64
REMEMBER_BODY = 64 * 1024


@dataclass
class Entry:
    """One thing that happened, as recorded."""

    service: str
    kind: str
    at: datetime
    method: str | None = None
    path: str | None = None
    status: int | None = None
    operation: str | None = None
    school: str | None = None
    correlation_id: str | None = None
    summary: str | None = None
    request: str | None = None
    response: str | None = None
    data: dict[str, Any] | None = None
    id: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "service": self.service,
            "kind": self.kind,
            "at": self.at.isoformat(),
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "operation": self.operation,
            "school": self.school,
            "correlation_id": self.correlation_id,
            "summary": self.summary,
            "request": self.request,
            "response": self.response,
            "data": self.data,
        }


class Journal:
    """Record and read entries; ``limit`` entries per service are kept."""

    def __init__(self, db: Database, limit: int = 2000) -> None:
        if limit < 1:
            raise ValueError(f"journal limit must be at least 1, got {limit}")
        self._db = db
        self.limit = limit

    def record(self, entry: Entry) -> None:
        """Store an entry; bodies are truncated and secrets masked before they are written."""
        values = {
            "service": entry.service,
            "at": entry.at,
            "kind": entry.kind,
            "method": entry.method,
            "path": mask_text(entry.path) if entry.path else entry.path,
            "status": entry.status,
            "operation": entry.operation,
            "school": entry.school,
            "correlation_id": entry.correlation_id,
            "summary": _clip(mask_text(entry.summary or ""), 512) or None,
            "request": _body(entry.request),
            "response": _body(entry.response),
            "data": json.dumps(mask_data(entry.data)) if entry.data is not None else None,
        }
        with self._db.begin() as conn:
            new_id = inserted_id(conn.execute(_INSERT, values))
            if new_id % PRUNE_EVERY == 0:
                self._prune(conn, entry.service)

    def _prune(self, conn: Any, service: str) -> None:
        t = journal_table
        cutoff = conn.execute(
            select(t.c.id)
            .where(t.c.service == service)
            .order_by(t.c.id.desc())
            .offset(self.limit)
            .limit(1)
        ).scalar()
        if cutoff is not None:
            conn.execute(delete(t).where(t.c.service == service, t.c.id <= cutoff))

    def entries(
        self,
        *,
        service: str | None = None,
        school: str | None = None,
        correlation_id: str | None = None,
        kind: str | None = None,
        since_id: int = 0,
        limit: int | None = None,
        from_oldest: bool = False,
    ) -> list[Entry]:
        """Entries, oldest first, filtered; ``limit`` keeps the newest (the oldest with
        ``from_oldest``: a reader paging forward by ``since_id``)."""
        t = journal_table
        stmt = select(t).where(t.c.id > since_id)
        if service is not None:
            stmt = stmt.where(t.c.service == service)
        if school is not None:
            stmt = stmt.where(t.c.school == school)
        if correlation_id is not None:
            stmt = stmt.where(t.c.correlation_id == correlation_id)
        if kind is not None:
            stmt = stmt.where(t.c.kind == kind)
        stmt = stmt.order_by(t.c.id if from_oldest else t.c.id.desc())
        if limit is not None:
            stmt = stmt.limit(limit)
        with self._db.read() as conn:
            rows = list(conn.execute(stmt))
        return [_entry(row) for row in (rows if from_oldest else reversed(rows))]

    def count(self, service: str | None = None) -> int:
        stmt = select(func.count()).select_from(journal_table)
        if service is not None:
            stmt = stmt.where(journal_table.c.service == service)
        with self._db.read() as conn:
            return int(conn.execute(stmt).scalar() or 0)

    def clear(self, service: str | None = None) -> None:
        stmt = delete(journal_table)
        if service is not None:
            stmt = stmt.where(journal_table.c.service == service)
        with self._db.begin() as conn:
            conn.execute(stmt)


def _clip(text: str, size: int) -> str:
    return text if len(text) <= size else text[:size] + f"… [{len(text) - size} more]"


def _body(text: str | None) -> str | None:
    if text is None:
        return None
    return _remembered_body(text) if len(text) <= REMEMBER_BODY else _masked_body(text)


@lru_cache(maxsize=128)
def _remembered_body(text: str) -> str:
    """Masking is a pure function of the text and a mock's answers repeat (a 16 KB answer costs
    ~3 ms to mask), so the last 128 bodies of up to 64 KB are kept (at most 8 MB)."""
    return _masked_body(text)


def _masked_body(text: str) -> str:
    """A body as the journal keeps it: cut at :data:`MAX_BODY`, secrets masked."""
    if len(text) > 2 * MAX_BODY:  # mask only what is kept: masking a 300 KB answer costs ~30 ms
        kept = mask_text(text[: 2 * MAX_BODY])[:MAX_BODY]
        return kept + f"… [{len(text) - len(kept)} more]"
    return _clip(mask_text(text), MAX_BODY)


def _entry(row: Any) -> Entry:
    return from_row(Entry, row, data=json.loads(row.data) if row.data else None)
