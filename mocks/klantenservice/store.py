"""Boom klantenservice's memory: the dashboard requests (aanvragen) and per-school handling modes.

Every step of a decision is a conditional UPDATE (``... WHERE status = 'in_behandeling'``), so two
workers or two retries racing on one aanvraag decide it once; the e-mail of that decision is claimed
the same way (``mail_status``), which is what makes "exactly one e-mail per decision" hold when the
testcentrum retries, polls, or several processes serve the API. Only the hash of a key is kept.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, DateTime, String, Table, Text, select, update

from koppeling.harness.keys import key_hash, key_matches, mask
from koppeling.harness.store import Database, metadata

IN_BEHANDELING = "in_behandeling"
GOEDGEKEURD = "goedgekeurd"
AFGEWEZEN = "afgewezen"
INGETROKKEN = "ingetrokken"
AUTOMATISCH = "automatisch"
HANDMATIG = "handmatig"

# mail_status: no mail owed, owed, being sent by some process, sent.
MAIL_GEEN = "geen"
MAIL_TE_VERZENDEN = "te_verzenden"
MAIL_VERZENDEN = "verzenden"
MAIL_VERZONDEN = "verzonden"

aanvragen_table = Table(
    "ks_aanvragen",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("school", String(16), nullable=False, index=True),
    Column("brincode", String(4), nullable=False),
    Column("dependancecode", String(2), nullable=False),
    Column("type_dashboard", String(64), nullable=False),
    Column("sleutel_hash", String(64), nullable=False),
    # The plain key only while undecided (a later pass may still have to check it at Schoolkr8).
    Column("sleutel", String(64)),
    Column("sleutel_masker", String(16), nullable=False),
    Column("beheerder_email", String(254), nullable=False),
    Column("idempotency_key", String(128), unique=True),
    Column("modus", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("reden", Text),
    Column("controles", Text),
    Column("school_naam", String(128)),
    Column("ontvangen_op", DateTime(timezone=True), nullable=False),
    Column("besloten_op", DateTime(timezone=True)),
    Column("mail_status", String(16), nullable=False),
    Column("mail_message_id", String(256)),
)

modus_table = Table(
    "ks_modus",
    metadata,
    Column("school", String(16), primary_key=True),
    Column("modus", String(16), nullable=False),
)


@dataclass(frozen=True)
class Controle:
    """One check of "all fields correct": ``geslaagd`` None means it could not be checked (yet)."""

    naam: str
    geslaagd: bool | None
    toelichting: str

    def as_json(self) -> dict[str, Any]:
        return {"controle": self.naam, "geslaagd": self.geslaagd, "toelichting": self.toelichting}


@dataclass(frozen=True)
class Aanvraag:
    """A stored request for a dashboard koppeling (the key only as hash and mask)."""

    id: str
    school: str
    brincode: str
    dependancecode: str
    type_dashboard: str
    sleutel_hash: str = field(repr=False)
    sleutel_masker: str
    beheerder_email: str
    idempotency_key: str | None
    modus: str
    status: str
    reden: str | None
    controles: list[Controle]
    school_naam: str | None
    ontvangen_op: datetime
    besloten_op: datetime | None
    mail_status: str

    @property
    def besloten(self) -> bool:
        return self.status in (GOEDGEKEURD, AFGEWEZEN)

    def as_json(self) -> dict[str, Any]:
        """The API view: the key masked, times in UTC ISO-8601."""
        return {
            "id": self.id,
            "status": self.status,
            "reden": self.reden,
            "brincode": self.brincode,
            "dependancecode": self.dependancecode,
            "type_dashboard": self.type_dashboard,
            "autorisatiesleutel": self.sleutel_masker,
            "beheerder_email": self.beheerder_email,
            "modus": self.modus,
            "controles": [c.as_json() for c in self.controles],
            "ontvangen_op": self.ontvangen_op.isoformat(),
            "besloten_op": self.besloten_op.isoformat() if self.besloten_op else None,
            "mail_verzonden": self.mail_status == MAIL_VERZONDEN,
        }


@dataclass(frozen=True)
class NieuweAanvraag:
    """What a school sends in: the fields of ``POST /api/aanvragen``."""

    brincode: str
    dependancecode: str
    type_dashboard: str
    autorisatiesleutel: str = field(repr=False)
    beheerder_email: str

    @property
    def school(self) -> str:
        return f"{self.brincode}-{self.dependancecode}"


class Aanvragen:
    """The aanvragen table: insert with de-duplication, conditional decisions, mail claims."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def insert_or_existing(
        self, nieuw: NieuweAanvraag, *, modus: str, idempotency_key: str | None, now: datetime
    ) -> tuple[Aanvraag, bool]:
        """Store a new aanvraag, or return the one this is a retry of (``created`` False).

        A retry is the same ``Idempotency-Key``, or the same school, dashboard, key and beheerder
        while an earlier aanvraag is still in behandeling or approved. A key reused with other
        fields is a ValueError.
        """
        t = aanvragen_table
        with self._db.begin() as conn:
            if idempotency_key is not None:
                row = conn.execute(select(t).where(t.c.idempotency_key == idempotency_key)).first()
                if row is not None:
                    if not _same_request(row, nieuw):
                        raise ValueError("Idempotency-Key hergebruikt voor een andere aanvraag")
                    return _aanvraag(row), False
            for row in conn.execute(
                select(t).where(
                    t.c.school == nieuw.school, t.c.status.in_((IN_BEHANDELING, GOEDGEKEURD))
                )
            ):
                if _same_request(row, nieuw):
                    return _aanvraag(row), False
            # Real-time ordered ids: the queue stays in arrival order under a frozen clock too.
            new_id = f"ks-{time.time_ns():x}{uuid.uuid4().hex[:6]}"
            conn.execute(
                t.insert().values(
                    id=new_id,
                    school=nieuw.school,
                    brincode=nieuw.brincode,
                    dependancecode=nieuw.dependancecode,
                    type_dashboard=nieuw.type_dashboard,
                    sleutel_hash=key_hash(nieuw.autorisatiesleutel),
                    sleutel=nieuw.autorisatiesleutel,
                    sleutel_masker=mask(nieuw.autorisatiesleutel),
                    beheerder_email=nieuw.beheerder_email,
                    idempotency_key=idempotency_key,
                    modus=modus,
                    status=IN_BEHANDELING,
                    controles="[]",
                    ontvangen_op=now,
                    mail_status=MAIL_GEEN,
                )
            )
            row = conn.execute(select(t).where(t.c.id == new_id)).one()
        return _aanvraag(row), True

    def get(self, aanvraag_id: str) -> Aanvraag | None:
        """The aanvraag with this id, or None."""
        with self._db.begin() as conn:
            row = conn.execute(
                select(aanvragen_table).where(aanvragen_table.c.id == aanvraag_id)
            ).first()
        return _aanvraag(row) if row is not None else None

    def key_of(self, aanvraag_id: str) -> str | None:
        """The plain key of an undecided aanvraag (None once decided): only for the key check."""
        t = aanvragen_table
        with self._db.begin() as conn:
            return conn.execute(select(t.c.sleutel).where(t.c.id == aanvraag_id)).scalar()

    def recent(
        self, *, limit: int = 50, status: str | None = None, school: str | None = None
    ) -> list[Aanvraag]:
        """The newest aanvragen first, optionally of one status and/or one school."""
        t = aanvragen_table
        stmt = select(t).order_by(t.c.ontvangen_op.desc(), t.c.id.desc()).limit(limit)
        if status is not None:
            stmt = stmt.where(t.c.status == status)
        if school is not None:
            stmt = stmt.where(t.c.school == school)
        with self._db.begin() as conn:
            return [_aanvraag(r) for r in conn.execute(stmt)]

    def pending(self, modus: str = AUTOMATISCH) -> list[Aanvraag]:
        """Aanvragen still in behandeling in ``modus`` (oldest first)."""
        t = aanvragen_table
        with self._db.begin() as conn:
            rows = conn.execute(
                select(t)
                .where(t.c.status == IN_BEHANDELING, t.c.modus == modus)
                .order_by(t.c.ontvangen_op)
            )
            return [_aanvraag(r) for r in rows]

    def record_checks(
        self, aanvraag_id: str, controles: list[Controle], school_naam: str | None
    ) -> None:
        """Keep the latest check results (shown to a human in manual mode)."""
        t = aanvragen_table
        with self._db.begin() as conn:
            conn.execute(
                update(t)
                .where(t.c.id == aanvraag_id)
                .values(
                    controles=json.dumps([c.as_json() for c in controles]),
                    school_naam=school_naam,
                )
            )

    def decide(self, aanvraag_id: str, status: str, reden: str | None, now: datetime) -> bool:
        """Move an aanvraag from in_behandeling to a decision; False if it was decided already."""
        if status not in (GOEDGEKEURD, AFGEWEZEN):
            raise ValueError(f"a decision is goedgekeurd or afgewezen, got {status!r}")
        t = aanvragen_table
        with self._db.begin() as conn:
            result = conn.execute(
                update(t)
                .where(t.c.id == aanvraag_id, t.c.status == IN_BEHANDELING)
                .values(
                    status=status,
                    reden=reden,
                    besloten_op=now,
                    sleutel=None,
                    mail_status=MAIL_TE_VERZENDEN,
                )
            )
            return bool(result.rowcount == 1)

    def withdraw(self, aanvraag_id: str) -> bool:
        """Mark an aanvraag ingetrokken (the school deactivated); True if it changed."""
        t = aanvragen_table
        with self._db.begin() as conn:
            result = conn.execute(
                update(t)
                .where(t.c.id == aanvraag_id, t.c.status != INGETROKKEN)
                .values(status=INGETROKKEN, sleutel=None)
            )
            return bool(result.rowcount == 1)

    def claim_mail(self, aanvraag_id: str) -> bool:
        """Take the duty of sending this aanvraag's decision e-mail (only one caller wins)."""
        return self._move_mail(aanvraag_id, MAIL_TE_VERZENDEN, MAIL_VERZENDEN)

    def mail_sent(self, aanvraag_id: str, message_id: str) -> None:
        """Record that the decision e-mail went out."""
        t = aanvragen_table
        with self._db.begin() as conn:
            conn.execute(
                update(t)
                .where(t.c.id == aanvraag_id)
                .values(mail_status=MAIL_VERZONDEN, mail_message_id=message_id)
            )

    def mail_failed(self, aanvraag_id: str) -> None:
        """Give the e-mail back so a later pass sends it (SMTP was down)."""
        self._move_mail(aanvraag_id, MAIL_VERZENDEN, MAIL_TE_VERZENDEN)

    def mail_owed(self) -> list[str]:
        """Ids of decided aanvragen whose e-mail has not been sent yet."""
        t = aanvragen_table
        with self._db.begin() as conn:
            return [
                r.id
                for r in conn.execute(select(t.c.id).where(t.c.mail_status == MAIL_TE_VERZENDEN))
            ]

    def _move_mail(self, aanvraag_id: str, old: str, new: str) -> bool:
        t = aanvragen_table
        with self._db.begin() as conn:
            result = conn.execute(
                update(t)
                .where(t.c.id == aanvraag_id, t.c.mail_status == old)
                .values(mail_status=new)
            )
            return bool(result.rowcount == 1)


class Modi:
    """Per-school handling mode (automatic or manual), so parallel scenarios don't collide."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self, school: str) -> str | None:
        """The mode set for this school, or None (then the service default applies)."""
        with self._db.begin() as conn:
            return conn.execute(
                select(modus_table.c.modus).where(modus_table.c.school == school)
            ).scalar()

    def set(self, school: str, modus: str) -> None:
        """Set this school's mode."""
        with self._db.begin() as conn:
            conn.execute(modus_table.delete().where(modus_table.c.school == school))
            conn.execute(modus_table.insert().values(school=school, modus=modus))


def _same_request(row: Any, nieuw: NieuweAanvraag) -> bool:
    return bool(
        row.school == nieuw.school
        and row.type_dashboard == nieuw.type_dashboard
        and row.beheerder_email.lower() == nieuw.beheerder_email.lower()
        and key_matches(nieuw.autorisatiesleutel, row.sleutel_hash)
    )


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _aanvraag(row: Any) -> Aanvraag:
    controles = [
        Controle(c["controle"], c["geslaagd"], c["toelichting"])
        for c in json.loads(row.controles or "[]")
    ]
    ontvangen = _aware(row.ontvangen_op)
    assert ontvangen is not None
    return Aanvraag(
        id=row.id,
        school=row.school,
        brincode=row.brincode,
        dependancecode=row.dependancecode,
        type_dashboard=row.type_dashboard,
        sleutel_hash=row.sleutel_hash,
        sleutel_masker=row.sleutel_masker,
        beheerder_email=row.beheerder_email,
        idempotency_key=row.idempotency_key,
        modus=row.modus,
        status=row.status,
        reden=row.reden,
        controles=controles,
        school_naam=row.school_naam,
        ontvangen_op=ontvangen,
        besloten_op=_aware(row.besloten_op),
        mail_status=row.mail_status,
    )
