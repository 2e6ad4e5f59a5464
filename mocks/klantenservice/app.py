"""Boom klantenservice (mock): takes dashboard requests, checks, approves or rejects, mails once.

Thin Flask views over :class:`mocks.klantenservice.service.KlantenserviceService`, registered
with one route table (``/openapi.json`` is built from it). Options (harness config
``options["klantenservice"]``): ``modus`` ("automatisch" default, or "handmatig"), ``timeout`` for
the partner checks. Partners are found through ``core.url("schoolkr8")`` and
``core.url("testcentrum")`` (or the options ``schoolkr8_url`` / ``testcentrum_url``), looked up
when a check runs, so the harness may bind the partners after this app was built.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, request

from koppeling.harness.errors import conflict, invalid, not_found
from koppeling.harness.mail import Mail
from koppeling.harness.routes import Route, add_routes, delete_school_route
from koppeling.harness.schemas import validate_body
from koppeling.harness.schools import school_key
from koppeling.harness.service import (
    Core,
    create_service_app,
    json_body,
    school_in_path,
    set_school,
)
from mocks.klantenservice.clients import (
    PartnerOnbereikbaar,
    Schoolkr8SleutelClient,
    TestcentrumLasClient,
)
from mocks.klantenservice.service import (
    AanvraagOnbekend,
    BesluitConflict,
    IdempotencyConflict,
    KlantenserviceService,
)
from mocks.klantenservice.store import (
    AUTOMATISCH,
    MODI,
    STATUSSEN,
    Aanvraag,
    NieuweAanvraag,
)

SERVICE = "klantenservice"
TITLE = "Boom klantenservice (mock)"
IDEMPOTENCY_HEADER = "Idempotency-Key"


def create_app(config: dict[str, Any] | None = None, *, core: Core) -> Flask:
    """The klantenservice app on ``core``."""
    options = dict(config or {})
    default_modus = options.get("modus", AUTOMATISCH)
    if default_modus not in MODI:
        raise ValueError(
            f"klantenservice modus must be automatisch or handmatig, got {default_modus!r}"
        )
    app = create_service_app(SERVICE, core, import_name=__name__)
    service = build_service(core, options, default_modus)
    app.extensions["klantenservice"] = service
    add_routes(app, TITLE, _routes(service))
    return app


def build_service(core: Core, options: dict[str, Any], default_modus: str) -> KlantenserviceService:
    """The klantenservice logic wired to store, clock, partner clients and mailer."""
    timeout = float(options.get("timeout", 5.0))

    def url(name: str) -> str:
        try:
            return str(options.get(f"{name}_url") or core.url(name))
        except RuntimeError as exc:
            raise PartnerOnbereikbaar(str(exc)) from None

    def sleutels() -> Schoolkr8SleutelClient:
        return Schoolkr8SleutelClient(url("schoolkr8"), timeout=timeout)

    def las() -> TestcentrumLasClient:
        return TestcentrumLasClient(url("testcentrum"), timeout=timeout)

    def send(mail: Mail, school: str) -> str:
        return core.send_mail(SERVICE, mail, school=school)

    return KlantenserviceService(
        core.db,
        now=lambda brin, dep: core.clock.now(brin, dep),
        sleutels=sleutels,
        las=las,
        send_mail=send,
        default_modus=default_modus,
    )


def _routes(service: KlantenserviceService) -> list[Route]:
    """The REST surface: one table for the Flask views and ``/openapi.json``."""

    def dien_in() -> Any:
        """Receive a dashboard request: 202 with its id and status (a retry gets the same id)."""
        body = validate_body("klantenservice_aanvraag", json_body())
        set_school(body["brincode"], body["dependancecode"])
        nieuw = NieuweAanvraag(
            brincode=body["brincode"],
            dependancecode=body["dependancecode"],
            type_dashboard=body["type_dashboard"],
            autorisatiesleutel=body["autorisatiesleutel"].strip(),
            beheerder_email=body["beheerder_email"].strip(),
        )
        key = request.headers.get(IDEMPOTENCY_HEADER)
        try:
            aanvraag, created = service.dien_in(nieuw, modus=body.get("modus"), idempotency_key=key)
        except IdempotencyConflict as exc:
            raise conflict(str(exc), field=IDEMPOTENCY_HEADER) from None
        return {**aanvraag.as_json(), "nieuw": created}, 202

    def lijst() -> Any:
        """The newest aanvragen (the manual queue), filtered by status and/or school."""
        args = request.args
        status = args.get("status")
        if status is not None and status not in STATUSSEN:
            raise invalid("status", f"status must be one of {', '.join(STATUSSEN)}, got {status!r}")
        try:
            limit = int(args.get("limit", 50))
        except ValueError:
            raise invalid("limit", "limit must be an integer") from None
        if not 1 <= limit <= 1000:
            raise invalid("limit", f"limit must be 1..1000, got {limit}")
        school = (
            _school(args["brincode"], args.get("dependancecode", "00"))
            if "brincode" in args
            else None
        )
        found = service.recent(limit=limit, status=status, school=school)
        return {"aanvragen": [a.as_json() for a in found]}

    def bekijk(id: str) -> Any:
        """The aanvraag's status: in_behandeling | goedgekeurd | afgewezen (+ reden)."""
        return _view(lambda: service.bekijk(id), id)

    def goedkeuren(id: str) -> Any:
        """Approve by hand (sends the one approval e-mail)."""
        validate_body("klantenservice_goedkeuren", json_body(required=False))
        return _view(lambda: service.goedkeuren(id), id)

    def afwijzen(id: str) -> Any:
        """Reject by hand with a reason (sends the one rejection e-mail)."""
        body = validate_body("klantenservice_afwijzen", json_body())
        return _view(lambda: service.afwijzen(id, body["reden"].strip()), id)

    def intrekken(id: str) -> Any:
        """The school deactivated the koppeling; no e-mail."""
        return _view(lambda: service.intrekken(id), id)

    def set_modus(brincode: str, dependancecode: str) -> Any:
        """Set automatic or manual handling for one school (isolation by data)."""
        body = validate_body("klantenservice_modus", json_body())
        school = _school(brincode, dependancecode)
        service.set_modus(school, body["modus"])
        return {"school": school, "modus": body["modus"]}

    def modus(brincode: str, dependancecode: str) -> Any:
        """The handling mode of one school."""
        school = _school(brincode, dependancecode)
        return {"school": school, "modus": service.modus(school)}

    aanvraag = "/api/aanvragen/{id}"
    modus_path = "/api/scholen/{brincode}/{dependancecode}/modus"
    return [
        Route(
            "POST",
            "/api/aanvragen",
            dien_in,
            summary="Aanvraag dashboardkoppeling indienen",
            request_schema="klantenservice_aanvraag",
            responses={
                "202": "Ontvangen",
                "409": "Idempotency-Key hergebruikt",
                "422": "Ongeldig veld",
            },
        ),
        Route(
            "GET",
            "/api/aanvragen",
            lijst,
            summary="De nieuwste aanvragen (?status=, ?brincode=&dependancecode=, ?limit=)",
            responses={"200": "aanvragen, nieuwste eerst", "422": "Ongeldige parameter"},
        ),
        Route(
            "GET",
            aanvraag,
            bekijk,
            summary="Status van een aanvraag",
            responses={"200": "De aanvraag", "404": "Onbekend"},
        ),
        Route(
            "POST",
            f"{aanvraag}/goedkeuren",
            goedkeuren,
            summary="Handmatig goedkeuren",
            request_schema="klantenservice_goedkeuren",
            responses={"200": "Goedgekeurd", "409": "Al afgewezen"},
        ),
        Route(
            "POST",
            f"{aanvraag}/afwijzen",
            afwijzen,
            summary="Handmatig afwijzen met reden",
            request_schema="klantenservice_afwijzen",
            responses={"200": "Afgewezen", "409": "Al goedgekeurd"},
        ),
        Route(
            "POST",
            f"{aanvraag}/intrekken",
            intrekken,
            summary="De school deactiveerde de koppeling",
            responses={"200": "Ingetrokken", "404": "Onbekend"},
        ),
        Route(
            "PUT",
            modus_path,
            set_modus,
            summary="Automatische of handmatige behandeling voor een school",
            request_schema="klantenservice_modus",
            responses={"200": "Ingesteld", "422": "Ongeldig veld"},
        ),
        delete_school_route(service.delete_school, "its aanvragen and handling mode"),
        Route(
            "GET",
            modus_path,
            modus,
            summary="De behandeling (automatisch of handmatig) van een school",
            responses={"200": "De modus van de school", "404": "Ongeldige school"},
        ),
    ]


def _view(action: Callable[[], Aanvraag], aanvraag_id: str) -> Any:
    try:
        aanvraag = action()
    except AanvraagOnbekend:
        raise not_found("Aanvraag", f"geen aanvraag met id {aanvraag_id!r}") from None
    except BesluitConflict as exc:
        raise conflict(str(exc)) from None
    set_school(aanvraag.brincode, aanvraag.dependancecode)
    return aanvraag.as_json()


def _school(brincode: str, dependancecode: str) -> str:
    return school_key(*school_in_path(brincode, dependancecode))
