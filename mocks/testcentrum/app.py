"""The stand-in Boom testcentrum: Beheer › Koppelen met LAS and the dashboard koppeling, over REST.

Every school resource lives under ``/api/scholen/{brincode}/{dependancecode}``; the account is made
on first use. Views are thin: the work is in :class:`mocks.testcentrum.beheer.Beheer`. The afnames,
norming and forwarding part plugs in through ``mocks.testcentrum.afnames.register(app, core,
options)`` and ``mocks.testcentrum.forwarder.create_worker(core, options)`` when those exist.

Options (``options["testcentrum"]`` in the harness config): ``las_urls`` ({"parnassys": base URL,
"esis": base URL}; default ``core.url(las)``), ``klantenservice_url`` (default
``core.url("klantenservice")``), ``las_timeout`` (s, 30), ``klantenservice_timeout`` (s, 10),
``poll_interval`` (s between polls of open aanvragen, 1.0; 0 switches the poller off).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection, Mapping
from typing import Any

from flask import Flask, request

from koppeling.harness.errors import ApiError, conflict, invalid, not_found
from koppeling.harness.schemas import Operation, openapi_document, validate_body
from koppeling.harness.schools import check_schooljaar
from koppeling.harness.service import Core, create_service_app, json_body, school_in_path
from mocks.testcentrum import afnames, forwarder
from mocks.testcentrum.beheer import Beheer, GeenLasKoppeling, LasInstellingen
from mocks.testcentrum.klantenservice_client import KlantenserviceClient, KlantenserviceOnbereikbaar
from mocks.testcentrum.las_client import LAS_NAMEN, UNREACHABLE, LasClient, LasFout, endpoint_of
from mocks.testcentrum.store import (
    DEFAULT_KLANTCODE,
    DEFAULT_KLANTNAAM,
    TABS,
    KoppelingBestaat,
    afname_tabs,
)

SERVICE = "testcentrum"
log = logging.getLogger("koppeling.testcentrum")

# The afnames module may set ``app.extensions[TABS_EXTENSION]`` to a function
# ``(school_key) -> {leerlingnummer: {tab, ...}}`` that says which Leerlingenoverzicht tabs
# (uitgenodigd, gescoord, genormeerd, definitief) a pupil is in. Default: :func:`afname_tabs`.
TABS_EXTENSION = "testcentrum.afname_tabs"
BEHEER_EXTENSION = "testcentrum.beheer"

SCHOOL = "/api/scholen/{brincode}/{dependancecode}"
OPERATIONS = [
    Operation(
        "GET",
        SCHOOL + "/las-koppeling",
        "LAS-instellingen en laatste import",
        responses={"200": "De instellingen (sleutel gemaskeerd)", "404": "Niet ingesteld"},
    ),
    Operation(
        "PUT",
        SCHOOL + "/las-koppeling",
        "WIJZIGINGEN OPSLAAN",
        "testcentrum_las_koppeling",
        {"200": "Opgeslagen", "422": "Ongeldig veld"},
    ),
    Operation(
        "POST",
        SCHOOL + "/las-koppeling/import",
        "GEGEVENS IMPORTEREN (UWLR)",
        responses={
            "200": "Aantallen leerlingen, groepen, leerkrachten",
            "409": "Geen LAS-instellingen",
            "422": "LAS weigert (Client-fout)",
            "502": "LAS-storing (Server-fout)",
            "504": "LAS antwoordt niet",
        },
    ),
    Operation(
        "GET",
        SCHOOL + "/leerlingen",
        "Leerlingenoverzicht (?tab=mijn|uitgenodigd|gescoord|genormeerd|definitief, ?q=)",
        responses={"200": "Leerlingen met leerlingnummer", "422": "Onbekende tab"},
    ),
    Operation(
        "POST",
        SCHOOL + "/dashboard-koppeling",
        "AANVRAGEN",
        "testcentrum_dashboard_koppeling",
        {
            "202": "Aangevraagd (status volgt)",
            "409": "Al actief of al aangevraagd",
            "422": "Ongeldig veld",
        },
    ),
    Operation(
        "GET",
        SCHOOL + "/dashboard-koppeling",
        "Status van de dashboardkoppeling",
        responses={"200": "status, geactiveerd_op, reden", "404": "Nooit aangevraagd"},
    ),
    Operation(
        "POST",
        SCHOOL + "/dashboard-koppeling/deactiveren",
        "Dashboardkoppeling uitzetten",
        responses={"200": "Gedeactiveerd", "409": "Niet actief"},
    ),
    Operation(
        "DELETE",
        SCHOOL + "/dashboard-koppeling",
        "Dashboardkoppeling uitzetten",
        responses={"200": "Gedeactiveerd", "409": "Niet actief"},
    ),
]


def create_app(config: dict[str, Any] | None = None, *, core: Core) -> Flask:
    """The stand-in testcentrum on ``core``; the afnames part is registered if installed."""
    options = dict(config or {})
    app = create_service_app(SERVICE, core, import_name=__name__)
    beheer = build_beheer(core, options)
    app.extensions[BEHEER_EXTENSION] = beheer
    app.extensions[TABS_EXTENSION] = lambda school: afname_tabs(core.db, school)
    operations = list(OPERATIONS)
    _las_routes(app, beheer)
    _dashboard_routes(app, beheer)

    @app.get("/openapi.json")
    def openapi() -> Any:
        """The OpenAPI document of the stand-in testcentrum."""
        return openapi_document("Boom testcentrum (stand-in)", operations)

    afnames.register(app, core, options)
    operations.extend(afnames.OPERATIONS)
    return app


def build_beheer(core: Core, options: dict[str, Any]) -> Beheer:
    """The koppeling logic wired to the store, the clock and the two partner clients."""
    las_urls: Mapping[str, str] = options.get("las_urls") or {}
    las_timeout = float(options.get("las_timeout", 30.0))
    ks_timeout = float(options.get("klantenservice_timeout", 10.0))

    def las_client(las: str) -> LasClient:
        try:
            base = las_urls.get(las) or core.url(las)
        except RuntimeError as exc:
            raise LasFout(UNREACHABLE, str(exc)) from None
        return LasClient(endpoint_of(las, base), timeout=las_timeout)

    def klantenservice() -> KlantenserviceClient:
        try:
            base = options.get("klantenservice_url") or core.url("klantenservice")
        except RuntimeError as exc:
            raise KlantenserviceOnbereikbaar(str(exc)) from None
        return KlantenserviceClient(base, timeout=ks_timeout)

    return Beheer(core.db, core.clock, las_client=las_client, klantenservice=klantenservice)


def _las_routes(app: Flask, beheer: Beheer) -> None:
    base = "/api/scholen/<brincode>/<dependancecode>"

    @app.get(base + "/las-koppeling")
    def las_koppeling(brincode: str, dependancecode: str) -> Any:
        """The LAS settings (key masked), whether the koppeling is active, the last import."""
        brin, dep = school_in_path(brincode, dependancecode)
        school = beheer.school(brin, dep)
        settings = beheer.las.get(school)
        if settings is None:
            raise not_found("LAS-koppeling", f"school {school} heeft geen LAS-instellingen")
        return _las_view(beheer, brin, dep, settings)

    @app.put(base + "/las-koppeling")
    def sla_las_op(brincode: str, dependancecode: str) -> Any:
        """WIJZIGINGEN OPSLAAN: LAS, schooljaar, autorisatiesleutel (+ klantcode/klantnaam)."""
        brin, dep = school_in_path(brincode, dependancecode)
        body = validate_body("testcentrum_las_koppeling", json_body())
        try:
            check_schooljaar(body["schooljaar"])
        except ValueError as exc:
            raise invalid("schooljaar", str(exc)) from None
        settings = beheer.sla_las_op(
            brin,
            dep,
            LasInstellingen(
                las=body["las"],
                schooljaar=body["schooljaar"],
                autorisatiesleutel=body["autorisatiesleutel"].strip(),
                klantcode=body.get("klantcode", DEFAULT_KLANTCODE),
                klantnaam=body.get("klantnaam", DEFAULT_KLANTNAAM),
                schoolnaam=body.get("schoolnaam"),
            ),
        )
        return _las_view(beheer, brin, dep, settings)

    @app.post(base + "/las-koppeling/import")
    def importeer(brincode: str, dependancecode: str) -> Any:
        """GEGEVENS IMPORTEREN: counts of pupils, groups and staff, and what changed."""
        brin, dep = school_in_path(brincode, dependancecode)
        try:
            result = beheer.importeer(brin, dep)
        except GeenLasKoppeling:
            raise conflict(
                "sla eerst de LAS-instellingen op (WIJZIGINGEN OPSLAAN)", field="las"
            ) from None
        except LasFout as fout:
            raise _las_problem(fout, beheer, brin, dep) from None
        return result.as_json()

    @app.get(base + "/leerlingen")
    def leerlingen(brincode: str, dependancecode: str) -> Any:
        """Leerlingenoverzicht: pupils with leerlingnummer; ``?tab=`` filters, ``?q=`` searches."""
        brin, dep = school_in_path(brincode, dependancecode)
        school = beheer.school(brin, dep)
        tab = request.args.get("tab", "mijn").strip().lower()
        if tab not in TABS:
            raise invalid("tab", f"tab must be one of {', '.join(TABS)}, got {tab!r}")
        tabs_of: Callable[[str], Mapping[str, Collection[str]]] = app.extensions[TABS_EXTENSION]
        states = tabs_of(school)
        pupils = beheer.bestand.leerlingen(school)
        if tab != "mijn":
            pupils = [p for p in pupils if tab in states.get(p.leerlingnummer, ())]
        query = request.args.get("q", "").strip().lower()
        if query:
            pupils = [
                p for p in pupils if query in p.naam.lower() or query in p.leerlingnummer.lower()
            ]
        return {
            "school": school,
            "tab": tab,
            "q": query or None,
            "aantal": len(pupils),
            "leerlingen": [
                {**p.as_json(), "tabs": sorted(states.get(p.leerlingnummer, ()))} for p in pupils
            ],
        }


def _las_view(beheer: Beheer, brin: str, dep: str, settings: Any) -> dict[str, Any]:
    school = settings.school
    return {
        "school": school,
        "brincode": brin,
        "dependancecode": dep,
        "school_naam": beheer.scholen.naam(school),
        **settings.as_json(),
        "melding": (
            f"U heeft een actieve koppeling met {LAS_NAMEN[settings.las]}"
            if settings.actief
            else None
        ),
    }


def _las_problem(fout: LasFout, beheer: Beheer, brin: str, dep: str) -> ApiError:
    settings = beheer.las.get(f"{brin}-{dep}")
    las = LAS_NAMEN.get(settings.las, settings.las) if settings else "het LAS"
    fields = {
        "Client.AutorisatieOngeldig": "autorisatiesleutel",
        "Client.OngeldigeKlantIdentificatie": "klantcode",
    }
    status = 422 if fout.is_client else (504 if "binnen" in fout.message else 502)
    return ApiError(
        status,
        f"{las} gaf een fout: {fout.code}",
        f"{las} ({fout.code}): {fout.message}",
        field=fields.get(fout.code),
        uwlr_code=fout.code,
        las=las,
    )


def _dashboard_routes(app: Flask, beheer: Beheer) -> None:
    base = "/api/scholen/<brincode>/<dependancecode>/dashboard-koppeling"

    @app.post(base)
    def vraag_aan(brincode: str, dependancecode: str) -> Any:
        """AANVRAGEN: send the request to klantenservice; 202 with the status so far."""
        brin, dep = school_in_path(brincode, dependancecode)
        body = validate_body("testcentrum_dashboard_koppeling", json_body())
        try:
            koppeling, created = beheer.vraag_aan(
                brin,
                dep,
                type_dashboard=body["type_dashboard"].strip(),
                autorisatiesleutel=body["autorisatiesleutel"].strip(),
                beheerder_email=body["beheerder_email"].strip(),
            )
        except KoppelingBestaat as exc:
            raise conflict(str(exc), field="status") from None
        return {**_dashboard_view(beheer, koppeling), "nieuw": created}, 202

    @app.get(base)
    def bekijk(brincode: str, dependancecode: str) -> Any:
        """The dashboard koppeling: status, geactiveerd_op, reden, activation periods."""
        brin, dep = school_in_path(brincode, dependancecode)
        koppeling = beheer.bekijk(brin, dep)
        if koppeling is None:
            raise not_found(
                "Dashboardkoppeling", f"{brin}-{dep} heeft nooit een dashboardkoppeling aangevraagd"
            )
        return _dashboard_view(beheer, koppeling)

    @app.post(base + "/deactiveren")
    def deactiveer(brincode: str, dependancecode: str) -> Any:
        """Switch the dashboard koppeling off (results normed from now on are not sent)."""
        return _deactiveer(beheer, brincode, dependancecode)

    @app.delete(base)
    def verwijder(brincode: str, dependancecode: str) -> Any:
        """Same as ``POST …/deactiveren``."""
        return _deactiveer(beheer, brincode, dependancecode)


def _deactiveer(beheer: Beheer, brincode: str, dependancecode: str) -> Any:
    brin, dep = school_in_path(brincode, dependancecode)
    koppeling = beheer.deactiveer(brin, dep)
    if koppeling is None:
        raise conflict("er is geen actieve of aangevraagde dashboardkoppeling", field="status")
    return _dashboard_view(beheer, koppeling)


def _dashboard_view(beheer: Beheer, koppeling: Any) -> dict[str, Any]:
    perioden = beheer.dashboard.perioden(koppeling.school)
    return {
        "school": koppeling.school,
        **koppeling.as_json(),
        "perioden": [p.as_json() for p in perioden],
    }


# --- background work ---------------------------------------------------------------------------


class AanvraagPoller:
    """Asks klantenservice about open aanvragen every ``interval`` seconds (and resubmits ones
    that could not be sent), so a school becomes ``actief`` without anyone looking."""

    def __init__(self, beheer: Beheer, interval: float) -> None:
        self.beheer = beheer
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> AanvraagPoller:
        self._thread = threading.Thread(target=self._run, name="testcentrum-poller", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.beheer.volg_op()
            except Exception as exc:  # keep polling; the next pass may succeed
                log.warning("poller: %s", exc)


class Workers:
    """Several background workers started and stopped as one."""

    def __init__(self, workers: list[Any]) -> None:
        self.workers = workers

    def start(self) -> Workers:
        for worker in self.workers:
            worker.start()
        return self

    def stop(self) -> None:
        for worker in reversed(self.workers):
            worker.stop()


def create_worker(core: Core, options: dict[str, Any]) -> Workers | None:
    """The aanvraag poller plus, when installed, the forwarder of the afnames module."""
    workers: list[Any] = []
    interval = float(options.get("poll_interval", 1.0))
    if interval > 0:
        workers.append(AanvraagPoller(build_beheer(core, options), interval))
    workers.append(forwarder.create_worker(core, options))
    return Workers(workers) if workers else None
