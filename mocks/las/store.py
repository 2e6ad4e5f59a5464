"""What a LAS mock keeps: its schools, their groups, pupils and staff, and the keys it issued.

Both flavours (ParnasSys, ESIS) share these tables, told apart by the ``las`` column: the same
BRIN may be a school in both LASes. Every change to a school's pupils stamps ``changed_at`` (the
school's clock), which is what ``laatstontvangengegevens`` is compared against. Keys are stored
only as hashes. No Flask here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    UniqueConstraint,
    delete,
    insert,
    select,
    type_coerce,
    update,
)

from koppeling.fakedata import FakeGroup, FakePupil, FakeSchool, FakeStaff
from koppeling.harness.store import Database, inserted_id, metadata

las_scholen = Table(
    "las_scholen",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("las", String(16), nullable=False),
    Column("brincode", String(4), nullable=False),
    Column("dependancecode", String(2), nullable=False),
    Column("schooljaar", String(9), nullable=False),
    Column("naam", String(128), nullable=False),
    Column("seed", Integer, nullable=False),
    Column("samengestelde_groepen", Boolean, nullable=False, default=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("las", "brincode", "dependancecode", name="uq_las_school"),
)

las_groepen = Table(
    "las_groepen",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("school_id", Integer, ForeignKey("las_scholen.id", ondelete="CASCADE"), index=True),
    Column("key", String(64), nullable=False),
    Column("naam", String(64), nullable=False),
    Column("jaargroep", String(4)),
    Column("samengesteld", Boolean, nullable=False, default=False),
    Column("omschrijving", String(256)),
    UniqueConstraint("school_id", "key", name="uq_las_groep"),
)

las_leerlingen = Table(
    "las_leerlingen",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("school_id", Integer, ForeignKey("las_scholen.id", ondelete="CASCADE"), index=True),
    Column("leerlingnummer", String(64), nullable=False),
    Column("roepnaam", String(64), nullable=False),
    Column("voorvoegsel", String(10)),
    Column("achternaam", String(200), nullable=False),
    Column("geboortedatum", Date),
    Column("geslacht", String(1)),
    Column("jaargroep", String(4)),
    Column("groep", String(64)),
    Column("samengestelde_groepen", JSON, nullable=False, default=list),
    Column("bsn", String(9)),
    Column("mutatiedatum", DateTime(timezone=True), nullable=False),
    UniqueConstraint("school_id", "leerlingnummer", name="uq_las_leerling"),
)

las_leerkrachten = Table(
    "las_leerkrachten",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("school_id", Integer, ForeignKey("las_scholen.id", ondelete="CASCADE"), index=True),
    Column("key", String(64), nullable=False),
    Column("roepnaam", String(64)),
    Column("voorvoegsel", String(10)),
    Column("achternaam", String(200), nullable=False),
    Column("emailadres", String(256)),
    Column("groepen", JSON, nullable=False, default=list),
    Column("samengestelde_groepen", JSON, nullable=False, default=list),
)

las_sleutels = Table(
    "las_sleutels",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("school_id", Integer, ForeignKey("las_scholen.id", ondelete="CASCADE"), index=True),
    Column("klantcode", String(64), nullable=False),
    Column("klantnaam", String(64), nullable=False),
    Column("key_hash", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

PUPIL_FIELDS = (
    "roepnaam",
    "voorvoegsel",
    "achternaam",
    "geboortedatum",
    "geslacht",
    "jaargroep",
    "groep",
    "samengestelde_groepen",
    "bsn",
)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True)
class SchoolRow:
    """One school of one LAS."""

    id: int
    las: str
    brincode: str
    dependancecode: str
    schooljaar: str
    naam: str
    seed: int
    samengestelde_groepen: bool
    created_at: datetime
    changed_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "las": self.las,
            "brincode": self.brincode,
            "dependancecode": self.dependancecode,
            "schooljaar": self.schooljaar,
            "naam": self.naam,
            "seed": self.seed,
            "samengestelde_groepen": self.samengestelde_groepen,
            "gewijzigd_op": self.changed_at.isoformat(),
        }


@dataclass(frozen=True)
class KeyRow:
    """An issued key: only its hash, and the klant it was issued to."""

    klantcode: str
    klantnaam: str
    key_hash: str


class PupilRow(NamedTuple):
    """A stored pupil, with the field names of :class:`FakePupil` (a tuple: cheap to make a
    thousand of for every answer)."""

    leerlingnummer: str
    roepnaam: str
    voorvoegsel: str | None
    achternaam: str
    geboortedatum: date
    geslacht: str
    jaargroep: str
    groep: str
    samengestelde_groepen: tuple[str, ...]
    bsn: str


@dataclass(frozen=True)
class SchoolData:
    """A school with everything in it, as read in one transaction."""

    school: SchoolRow
    groups: list[FakeGroup]
    pupils: list[tuple[PupilRow, datetime]]
    staff: list[FakeStaff]


class SchoolExists(Exception):
    """The LAS already has a school with this BRIN and dependancecode."""


class LasStore:
    """The tables of one LAS flavour (``las`` = "parnassys" or "esis")."""

    def __init__(self, db: Database, las: str) -> None:
        self.db = db
        self.las = las

    # --- schools -------------------------------------------------------------------------------

    def create_school(
        self, fake: FakeSchool, *, samengestelde_groepen: bool, now: datetime
    ) -> SchoolData:
        """Store a generated school; :class:`SchoolExists` if the BRIN+dependance is taken."""
        with self.db.begin() as conn:
            if self._school(conn, fake.brincode, fake.dependancecode) is not None:
                raise SchoolExists(f"{fake.brincode}-{fake.dependancecode}")
            school_id = inserted_id(
                conn.execute(
                    insert(las_scholen).values(
                        las=self.las,
                        brincode=fake.brincode,
                        dependancecode=fake.dependancecode,
                        schooljaar=fake.schooljaar,
                        naam=fake.naam,
                        seed=fake.seed,
                        samengestelde_groepen=samengestelde_groepen,
                        created_at=now,
                        changed_at=now,
                    )
                )
            )
            self._insert_children(conn, school_id, fake, now)
            return self._data(conn, self._school_by_id(conn, school_id))

    def _insert_children(
        self, conn: Connection, school_id: int, fake: FakeSchool, now: datetime
    ) -> None:
        conn.execute(
            insert(las_groepen),
            [
                {
                    "school_id": school_id,
                    "key": g.key,
                    "naam": g.naam,
                    "jaargroep": g.jaargroep,
                    "samengesteld": g.samengesteld,
                    "omschrijving": g.omschrijving,
                }
                for g in fake.groups
            ],
        )
        if fake.pupils:
            conn.execute(
                insert(las_leerlingen), [_pupil_values(school_id, p, now) for p in fake.pupils]
            )
        conn.execute(
            insert(las_leerkrachten),
            [
                {
                    "school_id": school_id,
                    "key": s.key,
                    "roepnaam": s.roepnaam,
                    "voorvoegsel": s.voorvoegsel,
                    "achternaam": s.achternaam,
                    "emailadres": s.emailadres,
                    "groepen": list(s.groepen),
                    "samengestelde_groepen": list(s.samengestelde_groepen),
                }
                for s in fake.staff
            ],
        )

    def school(self, brincode: str, dependancecode: str) -> SchoolRow | None:
        with self.db.begin() as conn:
            return self._school(conn, brincode, dependancecode)

    def data(self, brincode: str, dependancecode: str) -> SchoolData | None:
        """The school and all it holds, or None if this LAS does not know it."""
        with self.db.begin() as conn:
            school = self._school(conn, brincode, dependancecode)
            return self._data(conn, school) if school is not None else None

    def _school(self, conn: Connection, brincode: str, dependancecode: str) -> SchoolRow | None:
        row = (
            conn.execute(
                select(las_scholen).where(
                    las_scholen.c.las == self.las,
                    las_scholen.c.brincode == brincode,
                    las_scholen.c.dependancecode == dependancecode,
                )
            )
            .mappings()
            .first()
        )
        return _school_row(row) if row is not None else None

    def _school_by_id(self, conn: Connection, school_id: int) -> SchoolRow:
        query = select(las_scholen).where(las_scholen.c.id == school_id)
        row = conn.execute(query).mappings().one()
        return _school_row(row)

    def _data(self, conn: Connection, school: SchoolRow) -> SchoolData:
        groups = [
            FakeGroup(r.key, r.naam, r.jaargroep, r.samengesteld, r.omschrijving)
            for r in conn.execute(
                select(las_groepen)
                .where(las_groepen.c.school_id == school.id)
                .order_by(las_groepen.c.id)
            )
        ]
        rows = conn.execute(
            select(*_PUPIL_COLUMNS)
            .where(las_leerlingen.c.school_id == school.id)
            .order_by(las_leerlingen.c.id)
        ).all()
        instants: dict[Any, datetime] = {}  # most pupils share one mutatiedatum
        pupils = []
        for r in rows:
            at = instants.get(r[-1])
            if at is None:
                at = instants[r[-1]] = _instant(r[-1])
            pupils.append((_pupil(r), at))
        staff = [
            FakeStaff(
                r.key,
                r.roepnaam,
                r.voorvoegsel,
                r.achternaam,
                r.emailadres,
                tuple(r.groepen),
                tuple(r.samengestelde_groepen),
            )
            for r in conn.execute(
                select(las_leerkrachten)
                .where(las_leerkrachten.c.school_id == school.id)
                .order_by(las_leerkrachten.c.id)
            )
        ]
        return SchoolData(school, groups, pupils, staff)

    # --- pupils --------------------------------------------------------------------------------

    def add_pupil(self, school: SchoolRow, pupil: FakePupil, now: datetime) -> bool:
        """Add a pupil; False if the leerlingnummer is already taken at this school."""
        with self.db.begin() as conn:
            if self._pupil_id(conn, school.id, pupil.leerlingnummer) is not None:
                return False
            conn.execute(insert(las_leerlingen).values(_pupil_values(school.id, pupil, now)))
            self._touch(conn, school.id, now)
            return True

    def update_pupil(
        self, school: SchoolRow, leerlingnummer: str, changes: dict[str, Any], now: datetime
    ) -> bool:
        """Change fields of a pupil (``PUPIL_FIELDS`` and ``leerlingnummer``); False if unknown."""
        with self.db.begin() as conn:
            pupil_id = self._pupil_id(conn, school.id, leerlingnummer)
            if pupil_id is None:
                return False
            values = {k: v for k, v in changes.items() if k in (*PUPIL_FIELDS, "leerlingnummer")}
            conn.execute(
                update(las_leerlingen)
                .where(las_leerlingen.c.id == pupil_id)
                .values(**values, mutatiedatum=now)
            )
            self._touch(conn, school.id, now)
            return True

    def delete_pupil(self, school: SchoolRow, leerlingnummer: str, now: datetime) -> bool:
        """Remove a pupil (it left the school); False if unknown."""
        with self.db.begin() as conn:
            pupil_id = self._pupil_id(conn, school.id, leerlingnummer)
            if pupil_id is None:
                return False
            conn.execute(delete(las_leerlingen).where(las_leerlingen.c.id == pupil_id))
            self._touch(conn, school.id, now)
            return True

    def pupil_exists(self, school: SchoolRow, leerlingnummer: str) -> bool:
        with self.db.begin() as conn:
            return self._pupil_id(conn, school.id, leerlingnummer) is not None

    def _pupil_id(self, conn: Connection, school_id: int, leerlingnummer: str) -> int | None:
        return conn.execute(
            select(las_leerlingen.c.id).where(
                las_leerlingen.c.school_id == school_id,
                las_leerlingen.c.leerlingnummer == leerlingnummer,
            )
        ).scalar()

    def _touch(self, conn: Connection, school_id: int, now: datetime) -> None:
        conn.execute(
            update(las_scholen).where(las_scholen.c.id == school_id).values(changed_at=now)
        )

    # --- keys ----------------------------------------------------------------------------------

    def store_key(
        self,
        school: SchoolRow,
        klantcode: str,
        klantnaam: str,
        key_hash: str,
        now: datetime,
        *,
        one_per_school: bool,
    ) -> None:
        """Keep a key's hash; it replaces the school's key (ESIS) or the klant's key (ParnasSys)."""
        with self.db.begin() as conn:
            old = delete(las_sleutels).where(las_sleutels.c.school_id == school.id)
            if not one_per_school:
                old = old.where(las_sleutels.c.klantcode == klantcode)
            conn.execute(old)
            conn.execute(
                insert(las_sleutels).values(
                    school_id=school.id,
                    klantcode=klantcode,
                    klantnaam=klantnaam,
                    key_hash=key_hash,
                    created_at=now,
                )
            )

    def keys(self, school: SchoolRow) -> list[KeyRow]:
        with self.db.begin() as conn:
            return [
                KeyRow(r.klantcode, r.klantnaam, r.key_hash)
                for r in conn.execute(
                    select(las_sleutels).where(las_sleutels.c.school_id == school.id)
                )
            ]


def _school_row(row: Any) -> SchoolRow:
    return SchoolRow(
        id=row["id"],
        las=row["las"],
        brincode=row["brincode"],
        dependancecode=row["dependancecode"],
        schooljaar=row["schooljaar"],
        naam=row["naam"],
        seed=row["seed"],
        samengestelde_groepen=bool(row["samengestelde_groepen"]),
        created_at=_utc(row["created_at"]),
        changed_at=_utc(row["changed_at"]),
    )


def _pupil_values(school_id: int, p: FakePupil, now: datetime) -> dict[str, Any]:
    return {
        "school_id": school_id,
        "leerlingnummer": p.leerlingnummer,
        "roepnaam": p.roepnaam,
        "voorvoegsel": p.voorvoegsel,
        "achternaam": p.achternaam,
        "geboortedatum": p.geboortedatum,
        "geslacht": p.geslacht,
        "jaargroep": p.jaargroep,
        "groep": p.groep,
        "samengestelde_groepen": list(p.samengestelde_groepen),
        "bsn": p.bsn,
        "mutatiedatum": now,
    }


# Read as text and parsed here: SQLAlchemy's SQLite date/JSON processors cost more than the rest
# of a 1,000-pupil answer together.
_RAW = ("geboortedatum", "samengestelde_groepen", "mutatiedatum")
_PUPIL_COLUMNS = tuple(
    type_coerce(las_leerlingen.c[name], String) if name in _RAW else las_leerlingen.c[name]
    for name in (
        "leerlingnummer",
        "roepnaam",
        "voorvoegsel",
        "achternaam",
        "geboortedatum",
        "geslacht",
        "jaargroep",
        "groep",
        "samengestelde_groepen",
        "bsn",
        "mutatiedatum",
    )
)


def _pupil(r: Any) -> PupilRow:
    """A pupil from a row of ``_PUPIL_COLUMNS`` (positional: this runs 1,000 times per answer)."""
    nummer, roepnaam, voorvoegsel, achternaam, geboren, geslacht, jaargroep, groep, sg, bsn, _ = r
    return PupilRow(
        nummer,
        roepnaam,
        voorvoegsel,
        achternaam,
        _date(geboren),
        geslacht or "0",
        jaargroep or "",
        groep or "",
        _keys(sg),
        bsn or "",
    )


def _date(value: Any) -> Any:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _keys(value: Any) -> tuple[str, ...]:
    if not value or value == "[]":
        return ()
    return tuple(json.loads(value) if isinstance(value, str) else value)


def _instant(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return _utc(value)
