"""The stand-in testcentrum's school accounts: LAS settings, imported pupils/groups/staff, and the
dashboard koppeling with its activation periods.

No Flask here. The activation history is a table of periods ``[start, eind)``, not one flag, because
the forwarding rule asks "was the koppeling active at the instant this afname was first normed?",
also after a deactivation and re-activation. Status changes are conditional UPDATEs, so two pollers
processing the same approval activate once, with one ``geactiveerd_op``.

Keys: the testcentrum must *send* the LAS key (UWLR autorisatie header) and the Schoolkr8 key
(BrengLeerresultaten), so it keeps them in plain text — only here, never in an API answer, journal
entry or log line (``as_json`` shows :func:`koppeling.harness.keys.mask`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Integer,
    String,
    Table,
    Text,
    func,
    select,
    update,
)
from sqlalchemy.engine import Connection

from koppeling.harness.keys import mask
from koppeling.harness.store import Database, metadata
from koppeling.uwlr import leerlinggegevens as lg

AANGEVRAAGD = "aangevraagd"
ACTIEF = "actief"
AFGEWEZEN = "afgewezen"
GEDEACTIVEERD = "gedeactiveerd"

DEFAULT_KLANTCODE = "boom-testcentrum"
DEFAULT_KLANTNAAM = "Boom testcentrum"

scholen_table = Table(
    "tc_scholen",
    metadata,
    Column("school", String(16), primary_key=True),
    Column("brincode", String(4), nullable=False),
    Column("dependancecode", String(2), nullable=False),
    Column("naam", String(128)),
    Column("aangemaakt_op", DateTime(timezone=True), nullable=False),
)

las_table = Table(
    "tc_las_koppelingen",
    metadata,
    Column("school", String(16), primary_key=True),
    Column("las", String(16), nullable=False),
    Column("schooljaar", String(9), nullable=False),
    Column("sleutel", String(64), nullable=False),  # plain: sent in the UWLR header
    Column("klantcode", String(64), nullable=False),
    Column("klantnaam", String(64), nullable=False),
    Column("opgeslagen_op", DateTime(timezone=True), nullable=False),
    Column("actief", Boolean, nullable=False, default=False),
    Column("laatste_import_op", DateTime(timezone=True)),
    Column("laatste_import", Text),  # JSON: counts of the last successful import
    Column("laatste_fout", Text),
)

groepen_table = Table(
    "tc_groepen",
    metadata,
    Column("school", String(16), primary_key=True),
    Column("key", String(256), primary_key=True),
    Column("naam", String(128), nullable=False),
    Column("jaargroep", String(8)),
    Column("samengesteld", Boolean, nullable=False, default=False),
    Column("actief", Boolean, nullable=False, default=True),
    Column("bijgewerkt_op", DateTime(timezone=True), nullable=False),
)

leerlingen_table = Table(
    "tc_leerlingen",
    metadata,
    Column("school", String(16), primary_key=True),
    Column("leerlingnummer", String(256), primary_key=True),
    Column("achternaam", String(128), nullable=False),
    Column("voorvoegsel", String(32)),
    Column("roepnaam", String(128)),
    Column("geboortedatum", Date),
    Column("geslacht", String(1)),
    Column("jaargroep", String(8)),
    Column("groep_key", String(256)),
    Column("actief", Boolean, nullable=False, default=True),
    Column("bijgewerkt_op", DateTime(timezone=True), nullable=False),
    Column("vertrokken_op", DateTime(timezone=True)),
)

leerkrachten_table = Table(
    "tc_leerkrachten",
    metadata,
    Column("school", String(16), primary_key=True),
    Column("key", String(256), primary_key=True),
    Column("achternaam", String(128), nullable=False),
    Column("voorvoegsel", String(32)),
    Column("roepnaam", String(128)),
    Column("emailadres", String(254)),
    Column("groepen", Text),  # JSON list of group keys
    Column("actief", Boolean, nullable=False, default=True),
    Column("bijgewerkt_op", DateTime(timezone=True), nullable=False),
)

dashboard_table = Table(
    "tc_dashboard_koppelingen",
    metadata,
    Column("school", String(16), primary_key=True),
    Column("status", String(16), nullable=False),
    Column("type_dashboard", String(64), nullable=False),
    Column("sleutel", String(64), nullable=False),  # plain: sent to Schoolkr8 with each result
    Column("beheerder_email", String(254), nullable=False),
    Column("idempotency_key", String(64), nullable=False),
    Column("aanvraag_id", String(64)),
    Column("aangevraagd_op", DateTime(timezone=True), nullable=False),
    Column("geactiveerd_op", DateTime(timezone=True)),
    Column("gedeactiveerd_op", DateTime(timezone=True)),
    Column("reden", Text),
    Column("laatste_fout", Text),
)

perioden_table = Table(
    "tc_dashboard_perioden",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("school", String(16), nullable=False, index=True),
    Column("start", DateTime(timezone=True), nullable=False),
    Column("eind", DateTime(timezone=True)),
)


def aware(value: datetime | None) -> datetime | None:
    """A stored instant as tz-aware UTC (SQLite hands back naive datetimes)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


# --- school accounts ---------------------------------------------------------------------------


class Scholen:
    """School accounts, made on first use."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def ensure(self, brincode: str, dependancecode: str, now: datetime) -> str:
        """The school's key; the account is created if this is its first use."""
        school = f"{brincode}-{dependancecode}"
        with self._db.begin() as conn:
            if (
                conn.execute(
                    select(scholen_table.c.school).where(scholen_table.c.school == school)
                ).first()
                is None
            ):
                conn.execute(
                    scholen_table.insert().values(
                        school=school,
                        brincode=brincode,
                        dependancecode=dependancecode,
                        aangemaakt_op=now,
                    )
                )
        return school

    def naam(self, school: str) -> str | None:
        """The school's name, if one was given with its LAS settings."""
        with self._db.begin() as conn:
            return conn.execute(
                select(scholen_table.c.naam).where(scholen_table.c.school == school)
            ).scalar()

    def set_naam(self, school: str, naam: str) -> None:
        """Name the school (shown in the klantenservice e-mail)."""
        with self._db.begin() as conn:
            conn.execute(
                update(scholen_table).where(scholen_table.c.school == school).values(naam=naam)
            )


# --- LAS koppeling -----------------------------------------------------------------------------


@dataclass(frozen=True)
class LasSettings:
    """What WIJZIGINGEN OPSLAAN stored; ``autorisatiesleutel`` is the LAS key (never shown)."""

    school: str
    las: str
    schooljaar: str
    autorisatiesleutel: str = field(repr=False)
    klantcode: str
    klantnaam: str
    opgeslagen_op: datetime
    actief: bool
    laatste_import_op: datetime | None
    laatste_import: dict[str, Any] | None
    laatste_fout: str | None

    def as_json(self) -> dict[str, Any]:
        """The API view (key masked)."""
        return {
            "las": self.las,
            "schooljaar": self.schooljaar,
            "autorisatiesleutel": mask(self.autorisatiesleutel),
            "klantcode": self.klantcode,
            "klantnaam": self.klantnaam,
            "opgeslagen_op": _iso(self.opgeslagen_op),
            "actief": self.actief,
            "laatste_import_op": _iso(self.laatste_import_op),
            "laatste_import": self.laatste_import,
            "laatste_fout": self.laatste_fout,
        }


class LasKoppelingen:
    """The LAS settings per school, and the outcome of the last import."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self, school: str) -> LasSettings | None:
        """The school's LAS settings, or None if never saved."""
        with self._db.begin() as conn:
            row = conn.execute(select(las_table).where(las_table.c.school == school)).first()
        return _las(row) if row is not None else None

    def save(
        self,
        school: str,
        *,
        las: str,
        schooljaar: str,
        autorisatiesleutel: str,
        klantcode: str,
        klantnaam: str,
        now: datetime,
    ) -> LasSettings:
        """WIJZIGINGEN OPSLAAN. Changed settings make the koppeling inactive until an import
        succeeds with them; saving the same settings again changes nothing."""
        values = {
            "las": las,
            "schooljaar": schooljaar,
            "sleutel": autorisatiesleutel,
            "klantcode": klantcode,
            "klantnaam": klantnaam,
        }
        with self._db.begin() as conn:
            row = conn.execute(select(las_table).where(las_table.c.school == school)).first()
            if row is None:
                conn.execute(
                    las_table.insert().values(
                        school=school, opgeslagen_op=now, actief=False, **values
                    )
                )
            elif any(getattr(row, k) != v for k, v in values.items()):
                conn.execute(
                    update(las_table)
                    .where(las_table.c.school == school)
                    .values(opgeslagen_op=now, actief=False, laatste_fout=None, **values)
                )
        saved = self.get(school)
        assert saved is not None
        return saved

    def import_ok(self, school: str, counts: dict[str, Any], now: datetime) -> None:
        """An import succeeded: the LAS koppeling is active."""
        with self._db.begin() as conn:
            conn.execute(
                update(las_table)
                .where(las_table.c.school == school)
                .values(
                    actief=True,
                    laatste_import_op=now,
                    laatste_import=json.dumps(counts),
                    laatste_fout=None,
                )
            )

    def import_failed(self, school: str, fout: str, *, settings_wrong: bool) -> None:
        """An import failed; a ``Client.*`` fault (wrong key, school) makes it inactive."""
        values: dict[str, Any] = {"laatste_fout": fout}
        if settings_wrong:
            values["actief"] = False
        with self._db.begin() as conn:
            conn.execute(update(las_table).where(las_table.c.school == school).values(**values))


def _las(row: Any) -> LasSettings:
    opgeslagen = aware(row.opgeslagen_op)
    assert opgeslagen is not None
    return LasSettings(
        school=row.school,
        las=row.las,
        schooljaar=row.schooljaar,
        autorisatiesleutel=row.sleutel,
        klantcode=row.klantcode,
        klantnaam=row.klantnaam,
        opgeslagen_op=opgeslagen,
        actief=bool(row.actief),
        laatste_import_op=aware(row.laatste_import_op),
        laatste_import=json.loads(row.laatste_import) if row.laatste_import else None,
        laatste_fout=row.laatste_fout,
    )


# --- imported pupils, groups, staff -------------------------------------------------------------


@dataclass
class Wijzigingen:
    """What one import changed in one kind of record."""

    nieuw: int = 0
    gewijzigd: int = 0
    vertrokken: int = 0
    ongewijzigd: int = 0

    def as_json(self) -> dict[str, int]:
        return {
            "nieuw": self.nieuw,
            "gewijzigd": self.gewijzigd,
            "vertrokken": self.vertrokken,
            "ongewijzigd": self.ongewijzigd,
        }


@dataclass(frozen=True)
class ImportResultaat:
    """Counts after an import (active records) and what changed, plus reference warnings."""

    leerlingen: int
    groepen: int
    leerkrachten: int
    wijzigingen: dict[str, Wijzigingen]
    waarschuwingen: list[str]

    def as_json(self) -> dict[str, Any]:
        return {
            "leerlingen": self.leerlingen,
            "groepen": self.groepen,
            "leerkrachten": self.leerkrachten,
            "wijzigingen": {k: v.as_json() for k, v in self.wijzigingen.items()},
            "waarschuwingen": self.waarschuwingen,
        }


@dataclass(frozen=True)
class Leerling:
    """A pupil as the testcentrum knows it (the leerlingnummer is the LAS's key)."""

    leerlingnummer: str
    achternaam: str
    voorvoegsel: str | None
    roepnaam: str | None
    geboortedatum: date | None
    geslacht: str | None
    jaargroep: str | None
    groep_key: str | None
    groep_naam: str | None
    actief: bool

    @property
    def naam(self) -> str:
        parts = [self.roepnaam, self.voorvoegsel, self.achternaam]
        return " ".join(p for p in parts if p)

    def as_json(self) -> dict[str, Any]:
        return {
            "leerlingnummer": self.leerlingnummer,
            "naam": self.naam,
            "roepnaam": self.roepnaam,
            "voorvoegsel": self.voorvoegsel,
            "achternaam": self.achternaam,
            "geboortedatum": self.geboortedatum.isoformat() if self.geboortedatum else None,
            "geslacht": self.geslacht,
            "jaargroep": self.jaargroep,
            "groep": self.groep_naam,
            "groep_key": self.groep_key,
            "actief": self.actief,
        }


class Leerlingenbestand:
    """Pupils, groups and staff of each school, kept in step with the LAS by :meth:`sync`."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def sync(self, school: str, gegevens: lg.Leerlinggegevens, now: datetime) -> ImportResultaat:
        """Apply a full import: new records added, changed ones updated, absent ones marked
        left (``actief`` False, kept so their afnames keep a pupil). One transaction."""
        groepen = {g.key: _groep_values(g) for g in gegevens.groepen}
        leerlingen = {ll.key: _leerling_values(ll) for ll in gegevens.leerlingen}
        leerkrachten = {lk.key: _leerkracht_values(lk) for lk in gegevens.leerkrachten}
        with self._db.begin() as conn:
            changes = {
                "groepen": _sync(conn, groepen_table, groepen_table.c.key, school, groepen, now),
                "leerlingen": _sync(
                    conn,
                    leerlingen_table,
                    leerlingen_table.c.leerlingnummer,
                    school,
                    leerlingen,
                    now,
                ),
                "leerkrachten": _sync(
                    conn, leerkrachten_table, leerkrachten_table.c.key, school, leerkrachten, now
                ),
            }
        return ImportResultaat(
            leerlingen=len(leerlingen),
            groepen=len(groepen),
            leerkrachten=len(leerkrachten),
            wijzigingen=changes,
            waarschuwingen=_dangling(gegevens),
        )

    def leerlingen(self, school: str, *, ook_vertrokken: bool = False) -> list[Leerling]:
        """The school's pupils with their group's name, by group then name."""
        stmt = _pupils_query(school)
        if not ook_vertrokken:
            stmt = stmt.where(leerlingen_table.c.actief.is_(True))
        with self._db.begin() as conn:
            pupils = [_pupil(r) for r in conn.execute(stmt)]
        return sorted(pupils, key=lambda p: (p.groep_naam or "", p.achternaam, p.roepnaam or ""))

    def leerling(self, school: str, leerlingnummer: str) -> Leerling | None:
        """One pupil (also one who left), or None."""
        stmt = _pupils_query(school).where(leerlingen_table.c.leerlingnummer == leerlingnummer)
        with self._db.begin() as conn:
            row = conn.execute(stmt).first()
        return _pupil(row) if row is not None else None

    def aantallen(self, school: str) -> dict[str, int]:
        """Active pupils, groups and staff of a school."""
        counts = {}
        with self._db.begin() as conn:
            for name, table in (
                ("leerlingen", leerlingen_table),
                ("groepen", groepen_table),
                ("leerkrachten", leerkrachten_table),
            ):
                counts[name] = int(
                    conn.execute(
                        select(func.count())
                        .select_from(table)
                        .where(table.c.school == school, table.c.actief.is_(True))
                    ).scalar_one()
                )
        return counts


def _pupils_query(school: str) -> Any:
    ll, gr = leerlingen_table, groepen_table
    return (
        select(ll, gr.c.naam.label("groep_naam"))
        .select_from(ll.outerjoin(gr, (gr.c.school == ll.c.school) & (gr.c.key == ll.c.groep_key)))
        .where(ll.c.school == school)
    )


def _groep_values(g: lg.Groep) -> dict[str, Any]:
    return {"naam": g.naam, "jaargroep": g.jaargroep, "samengesteld": g.samengesteld}


def _leerling_values(ll: lg.Leerling) -> dict[str, Any]:
    return {
        "achternaam": ll.achternaam,
        "voorvoegsel": ll.voorvoegsel,
        "roepnaam": ll.roepnaam,
        "geboortedatum": ll.geboortedatum,
        "geslacht": ll.geslacht,
        "jaargroep": ll.jaargroep,
        "groep_key": ll.groep,
    }


def _leerkracht_values(lk: lg.Leerkracht) -> dict[str, Any]:
    return {
        "achternaam": lk.achternaam,
        "voorvoegsel": lk.voorvoegsel,
        "roepnaam": lk.roepnaam,
        "emailadres": lk.emailadres,
        "groepen": json.dumps(list(lk.groepen) + list(lk.samengestelde_groepen)),
    }


def _sync(
    conn: Connection,
    table: Table,
    key_col: Any,
    school: str,
    incoming: dict[str, dict[str, Any]],
    now: datetime,
) -> Wijzigingen:
    changes = Wijzigingen()
    existing = {
        getattr(r, key_col.name): r
        for r in conn.execute(select(table).where(table.c.school == school))
    }
    for key, values in incoming.items():
        row = existing.get(key)
        if row is None:
            conn.execute(
                table.insert().values(
                    school=school, **{key_col.name: key}, **values, actief=True, bijgewerkt_op=now
                )
            )
            changes.nieuw += 1
        elif row.actief and all(getattr(row, k) == v for k, v in values.items()):
            changes.ongewijzigd += 1
        else:
            back: dict[str, Any] = {"vertrokken_op": None} if "vertrokken_op" in table.c else {}
            conn.execute(
                update(table)
                .where(table.c.school == school, key_col == key)
                .values(**values, actief=True, bijgewerkt_op=now, **back)
            )
            changes.gewijzigd += 1
    for key, row in existing.items():
        if key not in incoming and row.actief:
            left: dict[str, Any] = {"vertrokken_op": now} if "vertrokken_op" in table.c else {}
            conn.execute(
                update(table)
                .where(table.c.school == school, key_col == key)
                .values(actief=False, bijgewerkt_op=now, **left)
            )
            changes.vertrokken += 1
    return changes


def _dangling(gegevens: lg.Leerlinggegevens) -> list[str]:
    """References the XSD does not check (its keyrefs never fire): pupils in unknown groups."""
    keys = {g.key for g in gegevens.groepen}
    return [
        f"leerling {ll.key}: groep {ll.groep!r} staat niet in groepen"
        for ll in gegevens.leerlingen
        if ll.groep and ll.groep not in keys
    ]


def _pupil(row: Any) -> Leerling:
    return Leerling(
        leerlingnummer=row.leerlingnummer,
        achternaam=row.achternaam,
        voorvoegsel=row.voorvoegsel,
        roepnaam=row.roepnaam,
        geboortedatum=row.geboortedatum,
        geslacht=row.geslacht,
        jaargroep=row.jaargroep,
        groep_key=row.groep_key,
        groep_naam=row.groep_naam,
        actief=bool(row.actief),
    )


# --- dashboard koppeling -----------------------------------------------------------------------


@dataclass(frozen=True)
class DashboardKoppeling:
    """A school's dashboard koppeling as it stands (the Schoolkr8 key only masked).

    ``status``: aangevraagd | actief | afgewezen | gedeactiveerd. ``geactiveerd_op`` is the
    start of the current active period (tz-aware UTC), None when not active.
    """

    school: str
    status: str
    type_dashboard: str
    beheerder_email: str
    geactiveerd_op: datetime | None
    reden: str | None
    aanvraag_id: str | None
    aangevraagd_op: datetime
    gedeactiveerd_op: datetime | None
    sleutel_masker: str
    laatste_fout: str | None

    def as_json(self) -> dict[str, Any]:
        """The API view of ``GET …/dashboard-koppeling``."""
        return {
            "status": self.status,
            "type_dashboard": self.type_dashboard,
            "autorisatiesleutel": self.sleutel_masker,
            "beheerder_email": self.beheerder_email,
            "aangevraagd_op": _iso(self.aangevraagd_op),
            "geactiveerd_op": _iso(self.geactiveerd_op),
            "gedeactiveerd_op": _iso(self.gedeactiveerd_op),
            "reden": self.reden,
            "aanvraag_id": self.aanvraag_id,
            "laatste_fout": self.laatste_fout,
        }


@dataclass(frozen=True)
class Periode:
    """One activation period ``[start, eind)``; ``eind`` None while still active."""

    start: datetime
    eind: datetime | None

    def contains(self, instant: datetime) -> bool:
        return self.start <= instant and (self.eind is None or instant < self.eind)

    def as_json(self) -> dict[str, Any]:
        return {"start": _iso(self.start), "eind": _iso(self.eind)}


@dataclass(frozen=True)
class Verzending:
    """An aanvraag the testcentrum still has to (re)submit or follow up at klantenservice."""

    school: str
    brincode: str
    dependancecode: str
    type_dashboard: str
    autorisatiesleutel: str = field(repr=False)
    beheerder_email: str
    idempotency_key: str
    aanvraag_id: str | None


class KoppelingBestaat(Exception):
    """AANVRAGEN while a koppeling is active, or while another aanvraag is still open."""


class DashboardKoppelingen:
    """The dashboard koppeling per school and its activation periods (the forwarder's oracle)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # -- what the forwarder and norming ask -----------------------------------------------------

    def current(self, school_key: str) -> DashboardKoppeling | None:
        """The school's koppeling as it stands now, or None if never requested."""
        with self._db.begin() as conn:
            row = conn.execute(
                select(dashboard_table).where(dashboard_table.c.school == school_key)
            ).first()
        return _koppeling(row) if row is not None else None

    def active_at(self, school_key: str, instant: datetime) -> bool:
        """Was the koppeling active at ``instant`` (tz-aware)? True iff some activation period
        ``[start, eind)`` contains it: active from the activation instant itself, no longer at
        the deactivation instant."""
        if instant.tzinfo is None:
            raise ValueError(f"active_at needs a tz-aware instant, got {instant.isoformat()}")
        moment = instant.astimezone(UTC)
        return any(p.contains(moment) for p in self.perioden(school_key))

    def perioden(self, school_key: str) -> list[Periode]:
        """Every activation period of the school, oldest first."""
        t = perioden_table
        with self._db.begin() as conn:
            rows = list(conn.execute(select(t).where(t.c.school == school_key).order_by(t.c.id)))
        return [Periode(aware(r.start), aware(r.eind)) for r in rows]  # type: ignore[arg-type]

    def schoolkr8_key(self, school_key: str) -> str | None:
        """The plain Schoolkr8 autorisatiesleutel of the school's koppeling (any status), for the
        forwarder's UWLR autorisatie header only — never put it in a response, journal or log."""
        with self._db.begin() as conn:
            return conn.execute(
                select(dashboard_table.c.sleutel).where(dashboard_table.c.school == school_key)
            ).scalar()

    def las_settings(self, school_key: str) -> LasSettings | None:
        """The school's LAS settings (schooljaar, klantcode, klantnaam…), or None if never saved."""
        return LasKoppelingen(self._db).get(school_key)

    # -- what the testcentrum's own views and poller do ----------------------------------------

    def aanvragen(
        self,
        school_key: str,
        *,
        type_dashboard: str,
        autorisatiesleutel: str,
        beheerder_email: str,
        idempotency_key: str,
        now: datetime,
    ) -> tuple[DashboardKoppeling, bool]:
        """AANVRAGEN: store a new aanvraag (status aangevraagd). The same fields while the
        previous aanvraag is still open return it (``created`` False); an open aanvraag with other
        fields, or an active koppeling, is :class:`KoppelingBestaat`."""
        t = dashboard_table
        with self._db.begin() as conn:
            row = conn.execute(select(t).where(t.c.school == school_key)).first()
            if row is not None and row.status == ACTIEF:
                raise KoppelingBestaat("de dashboardkoppeling is al actief; deactiveer haar eerst")
            if row is not None and row.status == AANGEVRAAGD:
                same = (row.type_dashboard, row.sleutel, row.beheerder_email.lower()) == (
                    type_dashboard,
                    autorisatiesleutel,
                    beheerder_email.lower(),
                )
                if not same:
                    raise KoppelingBestaat(
                        "er loopt al een aanvraag met andere gegevens; deactiveer die eerst"
                    )
                return _koppeling(row), False
            values = {
                "status": AANGEVRAAGD,
                "type_dashboard": type_dashboard,
                "sleutel": autorisatiesleutel,
                "beheerder_email": beheerder_email,
                "idempotency_key": idempotency_key,
                "aanvraag_id": None,
                "aangevraagd_op": now,
                "geactiveerd_op": None,
                "gedeactiveerd_op": None,
                "reden": None,
                "laatste_fout": None,
            }
            if row is None:
                conn.execute(t.insert().values(school=school_key, **values))
            else:
                conn.execute(update(t).where(t.c.school == school_key).values(**values))
            row = conn.execute(select(t).where(t.c.school == school_key)).one()
        return _koppeling(row), True

    def te_verzenden(self, school_key: str | None = None) -> list[Verzending]:
        """Open aanvragen (status aangevraagd): to submit (no aanvraag_id yet) or to follow up."""
        t, s = dashboard_table, scholen_table
        stmt = (
            select(t, s.c.brincode, s.c.dependancecode)
            .select_from(t.join(s, s.c.school == t.c.school))
            .where(t.c.status == AANGEVRAAGD)
        )
        if school_key is not None:
            stmt = stmt.where(t.c.school == school_key)
        with self._db.begin() as conn:
            rows = list(conn.execute(stmt))
        return [
            Verzending(
                r.school,
                r.brincode,
                r.dependancecode,
                r.type_dashboard,
                r.sleutel,
                r.beheerder_email,
                r.idempotency_key,
                r.aanvraag_id,
            )
            for r in rows
        ]

    def ingediend(self, school_key: str, idempotency_key: str, aanvraag_id: str) -> None:
        """Klantenservice accepted the aanvraag under ``aanvraag_id``."""
        t = dashboard_table
        with self._db.begin() as conn:
            conn.execute(
                update(t)
                .where(t.c.school == school_key, t.c.idempotency_key == idempotency_key)
                .values(aanvraag_id=aanvraag_id, laatste_fout=None)
            )

    def fout(self, school_key: str, idempotency_key: str, fout: str) -> None:
        """Record why klantenservice could not be reached (shown; retried by the poller)."""
        t = dashboard_table
        with self._db.begin() as conn:
            conn.execute(
                update(t)
                .where(t.c.school == school_key, t.c.idempotency_key == idempotency_key)
                .values(laatste_fout=fout)
            )

    def activeer(self, school_key: str, idempotency_key: str, now: datetime) -> bool:
        """Approval processed: status actief, ``geactiveerd_op`` = ``now`` (the school's clock),
        and a new activation period from ``now``. Only the first caller for an aanvraag wins."""
        t = dashboard_table
        with self._db.begin() as conn:
            result = conn.execute(
                update(t)
                .where(
                    t.c.school == school_key,
                    t.c.idempotency_key == idempotency_key,
                    t.c.status == AANGEVRAAGD,
                )
                .values(status=ACTIEF, geactiveerd_op=now, reden=None, laatste_fout=None)
            )
            if result.rowcount != 1:
                return False
            conn.execute(perioden_table.insert().values(school=school_key, start=now, eind=None))
        return True

    def wijs_af(self, school_key: str, idempotency_key: str, reden: str) -> bool:
        """Rejection processed: status afgewezen with klantenservice's reason."""
        t = dashboard_table
        with self._db.begin() as conn:
            result = conn.execute(
                update(t)
                .where(
                    t.c.school == school_key,
                    t.c.idempotency_key == idempotency_key,
                    t.c.status == AANGEVRAAGD,
                )
                .values(status=AFGEWEZEN, reden=reden, laatste_fout=None)
            )
            return bool(result.rowcount == 1)

    def deactiveer(self, school_key: str, now: datetime) -> DashboardKoppeling | None:
        """Switch off an active (or still requested) koppeling; the open period ends at ``now``.
        None if there was nothing to switch off."""
        t, p = dashboard_table, perioden_table
        with self._db.begin() as conn:
            result = conn.execute(
                update(t)
                .where(t.c.school == school_key, t.c.status.in_((ACTIEF, AANGEVRAAGD)))
                .values(status=GEDEACTIVEERD, gedeactiveerd_op=now)
            )
            if result.rowcount != 1:
                return None
            conn.execute(
                update(p).where(p.c.school == school_key, p.c.eind.is_(None)).values(eind=now)
            )
        return self.current(school_key)


def _koppeling(row: Any) -> DashboardKoppeling:
    aangevraagd = aware(row.aangevraagd_op)
    assert aangevraagd is not None
    return DashboardKoppeling(
        school=row.school,
        status=row.status,
        type_dashboard=row.type_dashboard,
        beheerder_email=row.beheerder_email,
        geactiveerd_op=aware(row.geactiveerd_op) if row.status == ACTIEF else None,
        reden=row.reden,
        aanvraag_id=row.aanvraag_id,
        aangevraagd_op=aangevraagd,
        gedeactiveerd_op=aware(row.gedeactiveerd_op),
        sleutel_masker=mask(row.sleutel),
        laatste_fout=row.laatste_fout,
    )


# --- Leerlingenoverzicht tabs ------------------------------------------------------------------

TABS = ("mijn", "uitgenodigd", "gescoord", "genormeerd", "definitief")


def afname_tabs(db: Database, school_key: str) -> dict[str, set[str]]:
    """Per leerlingnummer the afname tabs it belongs in, read from the afnames table if that
    module is installed: ``gescoord`` = a score waits for norming, ``genormeerd`` = an afname is
    normed. (Uitgenodigd/Definitief need the afnames module's own hook; see app.TABS_EXTENSION.)"""
    table = metadata.tables.get("tc_afnames")
    if table is None or not {"school", "leerlingnummer", "genormeerd_op"} <= set(table.c.keys()):
        return {}
    tabs: dict[str, set[str]] = {}
    with db.begin() as conn:
        rows = conn.execute(
            select(table.c.leerlingnummer, table.c.genormeerd_op).where(
                table.c.school == school_key
            )
        )
        for nummer, genormeerd_op in rows:
            tabs.setdefault(nummer, set()).add("genormeerd" if genormeerd_op else "gescoord")
    return tabs
