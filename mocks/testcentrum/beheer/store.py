"""The stand-in testcentrum's school accounts: LAS settings, imported pupils/groups/staff, and the
dashboard koppeling with its activation periods.

No Flask, no transactions of its own: :class:`BeheerStore`'s methods take the connection the
service opened. The activation history is a table of periods ``[start, eind)``, not one flag,
because the forwarding rule asks "was the koppeling active at the instant this afname was first
normed?", also after a deactivation and re-activation. Status changes are conditional UPDATEs, so
two pollers processing the same approval activate once, with one ``geactiveerd_op``.

Keys: the testcentrum must *send* the LAS key (UWLR autorisatie header) and the Schoolkr8 key
(BrengLeerresultaten), so it keeps them in plain text — only here, never in an API answer, journal
entry or log line (``as_json`` shows :func:`koppeling.harness.keys.mask`).
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Integer,
    String,
    Table,
    Text,
    func,
    select,
    update,
)
from sqlalchemy.engine import Connection

from koppeling.client.testcentrum import STAND_IN_KLANT
from koppeling.harness.clock import iso
from koppeling.harness.keys import mask
from koppeling.harness.store import UtcDateTime, chunks, from_row, metadata
from koppeling.uwlr import leerlinggegevens as lg

# The status of a dashboard koppeling.
AANGEVRAAGD = "aangevraagd"
ACTIEF = "actief"
AFGEWEZEN = "afgewezen"
GEDEACTIVEERD = "gedeactiveerd"

# Who the testcentrum is at the LAS unless the school's settings say otherwise.
DEFAULT_KLANTCODE, DEFAULT_KLANTNAAM = STAND_IN_KLANT.code, STAND_IN_KLANT.naam

scholen_table = Table(
    "tc_scholen",
    metadata,
    Column("school", String(16), primary_key=True),
    Column("brincode", String(4), nullable=False),
    Column("dependancecode", String(2), nullable=False),
    Column("naam", String(128)),
    Column("aangemaakt_op", UtcDateTime(), nullable=False),
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
    Column("opgeslagen_op", UtcDateTime(), nullable=False),
    Column("actief", Boolean, nullable=False, default=False),
    Column("laatste_import_op", UtcDateTime()),
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
    Column("bijgewerkt_op", UtcDateTime(), nullable=False),
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
    Column("bijgewerkt_op", UtcDateTime(), nullable=False),
    Column("vertrokken_op", UtcDateTime()),
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
    Column("bijgewerkt_op", UtcDateTime(), nullable=False),
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
    Column("aangevraagd_op", UtcDateTime(), nullable=False),
    Column("geactiveerd_op", UtcDateTime()),
    Column("gedeactiveerd_op", UtcDateTime()),
    Column("reden", Text),
    Column("laatste_fout", Text),
)

perioden_table = Table(
    "tc_dashboard_perioden",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("school", String(16), nullable=False, index=True),
    Column("start", UtcDateTime(), nullable=False),
    Column("eind", UtcDateTime()),
)


# --- entities ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LasKoppeling:
    """What WIJZIGINGEN OPSLAAN stored and how the last import went; ``autorisatiesleutel`` is the
    LAS key (never shown)."""

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
            "opgeslagen_op": iso(self.opgeslagen_op),
            "actief": self.actief,
            "laatste_import_op": iso(self.laatste_import_op),
            "laatste_import": self.laatste_import,
            "laatste_fout": self.laatste_fout,
        }


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
            "aangevraagd_op": iso(self.aangevraagd_op),
            "geactiveerd_op": iso(self.geactiveerd_op),
            "gedeactiveerd_op": iso(self.gedeactiveerd_op),
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
        return {"start": iso(self.start), "eind": iso(self.eind)}


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


# --- the store ---------------------------------------------------------------------------------


class BeheerStore:
    """Queries over the school accounts, LAS koppelingen, pupils and dashboard koppelingen."""

    # -- school accounts ------------------------------------------------------------------------

    def ensure_school(
        self, conn: Connection, brincode: str, dependancecode: str, now: datetime
    ) -> str:
        """The school's key; the account is created if this is its first use."""
        school = f"{brincode}-{dependancecode}"
        s = scholen_table
        if conn.execute(select(s.c.school).where(s.c.school == school)).first() is None:
            conn.execute(
                s.insert().values(
                    school=school,
                    brincode=brincode,
                    dependancecode=dependancecode,
                    aangemaakt_op=now,
                )
            )
        return school

    def school_naam(self, conn: Connection, school: str) -> str | None:
        """The school's name, if one was given with its LAS settings."""
        s = scholen_table
        return conn.execute(select(s.c.naam).where(s.c.school == school)).scalar()

    def set_school_naam(self, conn: Connection, school: str, naam: str) -> None:
        """Name the school (shown in the klantenservice e-mail)."""
        s = scholen_table
        conn.execute(update(s).where(s.c.school == school).values(naam=naam))

    # -- LAS koppeling --------------------------------------------------------------------------

    def las_koppeling(self, conn: Connection, school: str) -> LasKoppeling | None:
        """The school's LAS settings, or None if never saved."""
        row = conn.execute(select(las_table).where(las_table.c.school == school)).first()
        return None if row is None else _las_koppeling(row)

    def save_las(
        self,
        conn: Connection,
        school: str,
        *,
        las: str,
        schooljaar: str,
        autorisatiesleutel: str,
        klantcode: str,
        klantnaam: str,
        now: datetime,
    ) -> LasKoppeling:
        """WIJZIGINGEN OPSLAAN. Changed settings make the koppeling inactive until an import
        succeeds with them; saving the same settings again changes nothing."""
        t = las_table
        values = {
            "las": las,
            "schooljaar": schooljaar,
            "sleutel": autorisatiesleutel,
            "klantcode": klantcode,
            "klantnaam": klantnaam,
        }
        row = conn.execute(select(t).where(t.c.school == school)).first()
        if row is None:
            conn.execute(
                t.insert().values(school=school, opgeslagen_op=now, actief=False, **values)
            )
        elif any(getattr(row, k) != v for k, v in values.items()):
            conn.execute(
                update(t)
                .where(t.c.school == school)
                .values(opgeslagen_op=now, actief=False, laatste_fout=None, **values)
            )
        return _las_koppeling(conn.execute(select(t).where(t.c.school == school)).one())

    def import_succeeded(
        self, conn: Connection, school: str, counts: dict[str, Any], now: datetime
    ) -> None:
        """An import succeeded: the LAS koppeling is active."""
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

    def import_failed(
        self, conn: Connection, school: str, fout: str, *, settings_wrong: bool
    ) -> None:
        """An import failed; a ``Client.*`` fault (wrong key, school) makes it inactive."""
        values: dict[str, Any] = {"laatste_fout": fout}
        if settings_wrong:
            values["actief"] = False
        conn.execute(update(las_table).where(las_table.c.school == school).values(**values))

    # -- imported pupils, groups, staff ---------------------------------------------------------

    def sync(
        self, conn: Connection, school: str, gegevens: lg.Leerlinggegevens, now: datetime
    ) -> ImportResultaat:
        """Apply a full import: new records added, changed ones updated, absent ones marked
        left (``actief`` False, kept so their afnames keep a pupil)."""
        groepen = {g.key: _groep_values(g) for g in gegevens.groepen}
        leerlingen = {ll.key: _leerling_values(ll) for ll in gegevens.leerlingen}
        leerkrachten = {lk.key: _leerkracht_values(lk) for lk in gegevens.leerkrachten}
        ll, gr, lk = leerlingen_table, groepen_table, leerkrachten_table
        changes = {
            "groepen": _sync(conn, gr, gr.c.key, school, groepen, now),
            "leerlingen": _sync(conn, ll, ll.c.leerlingnummer, school, leerlingen, now),
            "leerkrachten": _sync(conn, lk, lk.c.key, school, leerkrachten, now),
        }
        return ImportResultaat(
            leerlingen=len(leerlingen),
            groepen=len(groepen),
            leerkrachten=len(leerkrachten),
            wijzigingen=changes,
            waarschuwingen=_dangling(gegevens),
        )

    def leerlingen(self, conn: Connection, school: str) -> list[Leerling]:
        """The school's active pupils with their group's name, by group then name."""
        ll, gr = leerlingen_table, groepen_table
        stmt = (
            select(ll, gr.c.naam.label("groep_naam"))
            .select_from(
                ll.outerjoin(gr, (gr.c.school == ll.c.school) & (gr.c.key == ll.c.groep_key))
            )
            .where(ll.c.school == school, ll.c.actief.is_(True))
        )
        pupils = [from_row(Leerling, r) for r in conn.execute(stmt)]
        return sorted(pupils, key=lambda p: (p.groep_naam or "", p.achternaam, p.roepnaam or ""))

    def aantallen(self, conn: Connection, school: str) -> dict[str, int]:
        """Active pupils, groups and staff of a school."""
        counts = {}
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

    def imported(self, conn: Connection, school: str) -> bool:
        """Were any pupils imported for this school (also ones who left since)?"""
        t = leerlingen_table
        stmt = select(t.c.leerlingnummer).where(t.c.school == school).limit(1)
        return conn.execute(stmt).first() is not None

    def jaargroepen(
        self, conn: Connection, school: str, leerlingnummers: Collection[str]
    ) -> dict[str, int | None]:
        """The given pupils that were imported, with their jaargroep 1..8 (None if other)."""
        t = leerlingen_table
        found: dict[str, int | None] = {}
        for chunk in chunks(sorted(set(leerlingnummers))):
            stmt = select(t.c.leerlingnummer, t.c.jaargroep).where(
                t.c.school == school, t.c.leerlingnummer.in_(chunk)
            )
            for row in conn.execute(stmt):
                text = (row.jaargroep or "").strip()
                found[row.leerlingnummer] = (
                    int(text) if text.isdigit() and 1 <= int(text) <= 8 else None
                )
        return found

    # -- dashboard koppeling --------------------------------------------------------------------

    def dashboard_koppeling(self, conn: Connection, school: str) -> DashboardKoppeling | None:
        """The school's koppeling as it stands, or None if never requested."""
        t = dashboard_table
        row = conn.execute(select(t).where(t.c.school == school)).first()
        return None if row is None else _dashboard_koppeling(row)

    def perioden(self, conn: Connection, school: str) -> list[Periode]:
        """Every activation period of the school, oldest first."""
        t = perioden_table
        stmt = select(t).where(t.c.school == school).order_by(t.c.id)
        return [from_row(Periode, r) for r in conn.execute(stmt)]

    def schoolkr8_key(self, conn: Connection, school: str) -> str | None:
        """The plain Schoolkr8 autorisatiesleutel of the school's koppeling (any status)."""
        t = dashboard_table
        return conn.execute(select(t.c.sleutel).where(t.c.school == school)).scalar()

    def aanvragen(
        self,
        conn: Connection,
        school: str,
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
        row = conn.execute(select(t).where(t.c.school == school)).first()
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
            return _dashboard_koppeling(row), False
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
            conn.execute(t.insert().values(school=school, **values))
        else:
            conn.execute(update(t).where(t.c.school == school).values(**values))
        return _dashboard_koppeling(conn.execute(select(t).where(t.c.school == school)).one()), True

    def due(self, conn: Connection, school: str | None = None) -> list[Verzending]:
        """Open aanvragen (status aangevraagd): to submit (no aanvraag_id yet) or to follow up."""
        t, s = dashboard_table, scholen_table
        stmt = (
            select(t, s.c.brincode, s.c.dependancecode)
            .select_from(t.join(s, s.c.school == t.c.school))
            .where(t.c.status == AANGEVRAAGD)
        )
        if school is not None:
            stmt = stmt.where(t.c.school == school)
        return [from_row(Verzending, r, autorisatiesleutel=r.sleutel) for r in conn.execute(stmt)]

    def submitted(
        self, conn: Connection, school: str, idempotency_key: str, aanvraag_id: str
    ) -> None:
        """Klantenservice accepted the aanvraag under ``aanvraag_id``."""
        t = dashboard_table
        conn.execute(
            update(t)
            .where(t.c.school == school, t.c.idempotency_key == idempotency_key)
            .values(aanvraag_id=aanvraag_id, laatste_fout=None)
        )

    def record_error(self, conn: Connection, school: str, idempotency_key: str, fout: str) -> None:
        """Record why klantenservice could not be reached (shown; retried by the poller)."""
        t = dashboard_table
        conn.execute(
            update(t)
            .where(t.c.school == school, t.c.idempotency_key == idempotency_key)
            .values(laatste_fout=fout)
        )

    def activate(self, conn: Connection, school: str, idempotency_key: str, now: datetime) -> bool:
        """Approval processed: status actief, ``geactiveerd_op`` = ``now`` (the school's clock),
        and a new activation period from ``now``. Only the first caller for an aanvraag wins."""
        t = dashboard_table
        result = conn.execute(
            update(t)
            .where(
                t.c.school == school,
                t.c.idempotency_key == idempotency_key,
                t.c.status == AANGEVRAAGD,
            )
            .values(status=ACTIEF, geactiveerd_op=now, reden=None, laatste_fout=None)
        )
        if result.rowcount != 1:
            return False
        conn.execute(perioden_table.insert().values(school=school, start=now, eind=None))
        return True

    def reject(self, conn: Connection, school: str, idempotency_key: str, reden: str) -> bool:
        """Rejection processed: status afgewezen with klantenservice's reason."""
        t = dashboard_table
        result = conn.execute(
            update(t)
            .where(
                t.c.school == school,
                t.c.idempotency_key == idempotency_key,
                t.c.status == AANGEVRAAGD,
            )
            .values(status=AFGEWEZEN, reden=reden, laatste_fout=None)
        )
        return bool(result.rowcount == 1)

    def deactivate(self, conn: Connection, school: str, now: datetime) -> DashboardKoppeling | None:
        """Switch off an active (or still requested) koppeling; the open period ends at ``now``.
        None if there was nothing to switch off."""
        t, p = dashboard_table, perioden_table
        result = conn.execute(
            update(t)
            .where(t.c.school == school, t.c.status.in_((ACTIEF, AANGEVRAAGD)))
            .values(status=GEDEACTIVEERD, gedeactiveerd_op=now)
        )
        if result.rowcount != 1:
            return None
        conn.execute(update(p).where(p.c.school == school, p.c.eind.is_(None)).values(eind=now))
        return self.dashboard_koppeling(conn, school)


# --- row mappings and sync helpers -------------------------------------------------------------


def _las_koppeling(row: Any) -> LasKoppeling:
    return from_row(
        LasKoppeling,
        row,
        autorisatiesleutel=row.sleutel,
        laatste_import=json.loads(row.laatste_import) if row.laatste_import else None,
    )


def _dashboard_koppeling(row: Any) -> DashboardKoppeling:
    return from_row(
        DashboardKoppeling,
        row,
        geactiveerd_op=row.geactiveerd_op if row.status == ACTIEF else None,
        sleutel_masker=mask(row.sleutel),
    )


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
