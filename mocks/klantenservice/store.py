"""Boom klantenservice's memory: the dashboard requests (aanvragen) and per-school handling modes.

Every step of a decision is a conditional UPDATE (``... WHERE status = 'in_behandeling'``), so two
workers or two retries racing on one aanvraag decide it once; the e-mail of that decision is claimed
the same way (``mail_status``), which is what makes "exactly one e-mail per decision" hold when the
testcentrum retries, polls, or several processes serve the API. Only the hash of a key is kept.
The service opens the transactions; every method here takes its connection first.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Connection, String, Table, Text, select, update

from koppeling.harness.clock import iso
from koppeling.harness.keys import key_hash, key_matches, mask
from koppeling.harness.store import UtcDateTime, from_row, metadata

IN_BEHANDELING = "in_behandeling"
GOEDGEKEURD = "goedgekeurd"
AFGEWEZEN = "afgewezen"
INGETROKKEN = "ingetrokken"
STATUSSEN = (IN_BEHANDELING, GOEDGEKEURD, AFGEWEZEN, INGETROKKEN)

AUTOMATISCH = "automatisch"
HANDMATIG = "handmatig"
MODI = (AUTOMATISCH, HANDMATIG)

# mail_status: no mail owed, owed, being sent by some process, sent — or failed for good (the
# mail could not be built from the stored fields; sending it again would fail again).
MAIL_GEEN = "geen"
MAIL_TE_VERZENDEN = "te_verzenden"
MAIL_VERZENDEN = "verzenden"
MAIL_VERZONDEN = "verzonden"
MAIL_MISLUKT = "mislukt"

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
    Column("ontvangen_op", UtcDateTime(), nullable=False),
    Column("besloten_op", UtcDateTime()),
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
            "ontvangen_op": iso(self.ontvangen_op),
            "besloten_op": iso(self.besloten_op),
            "mail_verzonden": self.mail_status == MAIL_VERZONDEN,
            "mail_status": self.mail_status,
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

    def same_as(self, aanvraag: Aanvraag) -> bool:
        """Whether ``aanvraag`` was made of these fields (the key compared by its hash)."""
        return (
            aanvraag.school == self.school
            and aanvraag.type_dashboard == self.type_dashboard
            and aanvraag.beheerder_email.lower() == self.beheerder_email.lower()
            and key_matches(self.autorisatiesleutel, aanvraag.sleutel_hash)
        )


class KlantenserviceStore:
    """The aanvragen and modus tables: inserts, conditional decisions, mail claims, modes."""

    # --- aanvragen -----------------------------------------------------------------------------

    def get(self, conn: Connection, aanvraag_id: str) -> Aanvraag | None:
        """The aanvraag with this id, or None."""
        t = aanvragen_table
        row = conn.execute(select(t).where(t.c.id == aanvraag_id)).first()
        return _aanvraag(row) if row is not None else None

    def get_by_idempotency_key(self, conn: Connection, idempotency_key: str) -> Aanvraag | None:
        """The aanvraag first sent with this ``Idempotency-Key``, or None."""
        t = aanvragen_table
        row = conn.execute(select(t).where(t.c.idempotency_key == idempotency_key)).first()
        return _aanvraag(row) if row is not None else None

    def current(self, conn: Connection, school: str) -> list[Aanvraag]:
        """The school's aanvragen still in behandeling or approved."""
        t = aanvragen_table
        rows = conn.execute(
            select(t).where(t.c.school == school, t.c.status.in_((IN_BEHANDELING, GOEDGEKEURD)))
        )
        return [_aanvraag(r) for r in rows]

    def insert(
        self,
        conn: Connection,
        nieuw: NieuweAanvraag,
        *,
        modus: str,
        idempotency_key: str | None,
        now: datetime,
    ) -> Aanvraag:
        """Store a new aanvraag, in behandeling, and return it."""
        t = aanvragen_table
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
        return _aanvraag(conn.execute(select(t).where(t.c.id == new_id)).one())

    def key_of(self, conn: Connection, aanvraag_id: str) -> str | None:
        """The plain key of an undecided aanvraag (None once decided): only for the key check."""
        t = aanvragen_table
        return conn.execute(select(t.c.sleutel).where(t.c.id == aanvraag_id)).scalar()

    def recent(
        self,
        conn: Connection,
        *,
        limit: int = 50,
        status: str | None = None,
        school: str | None = None,
    ) -> list[Aanvraag]:
        """The newest aanvragen first, optionally of one status and/or one school."""
        t = aanvragen_table
        stmt = select(t).order_by(t.c.ontvangen_op.desc(), t.c.id.desc()).limit(limit)
        if status is not None:
            stmt = stmt.where(t.c.status == status)
        if school is not None:
            stmt = stmt.where(t.c.school == school)
        return [_aanvraag(r) for r in conn.execute(stmt)]

    def pending(self, conn: Connection, modus: str) -> list[Aanvraag]:
        """Aanvragen still in behandeling in ``modus`` (oldest first)."""
        t = aanvragen_table
        rows = conn.execute(
            select(t)
            .where(t.c.status == IN_BEHANDELING, t.c.modus == modus)
            .order_by(t.c.ontvangen_op)
        )
        return [_aanvraag(r) for r in rows]

    def record_checks(
        self,
        conn: Connection,
        aanvraag_id: str,
        controles: list[Controle],
        school_naam: str | None,
    ) -> None:
        """Keep the latest check results (shown to a human in manual mode)."""
        t = aanvragen_table
        conn.execute(
            update(t)
            .where(t.c.id == aanvraag_id)
            .values(
                controles=json.dumps([c.as_json() for c in controles]),
                school_naam=school_naam,
            )
        )

    def decide(
        self, conn: Connection, aanvraag_id: str, status: str, reden: str | None, now: datetime
    ) -> bool:
        """Move an aanvraag from in_behandeling to a decision; False if it was decided already."""
        if status not in (GOEDGEKEURD, AFGEWEZEN):
            raise ValueError(f"a decision is goedgekeurd or afgewezen, got {status!r}")
        t = aanvragen_table
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

    def withdraw(self, conn: Connection, aanvraag_id: str) -> bool:
        """Mark an aanvraag ingetrokken (the school deactivated); True if it changed."""
        t = aanvragen_table
        result = conn.execute(
            update(t)
            .where(t.c.id == aanvraag_id, t.c.status != INGETROKKEN)
            .values(status=INGETROKKEN, sleutel=None)
        )
        return bool(result.rowcount == 1)

    # --- the decision e-mail ---------------------------------------------------------------------

    def claim_mail(self, conn: Connection, aanvraag_id: str) -> bool:
        """Take the duty of sending this aanvraag's decision e-mail (only one caller wins)."""
        return self._move_mail(conn, aanvraag_id, MAIL_TE_VERZENDEN, MAIL_VERZENDEN)

    def mail_sent(self, conn: Connection, aanvraag_id: str, message_id: str) -> None:
        """Record that the decision e-mail went out."""
        t = aanvragen_table
        conn.execute(
            update(t)
            .where(t.c.id == aanvraag_id)
            .values(mail_status=MAIL_VERZONDEN, mail_message_id=message_id)
        )

    def mail_failed(self, conn: Connection, aanvraag_id: str) -> None:
        """Give the e-mail back so a later pass sends it (SMTP was down)."""
        self._move_mail(conn, aanvraag_id, MAIL_VERZENDEN, MAIL_TE_VERZENDEN)

    def mail_impossible(self, conn: Connection, aanvraag_id: str) -> None:
        """Record that the decision e-mail cannot be built: the decision stands, the mail failed."""
        self._move_mail(conn, aanvraag_id, MAIL_VERZENDEN, MAIL_MISLUKT)

    def mail_owed(self, conn: Connection) -> list[str]:
        """Ids of decided aanvragen whose e-mail has not been sent yet."""
        t = aanvragen_table
        rows = conn.execute(select(t.c.id).where(t.c.mail_status == MAIL_TE_VERZENDEN))
        return [r.id for r in rows]

    def _move_mail(self, conn: Connection, aanvraag_id: str, old: str, new: str) -> bool:
        t = aanvragen_table
        result = conn.execute(
            update(t).where(t.c.id == aanvraag_id, t.c.mail_status == old).values(mail_status=new)
        )
        return bool(result.rowcount == 1)

    # --- per-school modes (so parallel scenarios don't collide) ---------------------------------

    def modus(self, conn: Connection, school: str) -> str | None:
        """The mode set for this school, or None (then the service default applies)."""
        t = modus_table
        return conn.execute(select(t.c.modus).where(t.c.school == school)).scalar()

    def delete_school(self, conn: Connection, school: str) -> None:
        """Forget the school's aanvragen and its mode."""
        conn.execute(aanvragen_table.delete().where(aanvragen_table.c.school == school))
        conn.execute(modus_table.delete().where(modus_table.c.school == school))

    def set_modus(self, conn: Connection, school: str, modus: str) -> None:
        """Set this school's mode."""
        conn.execute(modus_table.delete().where(modus_table.c.school == school))
        conn.execute(modus_table.insert().values(school=school, modus=modus))


def _controles(text: str | None) -> list[Controle]:
    return [
        Controle(c["controle"], c["geslaagd"], c["toelichting"]) for c in json.loads(text or "[]")
    ]


def _aanvraag(row: Any) -> Aanvraag:
    return from_row(Aanvraag, row, controles=_controles(row.controles))
