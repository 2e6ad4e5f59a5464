"""Beheer › Koppelen met LAS, as the stand-in testcentrum does it: the manual's buttons as methods.

WIJZIGINGEN OPSLAAN, GEGEVENS IMPORTEREN (a real UWLR call through :mod:`las_client`), AANVRAGEN
(to klantenservice through :mod:`klantenservice_client`) and the follow-up of open aanvragen. No
Flask: the views call this, and so does the background poller.

How the testcentrum learns klantenservice's decision: **polling**. After AANVRAGEN it asks at once
(klantenservice often decides on the spot), then the poller and every ``GET …/dashboard-koppeling``
ask again while the koppeling is ``aangevraagd``. Polling needs nothing from klantenservice but its
public API, so the stand-in works against a real klantenservice too. ``geactiveerd_op`` is the
school's clock when the approval is *processed* here.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from koppeling.harness.clock import Clock
from koppeling.harness.store import Database
from koppeling.uwlr.autorisatie import Autorisatie
from mocks.testcentrum.klantenservice_client import (
    AanvraagStatus,
    KlantenserviceClient,
    KlantenserviceOnbereikbaar,
    KlantenserviceWeigert,
)
from mocks.testcentrum.las_client import LasClient, LasFout
from mocks.testcentrum.store import (
    DEFAULT_KLANTCODE,
    DEFAULT_KLANTNAAM,
    DashboardKoppeling,
    DashboardKoppelingen,
    ImportResultaat,
    LasKoppelingen,
    LasSettings,
    Leerlingenbestand,
    Scholen,
    Verzending,
)

log = logging.getLogger("koppeling.testcentrum")


class GeenLasKoppeling(LookupError):
    """GEGEVENS IMPORTEREN before WIJZIGINGEN OPSLAAN."""


@dataclass(frozen=True)
class LasInstellingen:
    """The fields of WIJZIGINGEN OPSLAAN."""

    las: str
    schooljaar: str
    autorisatiesleutel: str
    klantcode: str = DEFAULT_KLANTCODE
    klantnaam: str = DEFAULT_KLANTNAAM
    schoolnaam: str | None = None


class Beheer:
    """The testcentrum's koppeling side for every school account."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        las_client: Callable[[str], LasClient],
        klantenservice: Callable[[], KlantenserviceClient],
    ) -> None:
        self.clock = clock
        self.scholen = Scholen(db)
        self.las = LasKoppelingen(db)
        self.bestand = Leerlingenbestand(db)
        self.dashboard = DashboardKoppelingen(db)
        self._las_client = las_client
        self._klantenservice = klantenservice

    def now(self, brincode: str, dependancecode: str) -> datetime:
        """The school's clock."""
        return self.clock.now(brincode, dependancecode)

    def school(self, brincode: str, dependancecode: str) -> str:
        """The school's account (made on first use)."""
        return self.scholen.ensure(brincode, dependancecode, self.now(brincode, dependancecode))

    # -- LAS ------------------------------------------------------------------------------------

    def sla_las_op(self, brincode: str, dependancecode: str, inst: LasInstellingen) -> LasSettings:
        """WIJZIGINGEN OPSLAAN."""
        school = self.school(brincode, dependancecode)
        if inst.schoolnaam:
            self.scholen.set_naam(school, inst.schoolnaam)
        return self.las.save(
            school,
            las=inst.las,
            schooljaar=inst.schooljaar,
            autorisatiesleutel=inst.autorisatiesleutel,
            klantcode=inst.klantcode,
            klantnaam=inst.klantnaam,
            now=self.now(brincode, dependancecode),
        )

    def importeer(self, brincode: str, dependancecode: str) -> ImportResultaat:
        """GEGEVENS IMPORTEREN: HaalLeerlinggegevens at the configured LAS, then sync. A LAS
        fault is raised as :class:`LasFout` (and remembered as ``laatste_fout``)."""
        school = self.school(brincode, dependancecode)
        settings = self.las.get(school)
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
            self.las.import_failed(
                school, f"{fout.code}: {fout.message}", settings_wrong=fout.is_client
            )
            raise
        now = self.now(brincode, dependancecode)
        if answer.gegevens is None:  # geengegevens / geenwijzigingen: keep what we have
            result = ImportResultaat(
                **self.bestand.aantallen(school),
                wijzigingen={},
                waarschuwingen=[f"het LAS antwoordde {answer.kind}"],
            )
        else:
            result = self.bestand.sync(school, answer.gegevens, now)
        self.las.import_ok(school, result.as_json(), now)
        log.info(
            "import %s: %d leerlingen, %d groepen, %d leerkrachten",
            school,
            result.leerlingen,
            result.groepen,
            result.leerkrachten,
        )
        return result

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
        koppeling, created = self.dashboard.aanvragen(
            school,
            type_dashboard=type_dashboard,
            autorisatiesleutel=autorisatiesleutel,
            beheerder_email=beheerder_email,
            idempotency_key=uuid.uuid4().hex,
            now=self.now(brincode, dependancecode),
        )
        self.volg_op(school)
        current = self.dashboard.current(school)
        assert current is not None
        return current, created

    def bekijk(self, brincode: str, dependancecode: str) -> DashboardKoppeling | None:
        """The koppeling, after asking klantenservice about an open aanvraag."""
        school = self.school(brincode, dependancecode)
        self.volg_op(school)
        return self.dashboard.current(school)

    def deactiveer(self, brincode: str, dependancecode: str) -> DashboardKoppeling | None:
        """Switch the dashboard koppeling off (from the school's clock now on) and tell
        klantenservice (best effort: a failure there does not undo the deactivation)."""
        school = self.school(brincode, dependancecode)
        koppeling = self.dashboard.deactiveer(school, self.now(brincode, dependancecode))
        if koppeling is not None and koppeling.aanvraag_id:
            try:
                self._klantenservice().trek_in(koppeling.aanvraag_id)
            except (KlantenserviceOnbereikbaar, KlantenserviceWeigert) as exc:
                log.warning("intrekken bij klantenservice mislukt voor %s: %s", school, exc)
        return koppeling

    def volg_op(self, school: str | None = None) -> int:
        """Submit or poll every open aanvraag (of one school); returns how many got decided."""
        return sum(self._volg_op(v) for v in self.dashboard.te_verzenden(school))

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
                self.dashboard.ingediend(v.school, v.idempotency_key, status.id)
            else:
                status = client.status(v.aanvraag_id)
        except KlantenserviceOnbereikbaar as exc:
            self.dashboard.fout(v.school, v.idempotency_key, f"klantenservice: {exc}")
            return False
        except KlantenserviceWeigert as exc:
            reden = f"Klantenservice weigerde de aanvraag: {exc.detail}"
            return self.dashboard.wijs_af(v.school, v.idempotency_key, reden)
        return self._verwerk(v, status)

    def _verwerk(self, v: Verzending, status: AanvraagStatus) -> bool:
        if status.status == "goedgekeurd":
            return self.dashboard.activeer(
                v.school, v.idempotency_key, self.now(v.brincode, v.dependancecode)
            )
        if status.status == "afgewezen":
            return self.dashboard.wijs_af(
                v.school, v.idempotency_key, status.reden or "afgewezen door klantenservice"
            )
        return False
