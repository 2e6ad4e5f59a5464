"""Schoolkr8's memory: schools, koppelingen and their keys, pupils with their leerlingnummers,
the history of every number change, and the results received over UWLR.

Only the hash of a key is stored (plus a masked prefix to show). A pupil's leerlingnummer is unique
within its school, enforced by the database itself (``UNIQUE(school, leerlingnummer)``), so two
workers typing the same number at once cannot both win. A result is unique per school and
``resultaat@key``: a resend updates the row, it never adds one. A result is attached to the pupil
whose current number equals its (trimmed) ``leerlingid``; otherwise it is parked (``leerling_id``
NULL) until that number is entered. The service opens the transactions; every
:class:`Schoolkr8Store` method takes the connection first. No Flask imports here.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import json
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    bindparam,
    delete,
    func,
    select,
    update,
)

from koppeling.harness.clock import iso
from koppeling.harness.keys import key_matches
from koppeling.harness.store import DriverStatement, UtcDateTime, chunks, from_row, metadata

#: The status of a koppeling.
AANGEVRAAGD = "aangevraagd"
ACTIEF = "actief"
INGETROKKEN = "ingetrokken"
#: What a school does with a result for an unknown leerlingid (``niet_gekoppeld``).
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
    Column("aangemaakt_op", UtcDateTime(), nullable=False),
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
    Column("aangevraagd_op", UtcDateTime(), nullable=False),
    Column("geactiveerd_op", UtcDateTime()),
    Column("ingetrokken_op", UtcDateTime()),
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
    Column("uitgegeven_op", UtcDateTime(), nullable=False),
    Column("ingetrokken_op", UtcDateTime()),
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
    Column("aangemaakt_op", UtcDateTime(), nullable=False),
    UniqueConstraint("school", "leerlingnummer", name="uq_sk8_leerlingnummer"),
)

historie_table = Table(
    "sk8_leerlingnummer_historie",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("leerling_id", Integer, ForeignKey("sk8_leerlingen.id"), nullable=False, index=True),
    Column("oud", String(256)),
    Column("nieuw", String(256)),
    Column("gewijzigd_op", UtcDateTime(), nullable=False),
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
    Column("ontvangen_op", UtcDateTime(), nullable=False),
    Column("bijgewerkt_op", UtcDateTime(), nullable=False),
    Column("aantal_ontvangen", Integer, nullable=False, default=1),
    UniqueConstraint("school", "key", name="uq_sk8_resultaat_key"),
    Index("ix_sk8_resultaten_leerling", "leerling_id"),
    Index("ix_sk8_resultaten_parked", "school", "leerlingid_norm"),
)


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
            "aangevraagd_op": iso(self.aangevraagd_op),
            "geactiveerd_op": iso(self.geactiveerd_op),
            "ingetrokken_op": iso(self.ingetrokken_op),
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
class Nummerwijziging:
    """One Wijzig leerlingnummer of a pupil: the number before (None the first time) and after."""

    oud: str | None
    nieuw: str | None
    gewijzigd_op: datetime

    def as_json(self) -> dict[str, Any]:
        return {"oud": self.oud, "nieuw": self.nieuw, "gewijzigd_op": iso(self.gewijzigd_op)}


@dataclass(frozen=True)
class Resultaat:
    """A stored result, ready to serialise (``gegevens`` holds the figures as received)."""

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
            "ontvangen_op": iso(self.ontvangen_op),
            "bijgewerkt_op": iso(self.bijgewerkt_op),
            "aantal_ontvangen": self.aantal_ontvangen,
        }


@dataclass(frozen=True)
class NieuwResultaat:
    """One result of an incoming message, as the intake hands it to the store."""

    key: str
    leerlingid: str
    toetscode: str
    toetsnaam: str | None
    afnamedatum: date
    #: the figures as stored: JSON text, serialised by the intake outside the write lock (and
    #: the one form carried to the writer process)
    gegevens_json: str


class Schoolkr8Store:
    """The tables of the Schoolkr8 mock; every method runs in the caller's transaction."""

    # --- schools ---------------------------------------------------------------------------

    def ensure_school(self, conn: Connection, school: str, now: datetime) -> None:
        """Make the school known on its first use (a koppeling request or a pupil)."""
        if not _SCHOOL_KNOWN.rows(conn, {"school": school}):
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

    def delete_school(self, conn: Connection, school: str) -> None:
        """Forget the school: its results, pupils (and their number history), keys, koppelingen
        and settings."""
        pupils = select(leerlingen_table.c.id).where(leerlingen_table.c.school == school)
        conn.execute(delete(resultaten_table).where(resultaten_table.c.school == school))
        conn.execute(delete(historie_table).where(historie_table.c.leerling_id.in_(pupils)))
        conn.execute(delete(leerlingen_table).where(leerlingen_table.c.school == school))
        conn.execute(delete(sleutels_table).where(sleutels_table.c.school == school))
        conn.execute(delete(koppelingen_table).where(koppelingen_table.c.school == school))
        conn.execute(delete(scholen_table).where(scholen_table.c.school == school))

    def beleid(self, conn: Connection, school: str) -> str:
        """Results for an unknown number: ``parkeren`` (default) or ``weigeren``."""
        stmt = select(scholen_table.c.niet_gekoppeld).where(scholen_table.c.school == school)
        return str(conn.execute(stmt).scalar() or PARKEREN)

    def set_beleid(self, conn: Connection, school: str, beleid: str, now: datetime) -> None:
        self.ensure_school(conn, school, now)
        conn.execute(
            update(scholen_table)
            .where(scholen_table.c.school == school)
            .values(niet_gekoppeld=beleid)
        )

    # --- koppelingen and keys --------------------------------------------------------------

    def add_koppeling(
        self, conn: Connection, school: str, contact_email: str, now: datetime
    ) -> Koppeling:
        """A new koppeling request (status ``aangevraagd``, no key yet)."""
        brin, _, dep = school.partition("-")
        koppeling_id = new_koppeling_id()
        self.ensure_school(conn, school, now)
        conn.execute(
            koppelingen_table.insert().values(
                id=koppeling_id,
                school=school,
                brincode=brin,
                dependancecode=dep,
                contact_email=contact_email,
                status=AANGEVRAAGD,
                aangevraagd_op=now,
                aantal_sleutels=0,
            )
        )
        found = self.koppeling(conn, koppeling_id)
        assert found is not None
        return found

    def koppeling(self, conn: Connection, koppeling_id: str) -> Koppeling | None:
        row = conn.execute(
            select(koppelingen_table).where(koppelingen_table.c.id == koppeling_id)
        ).first()
        return None if row is None else from_row(Koppeling, row)

    def koppelingen(self, conn: Connection, school: str) -> list[Koppeling]:
        t = koppelingen_table
        rows = conn.execute(
            select(t).where(t.c.school == school).order_by(t.c.aangevraagd_op, t.c.id)
        )
        return [from_row(Koppeling, r) for r in rows]

    def issue_key(
        self, conn: Connection, koppeling: Koppeling, key_hash: str, masker: str, now: datetime
    ) -> None:
        """Store the new key's hash; revoke every other live key of the school (one live key per
        school) and mark other active koppelingen of the school as revoked."""
        s, k = sleutels_table, koppelingen_table
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

    def revoke(self, conn: Connection, koppeling_id: str, now: datetime) -> None:
        """Revoke the koppeling and every live key it issued."""
        s, k = sleutels_table, koppelingen_table
        conn.execute(
            update(s)
            .where(s.c.koppeling_id == koppeling_id, s.c.ingetrokken_op.is_(None))
            .values(ingetrokken_op=now)
        )
        conn.execute(
            update(k).where(k.c.id == koppeling_id).values(status=INGETROKKEN, ingetrokken_op=now)
        )

    def live_key_matches(self, conn: Connection, school: str, presented: str) -> bool:
        """Is ``presented`` one of the school's live (not revoked) keys? Compared in constant
        time against every live key hash of the school, without an early exit."""
        hashes = _LIVE_KEYS.rows(conn, {"school": school})
        matched = False
        for (stored,) in hashes:
            matched |= key_matches(presented, str(stored))
        return matched

    # --- pupils ----------------------------------------------------------------------------

    def add_leerling(
        self,
        conn: Connection,
        school: str,
        voornaam: str,
        achternaam: str,
        geboortedatum: date,
        groep: str,
        now: datetime,
    ) -> Leerling:
        self.ensure_school(conn, school, now)
        (row,) = _INSERT_LEERLING.rows(
            conn,
            {
                "school": school,
                "voornaam": voornaam,
                "achternaam": achternaam,
                "geboortedatum": geboortedatum,
                "groep": groep,
                "leerlingnummer": None,
                "aangemaakt_op": now,
            },
        )
        stored = dict(zip(_LEERLING_FIELDS, row, strict=True))
        return Leerling(**{name: stored[name] for name in _LEERLING_INIT})

    def leerling(self, conn: Connection, leerling_id: int) -> Leerling | None:
        row = conn.execute(
            select(leerlingen_table).where(leerlingen_table.c.id == leerling_id)
        ).first()
        return None if row is None else from_row(Leerling, row)

    def leerlingen(self, conn: Connection, school: str) -> list[Leerling]:
        t = leerlingen_table
        rows = conn.execute(select(t).where(t.c.school == school).order_by(t.c.id))
        return [from_row(Leerling, r) for r in rows]

    def holder_of(self, conn: Connection, school: str, nummer: str) -> Leerling | None:
        t = leerlingen_table
        row = conn.execute(
            select(t).where(t.c.school == school, t.c.leerlingnummer == nummer)
        ).first()
        return None if row is None else from_row(Leerling, row)

    def set_leerlingnummer(
        self, conn: Connection, leerling: Leerling, nummer: str, now: datetime
    ) -> int:
        """Give ``leerling`` the number, keep the history, and move results so each sits on the
        pupil whose number is its leerlingid; returns how many parked results were attached."""
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

    def historie(self, conn: Connection, leerling_id: int) -> list[Nummerwijziging]:
        h = historie_table
        rows = conn.execute(select(h).where(h.c.leerling_id == leerling_id).order_by(h.c.id))
        return [from_row(Nummerwijziging, r) for r in rows]

    def mapping_counts(self, conn: Connection, school: str) -> tuple[int, int]:
        """(pupils, pupils with a leerlingnummer) of a school."""
        t = leerlingen_table
        row = conn.execute(
            select(func.count(t.c.id), func.count(t.c.leerlingnummer)).where(t.c.school == school)
        ).one()
        return int(row[0]), int(row[1])

    # --- results ---------------------------------------------------------------------------

    def pupils_by_number(self, conn: Connection, school: str, numbers: set[str]) -> dict[str, int]:
        """leerlingnummer -> pupil id, for the numbers that are in use at the school."""
        found: dict[str, int] = {}
        for chunk in chunks(sorted(numbers)):
            stmt, size = _pupils_by_number(len(chunk))
            params = {f"n{i}": chunk[min(i, len(chunk) - 1)] for i in range(size)}
            params["school"] = school
            rows = stmt.rows(conn, params)
            found.update({str(nummer): int(pupil) for pupil, nummer in rows})
        return found

    def upsert_resultaten(
        self,
        conn: Connection,
        school: str,
        items: list[NieuwResultaat],
        pupils: dict[str, int],
        now: datetime,
    ) -> tuple[int, int]:
        """Insert new keys, update known ones (never a duplicate); returns (new, updated).
        ``INSERT … ON CONFLICT (school, key) DO UPDATE … RETURNING``, which tells per row how
        often the key was received (1: new); the rows of a big message go in as many as
        :data:`UPSERT_ROWS` to a statement (a message's keys are unique, so no statement
        meets one twice)."""
        nieuw, start, dialect = 0, 0, conn.dialect.name
        while start < len(items):
            size = next(n for n in UPSERT_ROWS if n <= len(items) - start)
            part = items[start : start + size]
            start += size
            rows: list[tuple[Any, ...]]
            if size == 1:
                rows = _upsert_resultaat(dialect).rows(conn, _values(school, part[0], pupils, now))
            else:
                params = {
                    f"r{i}_{name}": value
                    for i, item in enumerate(part)
                    for name, value in _values(school, item, pupils, now).items()
                }
                rows = _upsert_resultaten(dialect, size).rows(conn, params)
            nieuw += sum(1 for (received,) in rows if received == 1)
        return nieuw, len(items) - nieuw

    def resultaten_van(self, conn: Connection, leerling_id: int) -> list[Resultaat]:
        r = resultaten_table
        rows = conn.execute(
            select(r).where(r.c.leerling_id == leerling_id).order_by(r.c.afnamedatum, r.c.id)
        )
        return [_resultaat(row) for row in rows]

    def niet_gekoppeld(self, conn: Connection, school: str) -> list[Resultaat]:
        r = resultaten_table
        rows = conn.execute(
            select(r).where(and_(r.c.school == school, r.c.leerling_id.is_(None))).order_by(r.c.id)
        )
        return [_resultaat(row) for row in rows]

    def count_niet_gekoppeld(self, conn: Connection, school: str) -> int:
        r = resultaten_table
        count = conn.execute(
            select(func.count())
            .select_from(r)
            .where(r.c.school == school, r.c.leerling_id.is_(None))
        ).scalar()
        return int(count or 0)


# The statements of the intake, built once: constructing a statement cost more CPU than SQLite
# took to run it, and a statement object built once keeps its cache key too.
_s, _r, _l = sleutels_table, resultaten_table, leerlingen_table
# They run on the driver's cursor (DriverStatement): most of them inside the write lock, where
# SQLAlchemy's execute path was most of the work.
_LIVE_KEYS = DriverStatement(
    select(_s.c.hash).where(_s.c.school == bindparam("school"), _s.c.ingetrokken_op.is_(None))
)


@functools.cache
def _pupils_by_number(count: int) -> tuple[DriverStatement, int]:
    """The pupils of a school with one of ``count`` numbers: one statement per power of two
    (parameters ``n0``…; the caller repeats its last number to fill), so a handful of compiled
    statements serve every message size up to a chunk."""
    size = 1 << max(count - 1, 0).bit_length()
    stmt = select(_l.c.id, _l.c.leerlingnummer).where(
        _l.c.school == bindparam("school"),
        _l.c.leerlingnummer.in_([bindparam(f"n{i}") for i in range(size)]),
    )
    return DriverStatement(stmt), size


_VALUES_KEYS = (
    "school",
    "key",
    "leerlingid",
    "leerlingid_norm",
    "leerling_id",
    "toetscode",
    "toetsnaam",
    "afnamedatum",
    "gegevens",
    "ontvangen_op",
    "bijgewerkt_op",
    "aantal_ontvangen",
)
#: what a resend replaces: all but the row's identity, when it first came and its count
_CHANGED = tuple(
    k for k in _VALUES_KEYS if k not in ("school", "key", "ontvangen_op", "aantal_ontvangen")
)


def _counting_upsert(dialect: str, values: Any = None) -> Any:
    """``INSERT`` of results where a resend (the same school and ``resultaat@key``) updates the
    row and counts it; the statement returns each row's count. The same SQL on SQLite and
    PostgreSQL, each dialect's own construct, imported on first use: importing PostgreSQL's
    dialect costs ~80 ms of every start, and a SQLite store never needs it."""
    stmt = importlib.import_module(f"sqlalchemy.dialects.{dialect}").insert(_r)
    if values is not None:
        stmt = stmt.values(values)
    return stmt.on_conflict_do_update(
        index_elements=[_r.c.school, _r.c.key],
        set_={
            **{name: stmt.excluded[name] for name in _CHANGED},
            "aantal_ontvangen": _r.c.aantal_ontvangen + 1,
        },
    ).returning(_r.c.aantal_ontvangen)


@functools.cache
def _upsert_resultaat(dialect: str) -> DriverStatement:
    """One result (parameters named as the columns)."""
    return DriverStatement(_counting_upsert(dialect), _VALUES_KEYS)


#: rows per upsert statement of a big message, largest first (each size compiled once)
UPSERT_ROWS = (64, 8, 1)


@functools.cache
def _upsert_resultaten(dialect: str, size: int) -> DriverStatement:
    """:func:`_upsert_resultaat` for ``size`` rows in one statement (parameters ``r0_school``…)."""
    rows = [
        {name: bindparam(f"r{i}_{name}", type_=_r.c[name].type) for name in _VALUES_KEYS}
        for i in range(size)
    ]
    return DriverStatement(_counting_upsert(dialect, rows))


_SCHOOL_KNOWN = DriverStatement(
    select(scholen_table.c.school).where(scholen_table.c.school == bindparam("school"))
)
_LEERLING_FIELDS = tuple(_l.c.keys())
_LEERLING_INIT = tuple(f.name for f in dataclasses.fields(Leerling) if f.init)
#: the new pupil as stored, in the same statement
_INSERT_LEERLING = DriverStatement(
    _l.insert().returning(*_l.c), [k for k in _LEERLING_FIELDS if k != "id"]
)


def _values(
    school: str, item: NieuwResultaat, pupils: dict[str, int], now: datetime
) -> dict[str, Any]:
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
        "gegevens": item.gegevens_json,
        "ontvangen_op": now,
        "bijgewerkt_op": now,
        "aantal_ontvangen": 1,
    }


def _resultaat(row: Any) -> Resultaat:
    """The one mapping of a stored result (its figures are kept as JSON text)."""
    return from_row(Resultaat, row, gegevens=json.loads(row.gegevens))
