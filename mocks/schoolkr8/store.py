"""Schoolkr8's memory: schools, koppelingen and their keys, pupils with their leerlingnummers,
the history of every number change, and the results received over UWLR.

Only the hash of a key is stored (plus a masked prefix to show). A pupil's leerlingnummer is unique
within its school, enforced by the database itself (``UNIQUE(school, leerlingnummer)``), so two
workers typing the same number at once cannot both win. A result is unique per school and
``resultaat@key``: a resend updates the row, it never adds one. A result is attached to the pupil
whose current number equals its (trimmed) ``leerlingid``; otherwise it is parked (``leerling_id``
NULL) until that number is entered. No Flask imports here.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    func,
    select,
    update,
)

from koppeling.harness.store import Database, metadata

AANGEVRAAGD = "aangevraagd"
ACTIEF = "actief"
INGETROKKEN = "ingetrokken"
PARKEREN = "parkeren"
WEIGEREN = "weigeren"
BELEIDEN = (PARKEREN, WEIGEREN)

scholen_table = Table(
    "sk8_scholen",
    metadata,
    Column("school", String(16), primary_key=True),
    Column("brincode", String(4), nullable=False),
    Column("dependancecode", String(2), nullable=False),
    Column("niet_gekoppeld", String(16), nullable=False, default=PARKEREN),
    Column("aangemaakt_op", DateTime(timezone=True), nullable=False),
)

koppelingen_table = Table(
    "sk8_koppelingen",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("school", String(16), nullable=False, index=True),
    Column("brincode", String(4), nullable=False),
    Column("dependancecode", String(2), nullable=False),
    Column("contact_email", String(254), nullable=False),
    Column("status", String(16), nullable=False),
    Column("aangevraagd_op", DateTime(timezone=True), nullable=False),
    Column("geactiveerd_op", DateTime(timezone=True)),
    Column("ingetrokken_op", DateTime(timezone=True)),
    Column("sleutel_masker", String(16)),
    Column("aantal_sleutels", Integer, nullable=False, default=0),
)

sleutels_table = Table(
    "sk8_sleutels",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("koppeling_id", String(40), ForeignKey("sk8_koppelingen.id"), nullable=False),
    Column("school", String(16), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("masker", String(16), nullable=False),
    Column("uitgegeven_op", DateTime(timezone=True), nullable=False),
    Column("ingetrokken_op", DateTime(timezone=True)),
    Index("ix_sk8_sleutels_school_live", "school", "ingetrokken_op"),
)

leerlingen_table = Table(
    "sk8_leerlingen",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("school", String(16), nullable=False, index=True),
    Column("voornaam", String(128), nullable=False),
    Column("achternaam", String(128), nullable=False),
    Column("geboortedatum", Date, nullable=False),
    Column("groep", String(64), nullable=False),
    Column("leerlingnummer", String(256)),
    Column("aangemaakt_op", DateTime(timezone=True), nullable=False),
    UniqueConstraint("school", "leerlingnummer", name="uq_sk8_leerlingnummer"),
)

historie_table = Table(
    "sk8_leerlingnummer_historie",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("leerling_id", Integer, ForeignKey("sk8_leerlingen.id"), nullable=False, index=True),
    Column("oud", String(256)),
    Column("nieuw", String(256)),
    Column("gewijzigd_op", DateTime(timezone=True), nullable=False),
)

resultaten_table = Table(
    "sk8_resultaten",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("school", String(16), nullable=False),
    Column("key", String(256), nullable=False),
    Column("leerlingid", String(256), nullable=False),
    Column("leerlingid_norm", String(256), nullable=False),
    Column("leerling_id", Integer, ForeignKey("sk8_leerlingen.id")),
    Column("toetscode", String(256), nullable=False),
    Column("toetsnaam", String(128)),
    Column("afnamedatum", Date, nullable=False),
    Column("gegevens", Text, nullable=False),
    Column("ontvangen_op", DateTime(timezone=True), nullable=False),
    Column("bijgewerkt_op", DateTime(timezone=True), nullable=False),
    Column("aantal_ontvangen", Integer, nullable=False, default=1),
    UniqueConstraint("school", "key", name="uq_sk8_resultaat_key"),
    Index("ix_sk8_resultaten_leerling", "leerling_id"),
    Index("ix_sk8_resultaten_parked", "school", "leerlingid_norm"),
)


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _iso(value: datetime | None) -> str | None:
    value = _utc(value)
    return None if value is None else value.isoformat()


def new_koppeling_id() -> str:
    return "kop_" + secrets.token_hex(10)


@dataclass(frozen=True)
class Koppeling:
    """One request for a koppeling and its state; ``sleutel_masker`` is all that is shown."""

    id: str
    school: str
    brincode: str
    dependancecode: str
    contact_email: str
    status: str
    aangevraagd_op: datetime
    geactiveerd_op: datetime | None
    ingetrokken_op: datetime | None
    sleutel_masker: str | None
    aantal_sleutels: int

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "brincode": self.brincode,
            "dependancecode": self.dependancecode,
            "contact_email": self.contact_email,
            "status": self.status,
            "aangevraagd_op": _iso(self.aangevraagd_op),
            "geactiveerd_op": _iso(self.geactiveerd_op),
            "ingetrokken_op": _iso(self.ingetrokken_op),
            "sleutel": self.sleutel_masker,
            "aantal_sleutels": self.aantal_sleutels,
        }


@dataclass(frozen=True)
class Leerling:
    """A pupil as Schoolkr8 knows it; ``id`` is Schoolkr8's own number (the Ankernummer role)."""

    id: int
    school: str
    voornaam: str
    achternaam: str
    geboortedatum: date
    groep: str
    leerlingnummer: str | None

    @property
    def naam(self) -> str:
        return f"{self.voornaam} {self.achternaam}"

    def as_json(self) -> dict[str, Any]:
        brin, _, dep = self.school.partition("-")
        return {
            "id": self.id,
            "brincode": brin,
            "dependancecode": dep,
            "voornaam": self.voornaam,
            "achternaam": self.achternaam,
            "geboortedatum": self.geboortedatum.isoformat(),
            "groep": self.groep,
            "leerlingnummer": self.leerlingnummer,
        }


@dataclass(frozen=True)
class StoredResultaat:
    """A result row, ready to serialise (``gegevens`` holds the figures as received)."""

    key: str
    leerlingid: str
    leerling_id: int | None
    toetscode: str
    toetsnaam: str | None
    afnamedatum: date
    gegevens: dict[str, Any]
    ontvangen_op: datetime
    bijgewerkt_op: datetime
    aantal_ontvangen: int

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "leerlingid": self.leerlingid,
            "leerling_id": self.leerling_id,
            "toetscode": self.toetscode,
            "toetsnaam": self.toetsnaam,
            "afnamedatum": self.afnamedatum.isoformat(),
            **self.gegevens,
            "ontvangen_op": _iso(self.ontvangen_op),
            "bijgewerkt_op": _iso(self.bijgewerkt_op),
            "aantal_ontvangen": self.aantal_ontvangen,
        }


@dataclass(frozen=True)
class NewResultaat:
    """One result of an incoming message, as the intake hands it to the store."""

    key: str
    leerlingid: str
    toetscode: str
    toetsnaam: str | None
    afnamedatum: date
    gegevens: dict[str, Any]


class Schoolkr8Store:
    """Reads and writes of the Schoolkr8 mock; every method is one transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # --- schools ---------------------------------------------------------------------------

    def ensure_school(self, conn: Connection, school: str, now: datetime) -> None:
        """Make the school known on its first use (a koppeling request or a pupil)."""
        found = conn.execute(
            select(scholen_table.c.school).where(scholen_table.c.school == school)
        ).first()
        if found is None:
            brin, _, dep = school.partition("-")
            conn.execute(
                scholen_table.insert().values(
                    school=school,
                    brincode=brin,
                    dependancecode=dep,
                    niet_gekoppeld=PARKEREN,
                    aangemaakt_op=now,
                )
            )

    def beleid(self, school: str, conn: Connection | None = None) -> str:
        """Results for an unknown number: ``parkeren`` (default) or ``weigeren``."""
        stmt = select(scholen_table.c.niet_gekoppeld).where(scholen_table.c.school == school)
        if conn is not None:
            return str(conn.execute(stmt).scalar() or PARKEREN)
        with self.db.begin() as c:
            return str(c.execute(stmt).scalar() or PARKEREN)

    def set_beleid(self, school: str, beleid: str, now: datetime) -> None:
        with self.db.begin() as conn:
            self.ensure_school(conn, school, now)
            conn.execute(
                update(scholen_table)
                .where(scholen_table.c.school == school)
                .values(niet_gekoppeld=beleid)
            )

    # --- koppelingen and keys --------------------------------------------------------------

    def add_koppeling(self, school: str, contact_email: str, now: datetime) -> Koppeling:
        brin, _, dep = school.partition("-")
        values = {
            "id": new_koppeling_id(),
            "school": school,
            "brincode": brin,
            "dependancecode": dep,
            "contact_email": contact_email,
            "status": AANGEVRAAGD,
            "aangevraagd_op": now,
            "aantal_sleutels": 0,
        }
        with self.db.begin() as conn:
            self.ensure_school(conn, school, now)
            conn.execute(koppelingen_table.insert().values(**values))
        found = self.koppeling(str(values["id"]))
        assert found is not None
        return found

    def koppeling(self, koppeling_id: str) -> Koppeling | None:
        with self.db.begin() as conn:
            row = conn.execute(
                select(koppelingen_table).where(koppelingen_table.c.id == koppeling_id)
            ).first()
        return None if row is None else _koppeling(row)

    def koppelingen(self, school: str) -> list[Koppeling]:
        t = koppelingen_table
        with self.db.begin() as conn:
            rows = conn.execute(
                select(t).where(t.c.school == school).order_by(t.c.aangevraagd_op, t.c.id)
            ).all()
        return [_koppeling(r) for r in rows]

    def issue_key(self, koppeling: Koppeling, key_hash: str, masker: str, now: datetime) -> None:
        """Store the new key's hash; revoke every other live key of the school (one live key per
        school) and mark other active koppelingen of the school as revoked."""
        s, k = sleutels_table, koppelingen_table
        with self.db.begin() as conn:
            conn.execute(
                update(s)
                .where(s.c.school == koppeling.school, s.c.ingetrokken_op.is_(None))
                .values(ingetrokken_op=now)
            )
            conn.execute(
                update(k)
                .where(k.c.school == koppeling.school, k.c.status == ACTIEF, k.c.id != koppeling.id)
                .values(status=INGETROKKEN, ingetrokken_op=now)
            )
            conn.execute(
                s.insert().values(
                    koppeling_id=koppeling.id,
                    school=koppeling.school,
                    hash=key_hash,
                    masker=masker,
                    uitgegeven_op=now,
                )
            )
            conn.execute(
                update(k)
                .where(k.c.id == koppeling.id)
                .values(
                    status=ACTIEF,
                    geactiveerd_op=now,
                    ingetrokken_op=None,
                    sleutel_masker=masker,
                    aantal_sleutels=k.c.aantal_sleutels + 1,
                )
            )

    def revoke(self, koppeling_id: str, now: datetime) -> None:
        """Revoke the koppeling and every live key it issued."""
        s, k = sleutels_table, koppelingen_table
        with self.db.begin() as conn:
            conn.execute(
                update(s)
                .where(s.c.koppeling_id == koppeling_id, s.c.ingetrokken_op.is_(None))
                .values(ingetrokken_op=now)
            )
            conn.execute(
                update(k)
                .where(k.c.id == koppeling_id)
                .values(status=INGETROKKEN, ingetrokken_op=now)
            )

    def live_key_hashes(self, school: str, conn: Connection | None = None) -> list[str]:
        """The hashes of the school's keys that are not revoked (normally one)."""
        s = sleutels_table
        stmt = select(s.c.hash).where(s.c.school == school, s.c.ingetrokken_op.is_(None))
        if conn is not None:
            return [str(h) for h in conn.execute(stmt).scalars()]
        with self.db.begin() as c:
            return [str(h) for h in c.execute(stmt).scalars()]

    # --- pupils ----------------------------------------------------------------------------

    def add_leerling(
        self,
        school: str,
        voornaam: str,
        achternaam: str,
        geboortedatum: date,
        groep: str,
        now: datetime,
    ) -> Leerling:
        with self.db.begin() as conn:
            self.ensure_school(conn, school, now)
            new_id = conn.execute(
                leerlingen_table.insert().values(
                    school=school,
                    voornaam=voornaam,
                    achternaam=achternaam,
                    geboortedatum=geboortedatum,
                    groep=groep,
                    leerlingnummer=None,
                    aangemaakt_op=now,
                )
            ).inserted_primary_key[0]  # type: ignore[index]
        found = self.leerling(int(new_id))
        assert found is not None
        return found

    def leerling(self, leerling_id: int, conn: Connection | None = None) -> Leerling | None:
        stmt = select(leerlingen_table).where(leerlingen_table.c.id == leerling_id)
        if conn is not None:
            row = conn.execute(stmt).first()
        else:
            with self.db.begin() as c:
                row = c.execute(stmt).first()
        return None if row is None else _leerling(row)

    def leerlingen(self, school: str) -> list[Leerling]:
        t = leerlingen_table
        with self.db.begin() as conn:
            rows = conn.execute(select(t).where(t.c.school == school).order_by(t.c.id)).all()
        return [_leerling(r) for r in rows]

    def holder_of(self, conn: Connection, school: str, nummer: str) -> Leerling | None:
        t = leerlingen_table
        row = conn.execute(
            select(t).where(t.c.school == school, t.c.leerlingnummer == nummer)
        ).first()
        return None if row is None else _leerling(row)

    def set_leerlingnummer(
        self, conn: Connection, leerling: Leerling, nummer: str, now: datetime
    ) -> int:
        """Give ``leerling`` the number (in the caller's transaction), keep the history, and move
        results so each sits on the pupil whose number is its leerlingid; returns how many parked
        results were attached."""
        r = resultaten_table
        conn.execute(
            update(leerlingen_table)
            .where(leerlingen_table.c.id == leerling.id)
            .values(leerlingnummer=nummer)
        )
        conn.execute(
            historie_table.insert().values(
                leerling_id=leerling.id, oud=leerling.leerlingnummer, nieuw=nummer, gewijzigd_op=now
            )
        )
        if leerling.leerlingnummer is not None:  # results for the old number no longer fit
            conn.execute(
                update(r)
                .where(r.c.leerling_id == leerling.id, r.c.leerlingid_norm != nummer)
                .values(leerling_id=None)
            )
        attached = conn.execute(
            update(r)
            .where(
                r.c.school == leerling.school,
                r.c.leerling_id.is_(None),
                r.c.leerlingid_norm == nummer,
            )
            .values(leerling_id=leerling.id)
        )
        return int(attached.rowcount or 0)

    def historie(self, leerling_id: int) -> list[dict[str, Any]]:
        h = historie_table
        with self.db.begin() as conn:
            rows = conn.execute(
                select(h).where(h.c.leerling_id == leerling_id).order_by(h.c.id)
            ).all()
        return [
            {"oud": r.oud, "nieuw": r.nieuw, "gewijzigd_op": _iso(r.gewijzigd_op)} for r in rows
        ]

    def mapping_counts(self, school: str) -> tuple[int, int]:
        """(pupils, pupils with a leerlingnummer) of a school."""
        t = leerlingen_table
        with self.db.begin() as conn:
            row = conn.execute(
                select(func.count(t.c.id), func.count(t.c.leerlingnummer)).where(
                    t.c.school == school
                )
            ).one()
        return int(row[0]), int(row[1])

    # --- results ---------------------------------------------------------------------------

    def pupils_by_number(self, conn: Connection, school: str, numbers: set[str]) -> dict[str, int]:
        """leerlingnummer -> pupil id, for the numbers that are in use at the school."""
        t = leerlingen_table
        found: dict[str, int] = {}
        chunk = sorted(numbers)
        for i in range(0, len(chunk), 500):
            rows = conn.execute(
                select(t.c.id, t.c.leerlingnummer).where(
                    t.c.school == school, t.c.leerlingnummer.in_(chunk[i : i + 500])
                )
            ).all()
            found.update({str(r.leerlingnummer): int(r.id) for r in rows})
        return found

    def upsert_resultaten(
        self,
        conn: Connection,
        school: str,
        items: list[NewResultaat],
        pupils: dict[str, int],
        now: datetime,
    ) -> tuple[int, int]:
        """Insert new keys, update known ones (never a duplicate); returns (new, updated)."""
        r = resultaten_table
        keys = [item.key for item in items]
        existing: set[str] = set()
        for i in range(0, len(keys), 500):
            existing.update(
                str(k)
                for k in conn.execute(
                    select(r.c.key).where(r.c.school == school, r.c.key.in_(keys[i : i + 500]))
                ).scalars()
            )
        inserts = [_row(school, item, pupils, now) for item in items if item.key not in existing]
        if inserts:
            conn.execute(r.insert(), inserts)
        for item in items:
            if item.key in existing:
                values = _row(school, item, pupils, now)
                for name in ("school", "key", "ontvangen_op", "aantal_ontvangen"):
                    values.pop(name)
                conn.execute(
                    update(r)
                    .where(r.c.school == school, r.c.key == item.key)
                    .values(**values, aantal_ontvangen=r.c.aantal_ontvangen + 1)
                )
        return len(inserts), len(items) - len(inserts)

    def resultaten_van(self, leerling_id: int) -> list[StoredResultaat]:
        r = resultaten_table
        with self.db.begin() as conn:
            rows = conn.execute(
                select(r).where(r.c.leerling_id == leerling_id).order_by(r.c.afnamedatum, r.c.id)
            ).all()
        return [_resultaat(row) for row in rows]

    def niet_gekoppeld(self, school: str) -> list[StoredResultaat]:
        r = resultaten_table
        with self.db.begin() as conn:
            rows = conn.execute(
                select(r)
                .where(and_(r.c.school == school, r.c.leerling_id.is_(None)))
                .order_by(r.c.id)
            ).all()
        return [_resultaat(row) for row in rows]

    def count_niet_gekoppeld(self, school: str) -> int:
        r = resultaten_table
        with self.db.begin() as conn:
            return int(
                conn.execute(
                    select(func.count())
                    .select_from(r)
                    .where(r.c.school == school, r.c.leerling_id.is_(None))
                ).scalar()
                or 0
            )


def _row(school: str, item: NewResultaat, pupils: dict[str, int], now: datetime) -> dict[str, Any]:
    norm = item.leerlingid.strip()
    return {
        "school": school,
        "key": item.key,
        "leerlingid": item.leerlingid,
        "leerlingid_norm": norm,
        "leerling_id": pupils.get(norm),
        "toetscode": item.toetscode,
        "toetsnaam": item.toetsnaam,
        "afnamedatum": item.afnamedatum,
        "gegevens": json.dumps(item.gegevens),
        "ontvangen_op": now,
        "bijgewerkt_op": now,
        "aantal_ontvangen": 1,
    }


def _koppeling(row: Any) -> Koppeling:
    return Koppeling(
        id=row.id,
        school=row.school,
        brincode=row.brincode,
        dependancecode=row.dependancecode,
        contact_email=row.contact_email,
        status=row.status,
        aangevraagd_op=_utc(row.aangevraagd_op) or row.aangevraagd_op,
        geactiveerd_op=_utc(row.geactiveerd_op),
        ingetrokken_op=_utc(row.ingetrokken_op),
        sleutel_masker=row.sleutel_masker,
        aantal_sleutels=int(row.aantal_sleutels or 0),
    )


def _leerling(row: Any) -> Leerling:
    return Leerling(
        id=int(row.id),
        school=row.school,
        voornaam=row.voornaam,
        achternaam=row.achternaam,
        geboortedatum=row.geboortedatum,
        groep=row.groep,
        leerlingnummer=row.leerlingnummer,
    )


def _resultaat(row: Any) -> StoredResultaat:
    return StoredResultaat(
        key=row.key,
        leerlingid=row.leerlingid,
        leerling_id=row.leerling_id,
        toetscode=row.toetscode,
        toetsnaam=row.toetsnaam,
        afnamedatum=row.afnamedatum,
        gegevens=json.loads(row.gegevens),
        ontvangen_op=_utc(row.ontvangen_op) or row.ontvangen_op,
        bijgewerkt_op=_utc(row.bijgewerkt_op) or row.bijgewerkt_op,
        aantal_ontvangen=int(row.aantal_ontvangen),
    )
