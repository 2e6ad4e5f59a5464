"""What a LAS mock keeps: its schools, their groups, pupils and staff, and the keys it issued.

Both flavours (ParnasSys, ESIS) share these tables, told apart by the ``las`` column: the same
BRIN may be a school in both LASes. Every change to a school's pupils stamps ``changed_at`` (the
school's clock), which is what ``laatstontvangengegevens`` is compared against. Keys are stored
only as hashes. The service opens the transactions; every :class:`LasStore` method takes the
connection first. No Flask here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    Date,
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
from koppeling.harness.clock import iso
from koppeling.harness.store import UtcDateTime, from_row, inserted_id, metadata

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
    Column("profiel", String(16), nullable=False, default="rijk"),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("changed_at", UtcDateTime(), nullable=False),
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
    Column("voornamen", String(200)),
    Column("voorletters", String(6)),
    Column("eckid", String(256)),
    Column("instroomdatum", Date),
    Column("mutatiedatum", UtcDateTime(), nullable=False),
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
    Column("created_at", UtcDateTime(), nullable=False),
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
    "voornamen",
    "voorletters",
    "eckid",
    "instroomdatum",
)


@dataclass(frozen=True)
class School:
    """One school of one LAS."""

    id: int
    las: str
    brincode: str
    dependancecode: str
    schooljaar: str
    naam: str
    seed: int
    samengestelde_groepen: bool
    profiel: str
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
            "profiel": self.profiel,
            "gewijzigd_op": iso(self.changed_at),
        }


@dataclass(frozen=True)
class Sleutel:
    """An issued key: only its hash, and the klant it was issued to."""

    klantcode: str
    klantnaam: str
    key_hash: str


@dataclass(frozen=True, slots=True)
class Leerling:
    """A stored pupil: the fields of :class:`FakePupil` and when it last changed."""

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
    voornamen: str | None
    voorletters: str | None
    eckid: str | None
    instroomdatum: date | None
    mutatiedatum: datetime

    @classmethod
    def of(cls, pupil: FakePupil, mutatiedatum: datetime) -> Leerling:
        """A generated pupil as stored at ``mutatiedatum``."""
        return cls(**asdict(pupil), mutatiedatum=mutatiedatum)

    def as_json(self) -> dict[str, Any]:
        """The pupil as the admin API shows it."""
        return {
            "leerlingnummer": self.leerlingnummer,
            "roepnaam": self.roepnaam,
            "voorvoegsel": self.voorvoegsel,
            "achternaam": self.achternaam,
            "geboortedatum": self.geboortedatum.isoformat(),
            "geslacht": self.geslacht,
            "jaargroep": self.jaargroep,
            "groep": self.groep,
            "samengestelde_groepen": list(self.samengestelde_groepen),
            "bsn": self.bsn,
            "bsn_ondwnr_4": self.bsn[-4:] if self.bsn else None,
            "voornamen": self.voornamen,
            "voorletters": self.voorletters,
            "eckid": self.eckid,
            "instroomdatum": self.instroomdatum.isoformat() if self.instroomdatum else None,
            "mutatiedatum": iso(self.mutatiedatum),
        }


@dataclass(frozen=True)
class SchoolData:
    """A school with everything in it, as read in one transaction."""

    school: School
    groepen: list[FakeGroup]
    leerlingen: list[Leerling]
    leerkrachten: list[FakeStaff]

    def as_json(self) -> dict[str, Any]:
        """The school with its groups, pupils and staff, as ``POST /api/scholen`` answers."""
        return {
            **self.school.as_json(),
            "groepen": [
                {
                    "key": g.key,
                    "naam": g.naam,
                    "jaargroep": g.jaargroep,
                    "samengesteld": g.samengesteld,
                    "omschrijving": g.omschrijving,
                }
                for g in self.groepen
            ],
            "leerlingen": [p.as_json() for p in self.leerlingen],
            "leerkrachten": [
                {
                    "key": s.key,
                    "roepnaam": s.roepnaam,
                    "voorvoegsel": s.voorvoegsel,
                    "achternaam": s.achternaam,
                    "emailadres": s.emailadres,
                    "groepen": list(s.groepen),
                    "samengestelde_groepen": list(s.samengestelde_groepen),
                }
                for s in self.leerkrachten
            ],
        }


class LasStore:
    """The tables of one LAS flavour (``las`` = "parnassys" or "esis")."""

    def __init__(self, las: str) -> None:
        self.las = las

    # --- schools -------------------------------------------------------------------------------

    def insert_school(
        self,
        conn: Connection,
        fake: FakeSchool,
        *,
        samengestelde_groepen: bool,
        now: datetime,
        profiel: str = "rijk",
    ) -> School:
        """Store a generated school with its groups, pupils and staff."""
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
                    profiel=profiel,
                    created_at=now,
                    changed_at=now,
                )
            )
        )
        conn.execute(
            insert(las_groepen), [{"school_id": school_id, **asdict(g)} for g in fake.groups]
        )
        self.insert_leerlingen(conn, school_id, [Leerling.of(p, now) for p in fake.pupils])
        conn.execute(
            insert(las_leerkrachten), [{"school_id": school_id, **asdict(s)} for s in fake.staff]
        )
        row = conn.execute(select(las_scholen).where(las_scholen.c.id == school_id)).one()
        return from_row(School, row)

    def school(self, conn: Connection, brincode: str, dependancecode: str) -> School | None:
        """The school, or None if this LAS does not know it."""
        row = conn.execute(
            select(las_scholen).where(
                las_scholen.c.las == self.las,
                las_scholen.c.brincode == brincode,
                las_scholen.c.dependancecode == dependancecode,
            )
        ).first()
        return None if row is None else from_row(School, row)

    def delete_school(self, conn: Connection, brincode: str, dependancecode: str) -> bool:
        """Forget the school with its groups, pupils, staff and keys (the foreign keys cascade);
        False if this LAS did not know it."""
        school = self.school(conn, brincode, dependancecode)
        if school is None:
            return False
        conn.execute(delete(las_scholen).where(las_scholen.c.id == school.id))
        return True

    def data(self, conn: Connection, school: School) -> SchoolData:
        """The school and all it holds."""
        groepen = [
            from_row(FakeGroup, r)
            for r in conn.execute(
                select(las_groepen)
                .where(las_groepen.c.school_id == school.id)
                .order_by(las_groepen.c.id)
            )
        ]
        rows = conn.execute(
            select(*_LEERLING_COLUMNS)
            .where(las_leerlingen.c.school_id == school.id)
            .order_by(las_leerlingen.c.id)
        ).all()
        leerkrachten = [
            from_row(
                FakeStaff,
                r,
                groepen=tuple(r.groepen),
                samengestelde_groepen=tuple(r.samengestelde_groepen),
            )
            for r in conn.execute(
                select(las_leerkrachten)
                .where(las_leerkrachten.c.school_id == school.id)
                .order_by(las_leerkrachten.c.id)
            )
        ]
        return SchoolData(school, groepen, [_leerling(r) for r in rows], leerkrachten)

    def touch(self, conn: Connection, school_id: int, now: datetime) -> None:
        """Stamp the school as changed at ``now`` (what ``laatstontvangengegevens`` meets)."""
        conn.execute(
            update(las_scholen).where(las_scholen.c.id == school_id).values(changed_at=now)
        )

    # --- pupils --------------------------------------------------------------------------------

    def insert_leerlingen(
        self, conn: Connection, school_id: int, leerlingen: Sequence[Leerling]
    ) -> None:
        if leerlingen:
            conn.execute(
                insert(las_leerlingen), [_leerling_values(school_id, p) for p in leerlingen]
            )

    def update_leerling(
        self, conn: Connection, pupil_id: int, changes: dict[str, Any], now: datetime
    ) -> None:
        """Change fields of a pupil (``PUPIL_FIELDS`` and ``leerlingnummer``)."""
        values = {k: v for k, v in changes.items() if k in (*PUPIL_FIELDS, "leerlingnummer")}
        conn.execute(
            update(las_leerlingen)
            .where(las_leerlingen.c.id == pupil_id)
            .values(**values, mutatiedatum=now)
        )

    def delete_leerling(self, conn: Connection, pupil_id: int) -> None:
        conn.execute(delete(las_leerlingen).where(las_leerlingen.c.id == pupil_id))

    def leerling_id(self, conn: Connection, school_id: int, leerlingnummer: str) -> int | None:
        """The row id of the pupil with this leerlingnummer at the school, if there is one."""
        return conn.execute(
            select(las_leerlingen.c.id).where(
                las_leerlingen.c.school_id == school_id,
                las_leerlingen.c.leerlingnummer == leerlingnummer,
            )
        ).scalar()

    # --- keys ----------------------------------------------------------------------------------

    def store_key(
        self,
        conn: Connection,
        school: School,
        sleutel: Sleutel,
        now: datetime,
        *,
        one_per_school: bool,
    ) -> None:
        """Keep a key's hash; it replaces the school's key (ESIS) or the klant's key (ParnasSys)."""
        old = delete(las_sleutels).where(las_sleutels.c.school_id == school.id)
        if not one_per_school:
            old = old.where(las_sleutels.c.klantcode == sleutel.klantcode)
        conn.execute(old)
        conn.execute(
            insert(las_sleutels).values(school_id=school.id, created_at=now, **asdict(sleutel))
        )

    def keys(self, conn: Connection, school: School) -> list[Sleutel]:
        return [
            from_row(Sleutel, r)
            for r in conn.execute(select(las_sleutels).where(las_sleutels.c.school_id == school.id))
        ]


def _leerling_values(school_id: int, p: Leerling) -> dict[str, Any]:
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
        "voornamen": p.voornamen,
        "voorletters": p.voorletters,
        "eckid": p.eckid,
        "instroomdatum": p.instroomdatum,
        "mutatiedatum": p.mutatiedatum,
    }


# The pupil mapping, positional and with the date and JSON columns read as text and parsed here:
# a 1,000-pupil answer reads 1,000 rows, and SQLAlchemy's SQLite date/JSON processors (and a
# ``from_row`` per row) would cost more than the rest of the answer together.
_RAW = ("geboortedatum", "samengestelde_groepen", "instroomdatum")
_LEERLING_COLUMNS = tuple(
    type_coerce(las_leerlingen.c[name], String) if name in _RAW else las_leerlingen.c[name]
    for name in ("leerlingnummer", *PUPIL_FIELDS, "mutatiedatum")
)


def _leerling(row: Sequence[Any]) -> Leerling:
    """A pupil from a row of ``_LEERLING_COLUMNS``: the one mapping of a stored pupil."""
    (
        nummer,
        roepnaam,
        voorvoegsel,
        achternaam,
        geboren,
        geslacht,
        jaargroep,
        groep,
        sg,
        bsn,
        voornamen,
        voorletters,
        eckid,
        instroom,
        at,
    ) = row
    return Leerling(
        nummer,
        roepnaam,
        voorvoegsel,
        achternaam,
        date.fromisoformat(geboren) if isinstance(geboren, str) else geboren,
        geslacht or "0",
        jaargroep or "",
        groep or "",
        _keys(sg),
        bsn or "",
        voornamen,
        voorletters,
        eckid,
        date.fromisoformat(instroom) if isinstance(instroom, str) else instroom,
        at,
    )


def _keys(value: Any) -> tuple[str, ...]:
    if not value or value == "[]":
        return ()
    return tuple(json.loads(value) if isinstance(value, str) else value)
