"""The REST surface of Beheer › Koppelen met LAS, the Leerlingenoverzicht and the dashboard
koppeling: one route table (:func:`beheer_routes`) for the views and ``/openapi.json`` alike.

Every school resource lives under ``/api/scholen/{brincode}/{dependancecode}``; the account is made
on first use. The views are thin: the work is in :class:`.service.BeheerService`.
"""

from __future__ import annotations

from typing import Any

from flask import request

from koppeling.harness.errors import ApiError, conflict, invalid, not_found
from koppeling.harness.routes import Route
from koppeling.harness.schemas import validate_body
from koppeling.harness.schools import check_schooljaar
from koppeling.harness.service import json_body, school_in_path
from mocks.testcentrum.beheer.las_client import LAS_NAMEN, LasFout
from mocks.testcentrum.beheer.service import (
    MIJN,
    BeheerService,
    GeenLasKoppeling,
    LasInstellingen,
)
from mocks.testcentrum.beheer.store import (
    DEFAULT_KLANTCODE,
    DEFAULT_KLANTNAAM,
    DashboardKoppeling,
    KoppelingBestaat,
    LasKoppeling,
)

SCHOOL = "/api/scholen/{brincode}/{dependancecode}"
DASHBOARD = SCHOOL + "/dashboard-koppeling"

# Which field a LAS fault is about, for the form to point at.
_FAULT_FIELDS = {
    "Client.AutorisatieOngeldig": "autorisatiesleutel",
    "Client.OngeldigeKlantIdentificatie": "klantcode",
}


def beheer_routes(service: BeheerService) -> list[Route]:
    """The Beheer routes, in the order ``/openapi.json`` lists them."""
    v = BeheerViews(service)
    off = {"200": "Gedeactiveerd", "409": "Niet actief"}
    return [
        Route(
            "GET",
            SCHOOL + "/las-koppeling",
            v.las_koppeling,
            summary="LAS-instellingen en laatste import",
            responses={"200": "De instellingen (sleutel gemaskeerd)", "404": "Niet ingesteld"},
        ),
        Route(
            "PUT",
            SCHOOL + "/las-koppeling",
            v.sla_las_op,
            summary="WIJZIGINGEN OPSLAAN",
            request_schema="testcentrum_las_koppeling",
            responses={"200": "Opgeslagen", "422": "Ongeldig veld"},
        ),
        Route(
            "POST",
            SCHOOL + "/las-koppeling/import",
            v.importeer,
            summary="GEGEVENS IMPORTEREN (UWLR)",
            responses={
                "200": "Aantallen leerlingen, groepen, leerkrachten",
                "409": "Geen LAS-instellingen",
                "422": "LAS weigert (Client-fout)",
                "502": "LAS-storing (Server-fout)",
                "504": "LAS antwoordt niet",
            },
            depends_on_state=("422",),
        ),
        Route(
            "GET",
            SCHOOL + "/leerlingen",
            v.leerlingen,
            summary=f"Leerlingenoverzicht (?tab={'|'.join(service.tabs)}, ?q=)",
            responses={"200": "Leerlingen met leerlingnummer", "422": "Onbekende tab"},
        ),
        Route(
            "POST",
            DASHBOARD,
            v.vraag_aan,
            summary="AANVRAGEN",
            request_schema="testcentrum_dashboard_koppeling",
            responses={
                "202": "Aangevraagd (status volgt)",
                "409": "Al actief of al aangevraagd",
                "422": "Ongeldig veld",
            },
        ),
        Route(
            "GET",
            DASHBOARD,
            v.bekijk,
            summary="Status van de dashboardkoppeling",
            responses={"200": "status, geactiveerd_op, reden", "404": "Nooit aangevraagd"},
        ),
        Route(
            "POST",
            DASHBOARD + "/deactiveren",
            v.deactiveer,
            summary="Dashboardkoppeling uitzetten",
            responses=off,
        ),
        Route(
            "DELETE", DASHBOARD, v.verwijder, summary="Dashboardkoppeling uitzetten", responses=off
        ),
    ]


class BeheerViews:
    """The views of :func:`beheer_routes`, each one call on the service."""

    def __init__(self, service: BeheerService) -> None:
        self.service = service

    def las_koppeling(self, brincode: str, dependancecode: str) -> Any:
        """The LAS settings (key masked), whether the koppeling is active, the last import."""
        brin, dep = school_in_path(brincode, dependancecode)
        school = self.service.school(brin, dep)
        koppeling = self.service.las_koppeling(school)
        if koppeling is None:
            raise not_found("LAS-koppeling", f"school {school} heeft geen LAS-instellingen")
        return self._las_json(brin, dep, koppeling)

    def sla_las_op(self, brincode: str, dependancecode: str) -> Any:
        """WIJZIGINGEN OPSLAAN: LAS, schooljaar, autorisatiesleutel (+ klantcode/klantnaam)."""
        brin, dep = school_in_path(brincode, dependancecode)
        body = validate_body("testcentrum_las_koppeling", json_body())
        try:
            check_schooljaar(body["schooljaar"])
        except ValueError as exc:
            raise invalid("schooljaar", str(exc)) from None
        instellingen = LasInstellingen(
            las=body["las"],
            schooljaar=body["schooljaar"],
            autorisatiesleutel=body["autorisatiesleutel"].strip(),
            klantcode=body.get("klantcode", DEFAULT_KLANTCODE),
            klantnaam=body.get("klantnaam", DEFAULT_KLANTNAAM),
            schoolnaam=body.get("schoolnaam"),
        )
        return self._las_json(brin, dep, self.service.sla_las_op(brin, dep, instellingen))

    def importeer(self, brincode: str, dependancecode: str) -> Any:
        """GEGEVENS IMPORTEREN: counts of pupils, groups and staff, and what changed."""
        brin, dep = school_in_path(brincode, dependancecode)
        try:
            result = self.service.importeer(brin, dep)
        except GeenLasKoppeling:
            raise conflict(
                "sla eerst de LAS-instellingen op (WIJZIGINGEN OPSLAAN)", field="las"
            ) from None
        except LasFout as fout:
            raise self._las_problem(fout, f"{brin}-{dep}") from None
        return result.as_json()

    def leerlingen(self, brincode: str, dependancecode: str) -> Any:
        """Leerlingenoverzicht: pupils with leerlingnummer; ``?tab=`` filters, ``?q=`` searches."""
        brin, dep = school_in_path(brincode, dependancecode)
        tab = request.args.get("tab", MIJN).strip().lower()
        zoek = request.args.get("q", "").strip().lower()
        return self.service.overzicht(brin, dep, tab=tab, zoek=zoek).as_json()

    def vraag_aan(self, brincode: str, dependancecode: str) -> Any:
        """AANVRAGEN: send the request to klantenservice; 202 with the status so far."""
        brin, dep = school_in_path(brincode, dependancecode)
        body = validate_body("testcentrum_dashboard_koppeling", json_body())
        try:
            koppeling, created = self.service.vraag_aan(
                brin,
                dep,
                type_dashboard=body["type_dashboard"].strip(),
                autorisatiesleutel=body["autorisatiesleutel"].strip(),
                beheerder_email=body["beheerder_email"].strip(),
            )
        except KoppelingBestaat as exc:
            raise conflict(str(exc), field="status") from None
        return {**self._dashboard_json(koppeling), "nieuw": created}, 202

    def bekijk(self, brincode: str, dependancecode: str) -> Any:
        """The dashboard koppeling: status, geactiveerd_op, reden, activation periods."""
        brin, dep = school_in_path(brincode, dependancecode)
        koppeling = self.service.bekijk(brin, dep)
        if koppeling is None:
            raise not_found(
                "Dashboardkoppeling", f"{brin}-{dep} heeft nooit een dashboardkoppeling aangevraagd"
            )
        return self._dashboard_json(koppeling)

    def deactiveer(self, brincode: str, dependancecode: str) -> Any:
        """Switch the dashboard koppeling off (results normed from now on are not sent)."""
        brin, dep = school_in_path(brincode, dependancecode)
        koppeling = self.service.deactiveer(brin, dep)
        if koppeling is None:
            raise conflict("er is geen actieve of aangevraagde dashboardkoppeling", field="status")
        return self._dashboard_json(koppeling)

    def verwijder(self, brincode: str, dependancecode: str) -> Any:
        """Same as ``POST …/deactiveren``."""
        return self.deactiveer(brincode, dependancecode)

    def _las_json(self, brin: str, dep: str, koppeling: LasKoppeling) -> dict[str, Any]:
        return {
            "school": koppeling.school,
            "brincode": brin,
            "dependancecode": dep,
            "school_naam": self.service.school_naam(koppeling.school),
            **koppeling.as_json(),
            "melding": (
                f"U heeft een actieve koppeling met {LAS_NAMEN[koppeling.las]}"
                if koppeling.actief
                else None
            ),
        }

    def _las_problem(self, fout: LasFout, school: str) -> ApiError:
        koppeling = self.service.las_koppeling(school)
        las = LAS_NAMEN.get(koppeling.las, koppeling.las) if koppeling else "het LAS"
        status = 422 if fout.is_client else (504 if "binnen" in fout.message else 502)
        return ApiError(
            status,
            f"{las} gaf een fout: {fout.code}",
            f"{las} ({fout.code}): {fout.message}",
            field=_FAULT_FIELDS.get(fout.code),
            uwlr_code=fout.code,
            las=las,
        )

    def _dashboard_json(self, koppeling: DashboardKoppeling) -> dict[str, Any]:
        perioden = self.service.perioden(koppeling.school)
        return {
            "school": koppeling.school,
            **koppeling.as_json(),
            "perioden": [p.as_json() for p in perioden],
        }
