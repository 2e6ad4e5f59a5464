"""Beheer › Koppelen met LAS, as the stand-in testcentrum does it: the manual's buttons as methods.

WIJZIGINGEN OPSLAAN, GEGEVENS IMPORTEREN (a real UWLR call through :mod:`.las_client`), the
Leerlingenoverzicht, AANVRAGEN (to klantenservice through :mod:`.klantenservice_client`) and the
follow-up of open aanvragen. No Flask: the views call this, and so does the background poller.
:class:`BeheerService` owns the transactions; no transaction is ever open during a call to a
partner.

How the testcentrum learns klantenservice's decision: **polling**. After AANVRAGEN it asks at once
(klantenservice often decides on the spot), then the poller and every ``GET …/dashboard-koppeling``
ask again while the koppeling is ``aangevraagd``. Polling needs nothing from klantenservice but its
public API, so the stand-in works against a real klantenservice too. ``geactiveerd_op`` is the
school's clock when the approval is *processed* here.

The afnames domain reads this one through two small read-only classes, :class:`DashboardKoppelingen`
and :class:`ImportedPupils`; the Leerlingenoverzicht asks it which pupils are in its afname tabs
through :class:`AfnameTabs`.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from koppeling.harness.core import Core
from koppeling.harness.errors import invalid
from koppeling.harness.store import Database
from koppeling.uwlr.autorisatie import Autorisatie
from mocks.testcentrum.beheer.klantenservice_client import (
    AanvraagStatus,
    KlantenserviceClient,
    KlantenserviceOnbereikbaar,
    KlantenserviceWeigert,
)
from mocks.testcentrum.beheer.las_client import LasClient, LasFout
from mocks.testcentrum.beheer.store import (
    DEFAULT_KLANTCODE,
    DEFAULT_KLANTNAAM,
    BeheerStore,
    DashboardKoppeling,
    ImportResultaat,
    LasKoppeling,
    Leerling,
    Periode,
    Verzending,
)

log = logging.getLogger("koppeling.testcentrum")

#: The Leerlingenoverzicht's first tab: every active pupil. The other tabs are the afnames'.
MIJN = "mijn"
#: shown with the decision when klantenservice could not send its e-mail
MAIL_MISLUKT = "Klantenservice kon de e-mail over dit besluit niet versturen"


class GeenLasKoppeling(LookupError):
    """GEGEVENS IMPORTEREN before WIJZIGINGEN OPSLAAN."""


class AfnameTabs(Protocol):
    """The afnames' part of the Leerlingenoverzicht: the tabs after Mijn leerlingen."""

    @property
    def tab_names(self) -> tuple[str, ...]:
        """The afname tabs, in the order shown."""
        ...

    def tabs(self, school_key: str) -> Mapping[str, Collection[str]]:
        """Per leerlingnummer the afname tabs that pupil is in."""
        ...


@dataclass(frozen=True)
class LasInstellingen:
    """The fields of WIJZIGINGEN OPSLAAN."""

    las: str
    schooljaar: str
    autorisatiesleutel: str
    klantcode: str = DEFAULT_KLANTCODE
    klantnaam: str = DEFAULT_KLANTNAAM
    schoolnaam: str | None = None


@dataclass(frozen=True)
class Overzicht:
    """The Leerlingenoverzicht of one tab: the pupils listed, each with every tab it is in."""

    school: str
    tab: str
    zoek: str | None
    rijen: list[tuple[Leerling, list[str]]]

    def as_json(self) -> dict[str, Any]:
        return {
            "school": self.school,
            "tab": self.tab,
            "q": self.zoek,
            "aantal": len(self.rijen),
            "leerlingen": [{**p.as_json(), "tabs": tabs} for p, tabs in self.rijen],
        }


class BeheerService:
    """The testcentrum's koppeling side for every school account."""

    def __init__(
        self,
        core: Core,
        *,
        las_client: Callable[[str], LasClient],
        klantenservice: Callable[[], KlantenserviceClient],
        afname_tabs: AfnameTabs,
    ) -> None:
        self.db = core.db
        self.clock = core.clock
        self.store = BeheerStore()
        self._las_client = las_client
        self._klantenservice = klantenservice
        self._afname_tabs = afname_tabs

    @property
    def tabs(self) -> tuple[str, ...]:
        """Every tab of the Leerlingenoverzicht, in the order shown."""
        return (MIJN, *self._afname_tabs.tab_names)

    def now(self, brincode: str, dependancecode: str) -> datetime:
        """The school's clock."""
        return self.clock.now(brincode, dependancecode)

    def school(self, brincode: str, dependancecode: str) -> str:
        """The school's account (made on first use)."""
        now = self.now(brincode, dependancecode)
        with self.db.begin() as conn:
            return self.store.ensure_school(conn, brincode, dependancecode, now)

    def school_naam(self, school: str) -> str | None:
        """The school's name, if one was given with its LAS settings."""
        with self.db.read() as conn:
            return self.store.school_naam(conn, school)

    # -- LAS ------------------------------------------------------------------------------------

    def las_koppeling(self, school: str) -> LasKoppeling | None:
        """The school's LAS settings and last import, or None if never saved."""
        with self.db.read() as conn:
            return self.store.las_koppeling(conn, school)

    def sla_las_op(self, brincode: str, dependancecode: str, inst: LasInstellingen) -> LasKoppeling:
        """WIJZIGINGEN OPSLAAN."""
        now = self.now(brincode, dependancecode)
        with self.db.begin() as conn:
            school = self.store.ensure_school(conn, brincode, dependancecode, now)
            if inst.schoolnaam:
                self.store.set_school_naam(conn, school, inst.schoolnaam)
            return self.store.save_las(
                conn,
                school,
                las=inst.las,
                schooljaar=inst.schooljaar,
                autorisatiesleutel=inst.autorisatiesleutel,
                klantcode=inst.klantcode,
                klantnaam=inst.klantnaam,
                now=now,
            )

    def importeer(self, brincode: str, dependancecode: str) -> ImportResultaat:
        """GEGEVENS IMPORTEREN: HaalLeerlinggegevens at the configured LAS, then sync. A LAS
        fault is raised as :class:`LasFout` (and remembered as ``laatste_fout``)."""
        school = self.school(brincode, dependancecode)
        settings = self.las_koppeling(school)
        if settings is None:
            raise GeenLasKoppeling(school)
        autorisatie = Autorisatie(
            settings.autorisatiesleutel, settings.klantcode, settings.klantnaam
        )
        try:
            answer = self._las_client(settings.las).haal_leerlinggegevens(
                autorisatie,
                schooljaar=settings.schooljaar,
                brincode=brincode,
                dependancecode=dependancecode,
            )
        except LasFout as fout:
            with self.db.begin() as conn:
                self.store.import_failed(
                    conn, school, f"{fout.code}: {fout.message}", settings_wrong=fout.is_client
                )
            raise
        now = self.now(brincode, dependancecode)
        with self.db.begin() as conn:
            if answer.gegevens is None:  # geengegevens / geenwijzigingen: keep what we have
                result = ImportResultaat(
                    **self.store.aantallen(conn, school),
                    wijzigingen={},
                    waarschuwingen=[f"het LAS antwoordde {answer.kind}"],
                )
            else:
                result = self.store.sync(conn, school, answer.gegevens, now)
            self.store.import_succeeded(conn, school, result.as_json(), now)
        log.info(
            "import %s: %d leerlingen, %d groepen, %d leerkrachten",
            school,
            result.leerlingen,
            result.groepen,
            result.leerkrachten,
        )
        return result

    def overzicht(self, brincode: str, dependancecode: str, *, tab: str, zoek: str) -> Overzicht:
        """The Leerlingenoverzicht: the pupils in ``tab`` whose name or number holds ``zoek``."""
        school = self.school(brincode, dependancecode)
        if tab not in self.tabs:
            raise invalid("tab", f"tab must be one of {', '.join(self.tabs)}, got {tab!r}")
        states = self._afname_tabs.tabs(school)
        with self.db.read() as conn:
            pupils = self.store.leerlingen(conn, school)
        if tab != MIJN:
            pupils = [p for p in pupils if tab in states.get(p.leerlingnummer, ())]
        if zoek:
            pupils = [
                p for p in pupils if zoek in p.naam.lower() or zoek in p.leerlingnummer.lower()
            ]
        rijen = [(p, sorted(states.get(p.leerlingnummer, ()))) for p in pupils]
        return Overzicht(school, tab, zoek or None, rijen)

    # -- dashboard koppeling --------------------------------------------------------------------

    def vraag_aan(
        self,
        brincode: str,
        dependancecode: str,
        *,
        type_dashboard: str,
        autorisatiesleutel: str,
        beheerder_email: str,
    ) -> tuple[DashboardKoppeling, bool]:
        """AANVRAGEN: store the aanvraag, send it to klantenservice and process any answer."""
        school = self.school(brincode, dependancecode)
        now = self.now(brincode, dependancecode)
        with self.db.begin() as conn:
            _, created = self.store.aanvragen(
                conn,
                school,
                type_dashboard=type_dashboard,
                autorisatiesleutel=autorisatiesleutel,
                beheerder_email=beheerder_email,
                idempotency_key=uuid.uuid4().hex,
                now=now,
            )
        self.volg_op(school)
        current = self.dashboard_koppeling(school)
        assert current is not None
        return current, created

    def bekijk(self, brincode: str, dependancecode: str) -> DashboardKoppeling | None:
        """The koppeling, after asking klantenservice about an open aanvraag."""
        school = self.school(brincode, dependancecode)
        self.volg_op(school)
        return self.dashboard_koppeling(school)

    def dashboard_koppeling(self, school: str) -> DashboardKoppeling | None:
        """The school's dashboard koppeling as stored (no follow-up at klantenservice)."""
        with self.db.read() as conn:
            return self.store.dashboard_koppeling(conn, school)

    def perioden(self, school: str) -> list[Periode]:
        """Every activation period of the school's dashboard koppeling, oldest first."""
        with self.db.read() as conn:
            return self.store.perioden(conn, school)

    def deactiveer(self, brincode: str, dependancecode: str) -> DashboardKoppeling | None:
        """Switch the dashboard koppeling off (from the school's clock now on) and tell
        klantenservice (best effort: a failure there does not undo the deactivation)."""
        school = self.school(brincode, dependancecode)
        now = self.now(brincode, dependancecode)
        with self.db.begin() as conn:
            koppeling = self.store.deactivate(conn, school, now)
        if koppeling is not None and koppeling.aanvraag_id:
            try:
                self._klantenservice().trek_in(koppeling.aanvraag_id)
            except (KlantenserviceOnbereikbaar, KlantenserviceWeigert) as exc:
                log.warning("intrekken bij klantenservice mislukt voor %s: %s", school, exc)
        return koppeling

    def volg_op(self, school: str | None = None) -> int:
        """Submit or poll every open aanvraag (of one school); returns how many got decided."""
        with self.db.read() as conn:
            due = self.store.due(conn, school)
        return sum(self._volg_op(v) for v in due)

    def _volg_op(self, v: Verzending) -> bool:
        try:
            client = self._klantenservice()
            if v.aanvraag_id is None:
                status = client.dien_in(
                    brincode=v.brincode,
                    dependancecode=v.dependancecode,
                    type_dashboard=v.type_dashboard,
                    autorisatiesleutel=v.autorisatiesleutel,
                    beheerder_email=v.beheerder_email,
                    idempotency_key=v.idempotency_key,
                )
                with self.db.begin() as conn:
                    self.store.submitted(conn, v.school, v.idempotency_key, status.id)
            else:
                status = client.status(v.aanvraag_id)
        except KlantenserviceOnbereikbaar as exc:
            with self.db.begin() as conn:
                self.store.record_error(conn, v.school, v.idempotency_key, f"klantenservice: {exc}")
            return False
        except KlantenserviceWeigert as exc:
            return self._reject(v, f"Klantenservice weigerde de aanvraag: {exc.detail}")
        return self._verwerk(v, status)

    def _verwerk(self, v: Verzending, status: AanvraagStatus) -> bool:
        if status.status == AanvraagStatus.GOEDGEKEURD:
            now = self.now(v.brincode, v.dependancecode)
            with self.db.begin() as conn:
                decided = self.store.activate(conn, v.school, v.idempotency_key, now)
        elif status.status == AanvraagStatus.AFGEWEZEN:
            decided = self._reject(v, status.reden or "afgewezen door klantenservice")
        else:
            return False
        if decided and status.mail_status == AanvraagStatus.MAIL_MISLUKT:
            with self.db.begin() as conn:  # the decision stands; the page says the mail failed
                self.store.record_error(conn, v.school, v.idempotency_key, MAIL_MISLUKT)
        return decided

    def _reject(self, v: Verzending, reden: str) -> bool:
        with self.db.begin() as conn:
            return self.store.reject(conn, v.school, v.idempotency_key, reden)


# --- what the afnames domain reads -------------------------------------------------------------


class DashboardKoppelingen:
    """The dashboard koppeling as the afnames domain sees it (read only): the forwarding rule's
    oracle and the Schoolkr8 key the forwarder sends with."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._store = BeheerStore()

    def current(self, school_key: str) -> DashboardKoppeling | None:
        """The school's koppeling as it stands now, or None if never requested."""
        with self._db.read() as conn:
            return self._store.dashboard_koppeling(conn, school_key)

    def active_at(self, school_key: str, instant: datetime) -> bool:
        """Was the koppeling active at ``instant`` (tz-aware)? True iff some activation period
        ``[start, eind)`` contains it: active from the activation instant itself, no longer at
        the deactivation instant."""
        if instant.tzinfo is None:
            raise ValueError(f"active_at needs a tz-aware instant, got {instant.isoformat()}")
        moment = instant.astimezone(UTC)
        with self._db.read() as conn:
            perioden = self._store.perioden(conn, school_key)
        return any(p.contains(moment) for p in perioden)

    def schoolkr8_key(self, school_key: str) -> str | None:
        """The plain Schoolkr8 autorisatiesleutel of the school's koppeling (any status), for the
        forwarder's UWLR autorisatie header only — never put it in a response, journal or log."""
        with self._db.read() as conn:
            return self._store.schoolkr8_key(conn, school_key)


class ImportedPupils:
    """The pupils imported from the LAS, as the afnames domain sees them (read only)."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._store = BeheerStore()

    def imported(self, school_key: str) -> bool:
        """Were any pupils imported for this school?"""
        with self._db.read() as conn:
            return self._store.imported(conn, school_key)

    def groepen(self, school_key: str, leerlingnummers: Collection[str]) -> dict[str, int | None]:
        """The given pupils that were imported, with their jaargroep 1..8 (None if other)."""
        with self._db.read() as conn:
            return self._store.jaargroepen(conn, school_key, leerlingnummers)
