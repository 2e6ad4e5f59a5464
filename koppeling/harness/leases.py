"""Leases: of all harness processes on one store, exactly one does a named piece of work.

Several ``koppeling up`` hosts may share one store (PostgreSQL); each starts the testcentrum's
forwarder and aanvraag poller, but only the holder of the job's lease runs it. A lease is one row
(``name``, ``holder``, ``expires_at``) taken or renewed with one conditional
``UPDATE … WHERE holder = me OR expires_at < now``: the database decides who wins, on SQLite and
PostgreSQL alike. The holder renews it while it works (every third of its time to live); if it
dies, the lease runs out and another process takes it over. Leases are timed by real time (never
the harness clock, which scenarios freeze), so the hosts' clocks must agree to well within the
time to live (NTP). The work itself stays safe if two holders ever overlap: the outbox rows and
the decisions carry their own claims and conditional updates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Column, String, Table, or_, select, update

from koppeling.harness.store import Database, UtcDateTime, insert_ignore, metadata

leases_table = Table(
    "leases",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("holder", String(128)),
    Column("expires_at", UtcDateTime()),
)


@dataclass(frozen=True)
class LeaseState:
    """Who holds a lease and until when (None: nobody)."""

    name: str
    holder: str | None
    expires_at: datetime | None


class Lease:
    """One named lease as seen by one ``holder``: ``acquire()`` (take or renew), ``release()``."""

    def __init__(
        self,
        db: Database,
        name: str,
        holder: str,
        *,
        ttl: float = 30.0,
        real_now: Callable[[], datetime] | None = None,
    ) -> None:
        if ttl <= 0:
            raise ValueError(f"a lease needs a positive time to live, got {ttl}")
        self.db = db
        self.name = name
        self.holder = holder
        self.ttl = timedelta(seconds=ttl)
        self._now = real_now or (lambda: datetime.now(UTC))
        self._renewed_at: datetime | None = None

    @property
    def held(self) -> bool:
        """Whether this holder had the lease at its last acquire (and it has not run out)."""
        return self._renewed_at is not None and self._now() < self._renewed_at + self.ttl

    def acquire(self) -> bool:
        """Take the lease if it is free or ran out, renew it if it is ours; whether we hold it.

        A holder that renewed less than a third of the time to live ago is not asked again (no
        write per pass of a busy worker)."""
        now = self._now()
        if self._renewed_at is not None and now < self._renewed_at + self.ttl / 3:
            return True
        t = leases_table
        with self.db.begin() as conn:
            insert_ignore(conn, t, {"name": self.name, "holder": None, "expires_at": None})
            taken = conn.execute(
                update(t)
                .where(
                    t.c.name == self.name,
                    or_(t.c.holder == self.holder, t.c.holder.is_(None), t.c.expires_at < now),
                )
                .values(holder=self.holder, expires_at=now + self.ttl)
            ).rowcount
        self._renewed_at = now if taken == 1 else None
        return taken == 1

    def release(self) -> None:
        """Give the lease up at once (a clean stop), so another process need not wait."""
        self._renewed_at = None
        t = leases_table
        with self.db.begin() as conn:
            conn.execute(
                update(t)
                .where(t.c.name == self.name, t.c.holder == self.holder)
                .values(holder=None, expires_at=None)
            )

    def state(self) -> LeaseState:
        t = leases_table
        with self.db.read() as conn:
            row = conn.execute(select(t).where(t.c.name == self.name)).first()
        if row is None:
            return LeaseState(self.name, None, None)
        return LeaseState(self.name, row.holder, row.expires_at)
