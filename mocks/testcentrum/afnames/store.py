"""The stand-in testcentrum's afnames, their normings and the durable forwarding outbox.

Why one store: the forwarding rule ("a test normed before activation is never forwarded") is
decided at the *first* norming and must be written in the same transaction as that norming, and
the outbox message that carries an eligible result must be written in that transaction too, so a
crash can never leave a normed afname without its decision or an eligible one without a message.

The outbox is the only queue: the forwarder claims rows (status ``bezig`` with an owner and a lease,
in one transaction), sends, then marks them. A worker that dies mid-send leaves ``bezig`` rows whose
lease runs out; the next worker claims them again. Delivery is at-least-once; the stable
``resultaat@key`` (derived from the afname id) makes a resend an update at Schoolkr8, so the effect
is exactly-once. No Flask, no transactions of its own: every method takes the caller's connection.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    and_,
    bindparam,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Connection, Row

from koppeling.harness.clock import iso
from koppeling.harness.schools import school_key
from koppeling.harness.store import UtcDateTime, chunks, from_row, metadata

RESULTAAT_KEY_PREFIX = "boom-tc-"

# The status of an afname (and the Leerlingenoverzicht tab that lists it).
GESCOORD = "gescoord"
GENORMEERD = "genormeerd"

# Forwarding decision of an afname, taken once, at its first norming.
ELIGIBLE = "doorsturen"
NOT_APPLICABLE = "niet_van_toepassing"

# Outbox message states. ``bezig`` = claimed by a worker (shown to users as ``wachtend``).
PENDING, CLAIMED, SENT, FAILED = "wachtend", "bezig", "verzonden", "mislukt"

afnames_table = Table(
    "tc_afnames",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("school", String(16), nullable=False, index=True),
    Column("brincode", String(4), nullable=False),
    Column("dependancecode", String(2), nullable=False),
    Column("leerlingnummer", String(64), nullable=False),
    Column("toets", String(64), nullable=False),
    Column("ruwe_score", Integer, nullable=False),
    Column("afnamedatum", Date, nullable=False),
    Column("groep", Integer, nullable=False),
    Column("ingevoerd_op", UtcDateTime(), nullable=False),
    Column("eerst_genormeerd_op", UtcDateTime()),
    Column("genormeerd_op", UtcDateTime()),
    Column("normeringen", Integer, nullable=False, default=0),
    Column("normering", Text),  # JSON of the latest normed figures
    Column("doorsturing", String(32)),  # None until first normed; then ELIGIBLE | NOT_APPLICABLE
)

outbox_table = Table(
    "tc_outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("afname_id", String(32), ForeignKey("tc_afnames.id"), nullable=False, index=True),
    Column("school", String(16), nullable=False),
    Column("normering_nr", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UtcDateTime(), nullable=False),
    Column("claimed_by", String(64)),
    Column("claimed_until", UtcDateTime()),
    Column("reden", Text),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("sent_at", UtcDateTime()),
)
Index("ix_tc_outbox_due", outbox_table.c.status, outbox_table.c.next_attempt_at)


def forwarding_status(afname: Afname) -> str | None:
    """The forwarding status right after a norming: an eligible afname has just been queued."""
    if afname.doorsturing is None:
        return None
    return NOT_APPLICABLE if afname.doorsturing == NOT_APPLICABLE else PENDING


def resultaat_key(afname_id: str) -> str:
    """The stable ``resultaat@key`` of an afname: every (re)send of it carries this key."""
    return RESULTAAT_KEY_PREFIX + afname_id


# --- entities ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Afname:
    """One scored test of one pupil, with its latest norming (if any)."""

    id: str
    school: str
    brincode: str
    dependancecode: str
    leerlingnummer: str
    toets: str
    ruwe_score: int
    afnamedatum: date
    groep: int
    ingevoerd_op: datetime
    eerst_genormeerd_op: datetime | None
    genormeerd_op: datetime | None
    normeringen: int
    normering: dict[str, Any] | None
    doorsturing: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "brincode": self.brincode,
            "dependancecode": self.dependancecode,
            "leerlingnummer": self.leerlingnummer,
            "toets": self.toets,
            "ruwe_score": self.ruwe_score,
            "afnamedatum": self.afnamedatum.isoformat(),
            "groep": self.groep,
            "ingevoerd_op": iso(self.ingevoerd_op),
            "status": GENORMEERD if self.normeringen else GESCOORD,
            "eerst_genormeerd_op": iso(self.eerst_genormeerd_op),
            "genormeerd_op": iso(self.genormeerd_op),
            "normeringen": self.normeringen,
            "normering": self.normering,
        }


@dataclass(frozen=True)
class NewAfname:
    """What Score invoeren records for one afname."""

    leerlingnummer: str
    toets: str
    ruwe_score: int
    afnamedatum: date
    groep: int


@dataclass(frozen=True)
class Doorsturing:
    """The forwarding status of one normed afname, as the testcentrum shows it."""

    afname_id: str
    leerlingnummer: str
    toets: str
    status: str  # verzonden | wachtend | niet_van_toepassing | mislukt
    attempts: int
    berichten: int
    reden: str | None
    genormeerd_op: datetime | None
    verzonden_op: datetime | None
    volgende_poging: datetime | None

    def as_json(self) -> dict[str, Any]:
        return {
            "afname_id": self.afname_id,
            "leerlingnummer": self.leerlingnummer,
            "toets": self.toets,
            "status": self.status,
            "attempts": self.attempts,
            "berichten": self.berichten,
            "reden": self.reden,
            "resultaat_key": resultaat_key(self.afname_id),
            "genormeerd_op": iso(self.genormeerd_op),
            "verzonden_op": iso(self.verzonden_op),
            "volgende_poging": iso(self.volgende_poging),
        }


@dataclass(frozen=True)
class Message:
    """One claimed outbox row."""

    id: int
    afname_id: str
    school: str
    attempts: int


# --- the store ---------------------------------------------------------------------------------


class AfnamesStore:
    """Afnames, their normings (the forwarding decision included) and the outbox."""

    # -- afnames --------------------------------------------------------------------------------

    def insert_many(
        self,
        conn: Connection,
        brincode: str,
        dependancecode: str,
        items: Sequence[NewAfname],
        *,
        at: datetime,
    ) -> list[Afname]:
        """Record scored afnames (not yet normed), in order."""
        key = school_key(brincode, dependancecode)
        ids = [uuid.uuid4().hex for _ in items]
        rows = [
            {
                "id": afname_id,
                "school": key,
                "brincode": brincode,
                "dependancecode": dependancecode,
                "leerlingnummer": item.leerlingnummer,
                "toets": item.toets,
                "ruwe_score": item.ruwe_score,
                "afnamedatum": item.afnamedatum,
                "groep": item.groep,
                "ingevoerd_op": at,
                "normeringen": 0,
            }
            for afname_id, item in zip(ids, items, strict=True)
        ]
        if rows:
            conn.execute(afnames_table.insert(), rows)
        made = self.by_ids(conn, ids)
        return [made[afname_id] for afname_id in ids]

    def get(self, conn: Connection, afname_id: str) -> Afname | None:
        row = conn.execute(_by_id(afname_id)).first()
        return None if row is None else _afname(row)

    def of_school(self, conn: Connection, brincode: str, dependancecode: str) -> list[Afname]:
        """Every afname of a school, oldest first."""
        t = afnames_table
        stmt = (
            select(t)
            .where(t.c.school == school_key(brincode, dependancecode))
            .order_by(t.c.ingevoerd_op, t.c.id)
        )
        return [_afname(r) for r in conn.execute(stmt)]

    def by_ids(self, conn: Connection, ids: Iterable[str]) -> dict[str, Afname]:
        """The afnames with these ids (unknown ids are left out)."""
        return {r.id: _afname(r) for r in _rows_by_ids(conn, list(ids))}

    def tabs(self, conn: Connection, school: str) -> dict[str, set[str]]:
        """Per leerlingnummer the statuses of its afnames: ``gescoord`` = a score waits for
        norming, ``genormeerd`` = an afname is normed."""
        t = afnames_table
        stmt = select(t.c.leerlingnummer, t.c.genormeerd_op).where(t.c.school == school)
        tabs: dict[str, set[str]] = {}
        for nummer, genormeerd_op in conn.execute(stmt):
            tabs.setdefault(nummer, set()).add(GENORMEERD if genormeerd_op else GESCOORD)
        return tabs

    def record_normings(
        self,
        conn: Connection,
        normeringen: dict[str, dict[str, Any]],
        *,
        at: datetime,
        eligible: bool,
        now_real: datetime,
    ) -> list[Afname]:
        """Store (re-)normings at the school's instant ``at``.

        ``eligible`` (was the dashboard koppeling active at ``at``?) only counts at an afname's
        FIRST norming: it fixes that afname's forwarding decision for good. Every norming of an
        eligible afname gets an outbox message in the caller's same transaction. Unknown ids are
        skipped.
        """
        t = afnames_table
        updates: list[dict[str, Any]] = []
        to_send: list[tuple[str, str, int]] = []
        for row in _rows_by_ids(conn, list(normeringen)):
            first = row.eerst_genormeerd_op is None
            decision = (ELIGIBLE if eligible else NOT_APPLICABLE) if first else row.doorsturing
            updates.append(
                {
                    "_id": row.id,
                    "_genormeerd_op": at,
                    "_normeringen": row.normeringen + 1,
                    "_normering": json.dumps(normeringen[row.id]),
                    "_eerst": at if first else row.eerst_genormeerd_op,
                    "_doorsturing": decision,
                }
            )
            if decision == ELIGIBLE:
                to_send.append((row.id, row.school, row.normeringen + 1))
        if updates:
            conn.execute(
                update(t)
                .where(t.c.id == bindparam("_id"))
                .values(
                    genormeerd_op=bindparam("_genormeerd_op"),
                    normeringen=bindparam("_normeringen"),
                    normering=bindparam("_normering"),
                    eerst_genormeerd_op=bindparam("_eerst"),
                    doorsturing=bindparam("_doorsturing"),
                ),
                updates,
            )
        _enqueue(conn, to_send, now_real)
        done = self.by_ids(conn, list(normeringen))
        return [done[i] for i in normeringen if i in done]

    # -- doorsturing (what the school sees) -----------------------------------------------------

    def doorsturing(
        self, conn: Connection, brincode: str, dependancecode: str
    ) -> list[Doorsturing]:
        """The forwarding status of every normed afname of a school."""
        key = school_key(brincode, dependancecode)
        a, o = afnames_table, outbox_table
        afnames = list(
            conn.execute(
                select(a)
                .where(a.c.school == key, a.c.normeringen > 0)
                .order_by(a.c.eerst_genormeerd_op, a.c.id)
            )
        )
        messages: dict[str, list[Row[Any]]] = {}
        for m in conn.execute(select(o).where(o.c.school == key).order_by(o.c.id)):
            messages.setdefault(m.afname_id, []).append(m)
        return [_doorsturing(row, messages.get(row.id, [])) for row in afnames]

    def samenvatting(self, conn: Connection, brincode: str, dependancecode: str) -> dict[str, int]:
        """How many normed afnames of a school are in each forwarding status (counted in SQL)."""
        key = school_key(brincode, dependancecode)
        a, o = afnames_table, outbox_table
        counts = dict.fromkeys((SENT, PENDING, NOT_APPLICABLE, FAILED), 0)
        latest = (
            select(func.max(o.c.id).label("id"))
            .where(o.c.school == key)
            .group_by(o.c.afname_id)
            .subquery()
        )
        counts[NOT_APPLICABLE] = int(
            conn.execute(
                select(func.count())
                .select_from(a)
                .where(a.c.school == key, a.c.doorsturing == NOT_APPLICABLE)
            ).scalar_one()
        )
        for status, n in conn.execute(
            select(o.c.status, func.count())
            .join(latest, o.c.id == latest.c.id)
            .group_by(o.c.status)
        ):
            counts[PENDING if status == CLAIMED else status] += int(n)
        return {**counts, "totaal": sum(counts.values())}

    # -- the outbox -----------------------------------------------------------------------------

    def claim(
        self,
        conn: Connection,
        owner: str,
        *,
        now: datetime,
        lease: timedelta,
        per_school: int,
        limit: int,
    ) -> dict[str, list[Message]]:
        """Claim due messages (waiting and due, or claimed with an expired lease), at most
        ``per_school`` per school and ``limit`` in all, grouped by school."""
        o = outbox_table
        due = or_(
            and_(o.c.status == PENDING, o.c.next_attempt_at <= now),
            and_(o.c.status == CLAIMED, o.c.claimed_until < now),
        )
        stmt = (
            select(o.c.id, o.c.afname_id, o.c.school, o.c.attempts)
            .where(due, o.c.afname_id.not_in(_live_claims(now)))
            .order_by(o.c.id)
            .limit(limit)
        )
        picked: dict[str, list[Message]] = {}
        for r in conn.execute(stmt):
            batch = picked.setdefault(r.school, [])
            if len(batch) < per_school:
                batch.append(from_row(Message, r))
        ids = [m.id for batch in picked.values() for m in batch]
        for chunk in chunks(ids):
            conn.execute(
                update(o)
                .where(o.c.id.in_(chunk), due)
                .values(status=CLAIMED, claimed_by=owner, claimed_until=now + lease)
            )
        mine = _claimed_ids(conn, owner, ids)
        return {
            school: kept
            for school, batch in picked.items()
            if (kept := [m for m in batch if m.id in mine])
        }

    def mark_sent(
        self, conn: Connection, messages: Sequence[Message], owner: str, at: datetime
    ) -> int:
        """Delivered: ``verzonden`` (only rows this owner still holds)."""
        return _finish(
            conn,
            messages,
            owner,
            status=SENT,
            sent_at=at,
            reden=None,
            attempts=outbox_table.c.attempts + 1,
        )

    def mark_retry(
        self,
        conn: Connection,
        messages: Sequence[Message],
        owner: str,
        *,
        next_at: datetime,
        reden: str,
    ) -> int:
        """A transient failure: back to ``wachtend`` until ``next_at``, one attempt more."""
        return _finish(
            conn,
            messages,
            owner,
            status=PENDING,
            next_attempt_at=next_at,
            reden=reden,
            attempts=outbox_table.c.attempts + 1,
        )

    def hold(
        self,
        conn: Connection,
        messages: Sequence[Message],
        owner: str,
        *,
        next_at: datetime,
        reden: str,
    ) -> int:
        """Not sent now (e.g. the koppeling is not active): ``wachtend``, no attempt counted."""
        return _finish(conn, messages, owner, status=PENDING, next_attempt_at=next_at, reden=reden)

    def mark_failed(
        self, conn: Connection, messages: Sequence[Message], owner: str, reden: str
    ) -> int:
        """A permanent (``Client.*``) failure: ``mislukt`` with the reason."""
        return _finish(
            conn,
            messages,
            owner,
            status=FAILED,
            reden=reden,
            attempts=outbox_table.c.attempts + 1,
        )

    def next_due(self, conn: Connection) -> datetime | None:
        """When the earliest waiting message is due (for the worker's sleep)."""
        o = outbox_table
        stmt = select(func.min(o.c.next_attempt_at)).where(o.c.status == PENDING)
        value: datetime | None = conn.execute(stmt).scalar_one()
        return value


# --- helpers -----------------------------------------------------------------------------------


def _enqueue(conn: Connection, items: list[tuple[str, str, int]], now_real: datetime) -> None:
    """One message per norming of each (afname id, school, norming nr), unless that afname has a
    message still waiting: that one will carry the latest figures (they are read at send time)."""
    o = outbox_table
    waiting: set[str] = set()
    for chunk in chunks([afname_id for afname_id, _, _ in items]):
        waiting.update(
            conn.execute(
                select(o.c.afname_id).where(o.c.afname_id.in_(chunk), o.c.status == PENDING)
            ).scalars()
        )
    bumps = [{"_afname": a, "_nr": nr} for a, _, nr in items if a in waiting]
    if bumps:
        conn.execute(
            update(o)
            .where(o.c.afname_id == bindparam("_afname"), o.c.status == PENDING)
            .values(normering_nr=bindparam("_nr")),
            bumps,
        )
    new = [
        {
            "afname_id": a,
            "school": school,
            "normering_nr": nr,
            "status": PENDING,
            "attempts": 0,
            "next_attempt_at": now_real,
            "created_at": now_real,
        }
        for a, school, nr in items
        if a not in waiting
    ]
    if new:
        conn.execute(o.insert(), new)


def _finish(conn: Connection, messages: Sequence[Message], owner: str, **values: Any) -> int:
    """Release this owner's claim on ``messages`` with ``values``; how many it still held."""
    o = outbox_table
    count = 0
    for chunk in chunks([m.id for m in messages]):
        result = conn.execute(
            update(o)
            .where(o.c.id.in_(chunk), o.c.status == CLAIMED, o.c.claimed_by == owner)
            .values(claimed_by=None, claimed_until=None, **values)
        )
        count += result.rowcount
    return count


def _live_claims(now: datetime) -> Any:
    """Afnames with a message another worker is sending right now (keep their order)."""
    o = outbox_table
    return select(o.c.afname_id).where(o.c.status == CLAIMED, o.c.claimed_until >= now)


def _claimed_ids(conn: Connection, owner: str, ids: list[int]) -> set[int]:
    o = outbox_table
    mine: set[int] = set()
    for chunk in chunks(ids):
        stmt = select(o.c.id).where(o.c.id.in_(chunk), o.c.claimed_by == owner)
        mine.update(conn.execute(stmt).scalars())
    return mine


def _rows_by_ids(conn: Connection, ids: list[str]) -> list[Row[Any]]:
    rows: list[Row[Any]] = []
    for chunk in chunks(ids):
        rows.extend(conn.execute(select(afnames_table).where(afnames_table.c.id.in_(chunk))))
    return rows


def _by_id(afname_id: str) -> Any:
    return select(afnames_table).where(afnames_table.c.id == afname_id)


def _afname(row: Row[Any]) -> Afname:
    return from_row(Afname, row, normering=json.loads(row.normering) if row.normering else None)


def _doorsturing(afname: Row[Any], messages: list[Row[Any]]) -> Doorsturing:
    if afname.doorsturing == NOT_APPLICABLE:
        status, last = NOT_APPLICABLE, None
        reden: str | None = "genormeerd voordat de dashboard-koppeling actief was"
    else:
        last = messages[-1] if messages else None
        status = PENDING if last is None or last.status == CLAIMED else last.status
        reden = last.reden if last is not None and last.status != SENT else None
    sent = [m.sent_at for m in messages if m.status == SENT]
    return Doorsturing(
        afname_id=afname.id,
        leerlingnummer=afname.leerlingnummer,
        toets=afname.toets,
        status=status,
        attempts=last.attempts if last is not None else 0,
        berichten=len(messages),
        reden=reden,
        genormeerd_op=afname.genormeerd_op,
        verzonden_op=max((s for s in sent if s is not None), default=None),
        volgende_poging=last.next_attempt_at if last is not None and status == PENDING else None,
    )
