"""The Schoolkr8 mock: koppelingen and keys (sent only by e-mail), pupils and Wijzig leerlingnummer,
the mapping status, and the UWLR BrengLeerresultaten intake.

Views are thin: JSON bodies are checked against ``contracts/schemas/schoolkr8_*.json``, the work is
done by :class:`mocks.schoolkr8.service.Schoolkr8Service`. The REST surface is one route table
(it also builds ``/openapi.json``); the SOAP endpoint and its ``?wsdl`` are registered apart. No
response ever carries a key; a koppeling shows only the key's masked prefix.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from flask import Flask, Response, request

from koppeling.harness.errors import SoapFault, invalid
from koppeling.harness.routes import Route, add_routes, delete_school_route
from koppeling.harness.schemas import validate_body
from koppeling.harness.schools import school_key
from koppeling.harness.service import (
    Core,
    RequestTags,
    SoapHandler,
    add_soap_lane,
    create_service_app,
    json_body,
    school_in_path,
    set_school,
    soap_answer,
    soap_lane_option,
)
from koppeling.uwlr.leerresultaten import SOAP_ACTION, leerresultaten_bevestiging
from koppeling.uwlr.soap import envelope, parse_envelope, soap_action_of
from koppeling.uwlr.wsdl import render_wsdl
from mocks.schoolkr8 import intake
from mocks.schoolkr8.service import Schoolkr8Service
from mocks.schoolkr8.store import Leerling

LEERRESULTATEN_PATH = "/uwlr/leerresultaten"
SCHOOL = "/api/scholen/{brincode}/{dependancecode}"
KOPPELING = "/api/koppelingen/{id}"
LEERLING = "/api/leerlingen/{id:int}"


def create_app(config: dict[str, Any] | None = None, *, core: Core) -> Flask:
    """The Schoolkr8 app on the shared core.

    ``config["soap_lane"]`` (default true): a plain BrengLeerresultaten is answered by the SOAP
    lane (:class:`koppeling.harness.service.SoapLane`, which runs the intake once per request
    and answers its faults itself) instead of through Flask; false serves every request through
    Flask (the same answers, more CPU: for comparing the two)."""
    lane = soap_lane_option(config)
    app = create_service_app("schoolkr8", core, soap_paths=("/uwlr",))
    sk8 = Schoolkr8Service(core)
    add_routes(
        app,
        "Schoolkr8 (mock)",
        [*_koppeling_routes(sk8), *_pupil_routes(sk8), *_school_routes(sk8)],
    )
    handler = _breng_leerresultaten(sk8)
    _uwlr_routes(app, handler)
    if lane:
        add_soap_lane(app, "schoolkr8", core, LEERRESULTATEN_PATH, handler, writes=True)
    return app


def _school(brincode: str, dependancecode: str) -> tuple[str, str]:
    """Valid path parameters (else 422 naming the bad one), tagged on the request."""
    return school_in_path(brincode, dependancecode, invalid)


def _koppeling_routes(sk8: Schoolkr8Service) -> list[Route]:
    """Request, show, activate and revoke a koppeling; klantenservice's key check."""

    def request_koppeling() -> Any:
        """The school asks for a koppeling (status ``aangevraagd``)."""
        body = validate_body("schoolkr8_koppeling_aanvraag", json_body())
        brin, dep = _school(body["brincode"], body.get("dependancecode", "00"))
        return sk8.request(brin, dep, body["contact_email"]).as_json(), 201

    def get_koppeling(id: str) -> Any:
        """A koppeling's status (the key only masked)."""
        koppeling = sk8.get(id)
        set_school(koppeling.brincode, koppeling.dependancecode)
        return koppeling.as_json()

    def activate(id: str) -> Any:
        """Schoolkr8 activates: a new key is e-mailed to the contact (never returned here)."""
        koppeling, message_id = sk8.activate(id)
        set_school(koppeling.brincode, koppeling.dependancecode)
        return {
            **koppeling.as_json(),
            "mail": {"to": koppeling.contact_email, "message_id": message_id},
        }

    def revoke(id: str) -> Any:
        """Revoke the koppeling and its key."""
        koppeling = sk8.revoke(id)
        set_school(koppeling.brincode, koppeling.dependancecode)
        return koppeling.as_json()

    def check_key() -> Any:
        """Klantenservice's check: is this key valid for this school? Yes or no, nothing more."""
        body = validate_body("schoolkr8_sleutel_controle", json_body())
        brin, dep = _school(body["brincode"], body["dependancecode"])
        return {"geldig": sk8.key_valid(brin, dep, body["autorisatiesleutel"])}

    return [
        Route(
            "POST",
            "/api/koppelingen",
            request_koppeling,
            summary="Request a koppeling",
            request_schema="schoolkr8_koppeling_aanvraag",
            responses={"201": "Requested", "422": "Invalid field"},
        ),
        Route(
            "GET",
            KOPPELING,
            get_koppeling,
            summary="A koppeling (key masked)",
            responses={"200": "OK", "404": "Unknown"},
        ),
        Route(
            "POST",
            KOPPELING + "/activeren",
            activate,
            summary="Activate: e-mail a new key",
            responses={"200": "Activated", "404": "Unknown", "503": "Mail not sent"},
        ),
        Route(
            "POST",
            KOPPELING + "/intrekken",
            revoke,
            summary="Revoke the koppeling and its key",
            responses={"200": "Revoked", "404": "Unknown"},
        ),
        Route(
            "POST",
            "/api/sleutels/controle",
            check_key,
            summary="Is this key valid for this school?",
            request_schema="schoolkr8_sleutel_controle",
            responses={"200": "geldig true/false", "422": "Invalid field"},
        ),
    ]


def _pupil_routes(sk8: Schoolkr8Service) -> list[Route]:
    """Pupils, Wijzig leerlingnummer and the results that landed on a pupil."""

    def add_pupil(brincode: str, dependancecode: str) -> Any:
        """A pupil at Schoolkr8, without a leerlingnummer yet."""
        brin, dep = _school(brincode, dependancecode)
        body = validate_body("schoolkr8_leerling", json_body())
        return sk8.add_pupil(brin, dep, body).as_json(), 201

    def list_pupils(brincode: str, dependancecode: str) -> Any:
        """Every pupil of the school."""
        pupils = sk8.pupils(*_school(brincode, dependancecode))
        return {"leerlingen": [p.as_json() for p in pupils]}

    def get_pupil(id: int) -> Any:
        """A pupil with the history of its leerlingnummer."""
        pupil = _pupil(sk8, id)
        return {**pupil.as_json(), "historie": [h.as_json() for h in sk8.historie(pupil.id)]}

    def set_number(id: int) -> Any:
        """Wijzig leerlingnummer (trimmed, kept as text, unique within the school)."""
        body = validate_body("schoolkr8_leerlingnummer", json_body())
        _pupil(sk8, id)
        pupil, attached = sk8.set_number(id, body["leerlingnummer"])
        return {**pupil.as_json(), "gekoppelde_resultaten": attached}

    def pupil_results(id: int) -> Any:
        """The results that landed on this pupil."""
        pupil = _pupil(sk8, id)
        results = sk8.resultaten(pupil.id)
        return {"leerling_id": pupil.id, "resultaten": [r.as_json() for r in results]}

    return [
        Route(
            "POST",
            SCHOOL + "/leerlingen",
            add_pupil,
            summary="Add a pupil",
            request_schema="schoolkr8_leerling",
            responses={"201": "Created", "422": "Invalid field"},
        ),
        Route("GET", SCHOOL + "/leerlingen", list_pupils, summary="The school's pupils"),
        Route(
            "GET",
            LEERLING,
            get_pupil,
            summary="A pupil with its number history",
            responses={"200": "OK", "404": "Unknown"},
        ),
        Route(
            "PUT",
            LEERLING + "/leerlingnummer",
            set_number,
            summary="Wijzig leerlingnummer",
            request_schema="schoolkr8_leerlingnummer",
            responses={"200": "Saved", "404": "Unknown", "409": "Number in use", "422": "Invalid"},
        ),
        Route(
            "GET",
            LEERLING + "/resultaten",
            pupil_results,
            summary="The pupil's results",
            responses={"200": "OK", "404": "Unknown"},
        ),
    ]


def _pupil(sk8: Schoolkr8Service, leerling_id: int) -> Leerling:
    """The pupil (else 404), its school tagged on the request."""
    pupil = sk8.pupil(leerling_id)
    brin, _, dep = pupil.school.partition("-")
    set_school(brin, dep)
    return pupil


def _school_routes(sk8: Schoolkr8Service) -> list[Route]:
    """The mapping status, parked results, the school's koppelingen and its settings."""

    def mapping_status(brincode: str, dependancecode: str) -> Any:
        """Pupils with a number / all pupils; ``definitief`` when all are mapped."""
        return sk8.status(*_school(brincode, dependancecode)).as_json()

    def unmatched(brincode: str, dependancecode: str) -> Any:
        """Parked results: their leerlingid matches no pupil's leerlingnummer (yet)."""
        parked = sk8.niet_gekoppeld(*_school(brincode, dependancecode))
        return {"aantal": len(parked), "resultaten": [r.as_json() for r in parked]}

    def school_koppelingen(brincode: str, dependancecode: str) -> Any:
        """Every koppeling the school requested, oldest first."""
        koppelingen = sk8.koppelingen(*_school(brincode, dependancecode))
        return {"koppelingen": [k.as_json() for k in koppelingen]}

    def get_settings(brincode: str, dependancecode: str) -> Any:
        """The school's settings (what happens to results for an unknown leerlingid)."""
        return {"niet_gekoppeld": sk8.policy(*_school(brincode, dependancecode))}

    def put_settings(brincode: str, dependancecode: str) -> Any:
        """Set ``niet_gekoppeld`` to ``parkeren`` (default) or ``weigeren``."""
        brin, dep = _school(brincode, dependancecode)
        body = validate_body("schoolkr8_instellingen", json_body())
        sk8.set_policy(brin, dep, body["niet_gekoppeld"])
        return {"niet_gekoppeld": body["niet_gekoppeld"]}

    return [
        delete_school_route(sk8.delete_school, "pupils, results, keys, koppelingen, settings"),
        Route(
            "GET",
            SCHOOL + "/koppelstatus",
            mapping_status,
            summary="Mapping status: pupils with a number / all, definitief",
        ),
        Route(
            "GET",
            SCHOOL + "/niet-gekoppeld",
            unmatched,
            summary="Parked results (unknown leerlingid)",
        ),
        Route(
            "GET", SCHOOL + "/koppelingen", school_koppelingen, summary="The school's koppelingen"
        ),
        Route("GET", SCHOOL + "/instellingen", get_settings, summary="School settings"),
        Route(
            "PUT",
            SCHOOL + "/instellingen",
            put_settings,
            summary="Set niet_gekoppeld: parkeren | weigeren",
            request_schema="schoolkr8_instellingen",
            responses={"200": "Saved", "422": "Invalid field"},
        ),
    ]


def _breng_leerresultaten(sk8: Schoolkr8Service) -> SoapHandler:
    """BrengLeerresultaten: check key and message, store the results, confirm - the answer to a
    request body, for the Flask view and the SOAP lane alike. It writes: each of them calls it
    once per request, and every fault it raises before the COMMIT left nothing stored."""

    def answer(body: bytes, soap_action: str | None, tags: RequestTags) -> bytes:
        tags.operation = SOAP_ACTION
        _check_soap_action(soap_action)
        taken = sk8.breng_in_writer(body)
        if taken is not None:
            tags.school = taken.school
            return _bevestiging()
        autorisatie, verzoek = intake.read(parse_envelope(body))
        tags.school = school_key(verzoek.school.brincode, verzoek.school.dependancecode)
        sk8.breng_leerresultaten(autorisatie, verzoek)
        return _bevestiging()

    return answer


def _uwlr_routes(app: Flask, handler: SoapHandler) -> None:
    @app.get(LEERRESULTATEN_PATH)
    def leerresultaten_wsdl() -> Any:
        """``?wsdl`` (or ``?singleWsdl``, any case): the WSDL, whose address is this endpoint."""
        if not {"wsdl", "singlewsdl"} & {k.lower() for k in request.args}:
            raise SoapFault(
                "Client.OngeldigBericht",
                "Gebruik POST voor BrengLeerresultaten, of GET ?wsdl voor de WSDL",
            )
        document = render_wsdl("leerresultaten", request.base_url)
        return Response(document, content_type="text/xml; charset=utf-8")

    @app.post(LEERRESULTATEN_PATH)
    def breng_leerresultaten() -> Any:
        """BrengLeerresultaten: check key and message, store the results, confirm."""
        return soap_answer(handler)


@cache
def _bevestiging() -> bytes:
    """The answer to every accepted BrengLeerresultaten (always the same bytes): built once."""
    return envelope(leerresultaten_bevestiging())


def _check_soap_action(header: str | None) -> None:
    """Schoolkr8 has one operation and dispatches on the body: a missing or empty SOAPAction is
    fine; any other action than ``BrengLeerresultaten`` (quoted or not) is a fault, as a stack
    gives for an action it does not know (docs/schoolkr8.md#soapaction)."""
    action = soap_action_of(header)
    if action and action != SOAP_ACTION:
        raise SoapFault(
            "Client.OngeldigBericht",
            f"SOAPAction {header!r} wordt hier niet ondersteund (wel: {SOAP_ACTION})",
        )
