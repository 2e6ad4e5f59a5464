"""The Schoolkr8 mock: koppelingen and keys (sent only by e-mail), pupils and Wijzig leerlingnummer,
the mapping status, and the UWLR BrengLeerresultaten intake.

Views are thin: JSON bodies are checked against ``contracts/schemas/schoolkr8_*.json``, the work is
done by :class:`mocks.schoolkr8.service.Schoolkr8` and :mod:`mocks.schoolkr8.intake`. No response
ever carries a key; a koppeling shows only the key's masked prefix.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, request

from koppeling.harness.errors import SoapFault, invalid
from koppeling.harness.schemas import Operation, openapi_document, validate_body
from koppeling.harness.service import (
    Core,
    create_service_app,
    json_body,
    school_in_path,
    set_operation,
    set_school,
    soap_response,
)
from koppeling.uwlr.leerresultaten import SOAP_ACTION, leerresultaten_bevestiging
from koppeling.uwlr.soap import envelope, parse_envelope
from mocks.schoolkr8 import intake
from mocks.schoolkr8.service import Schoolkr8
from mocks.schoolkr8.wsdl import wsdl_document

LEERRESULTATEN_PATH = "/uwlr/leerresultaten"
SCHOOL = "/api/scholen/<brincode>/<dependancecode>"


def create_app(config: dict[str, Any] | None = None, *, core: Core) -> Flask:
    """The Schoolkr8 app on the shared core."""
    app = create_service_app("schoolkr8", core, soap_paths=("/uwlr",))
    sk8 = Schoolkr8(core)
    _koppeling_routes(app, sk8)
    _pupil_routes(app, sk8)
    _school_routes(app, sk8)
    _uwlr_routes(app, sk8)

    @app.get("/openapi.json")
    def openapi() -> Any:
        """The OpenAPI document of the Schoolkr8 REST API."""
        return openapi_document("Schoolkr8 (mock)", OPERATIONS)

    return app


def _school(brincode: str, dependancecode: str) -> tuple[str, str]:
    """Valid path parameters (else 422 naming the bad one), tagged on the request."""
    return school_in_path(brincode, dependancecode, invalid)


def _koppeling_routes(app: Flask, sk8: Schoolkr8) -> None:
    @app.post("/api/koppelingen")
    def request_koppeling() -> Any:
        """The school asks for a koppeling (status ``aangevraagd``)."""
        body = validate_body("schoolkr8_koppeling_aanvraag", json_body())
        brin, dep = _school(body["brincode"], body.get("dependancecode", "00"))
        return sk8.request(brin, dep, body["contact_email"]).as_json(), 201

    @app.get("/api/koppelingen/<koppeling_id>")
    def get_koppeling(koppeling_id: str) -> Any:
        """A koppeling's status (the key only masked)."""
        koppeling = sk8.get(koppeling_id)
        set_school(koppeling.brincode, koppeling.dependancecode)
        return koppeling.as_json()

    @app.post("/api/koppelingen/<koppeling_id>/activeren")
    def activate(koppeling_id: str) -> Any:
        """Schoolkr8 activates: a new key is e-mailed to the contact (never returned here)."""
        koppeling, message_id = sk8.activate(koppeling_id)
        set_school(koppeling.brincode, koppeling.dependancecode)
        return {
            **koppeling.as_json(),
            "mail": {"to": koppeling.contact_email, "message_id": message_id},
        }

    @app.post("/api/koppelingen/<koppeling_id>/intrekken")
    def revoke(koppeling_id: str) -> Any:
        """Revoke the koppeling and its key."""
        koppeling = sk8.revoke(koppeling_id)
        set_school(koppeling.brincode, koppeling.dependancecode)
        return koppeling.as_json()

    @app.post("/api/sleutels/controle")
    def check_key() -> Any:
        """Klantenservice's check: is this key valid for this school? Yes or no, nothing more."""
        body = validate_body("schoolkr8_sleutel_controle", json_body())
        brin, dep = _school(body["brincode"], body["dependancecode"])
        return {"geldig": sk8.key_valid(brin, dep, body["autorisatiesleutel"])}


def _pupil_routes(app: Flask, sk8: Schoolkr8) -> None:
    @app.post(f"{SCHOOL}/leerlingen")
    def add_pupil(brincode: str, dependancecode: str) -> Any:
        """A pupil at Schoolkr8, without a leerlingnummer yet."""
        brin, dep = _school(brincode, dependancecode)
        body = validate_body("schoolkr8_leerling", json_body())
        return sk8.add_pupil(brin, dep, body).as_json(), 201

    @app.get(f"{SCHOOL}/leerlingen")
    def list_pupils(brincode: str, dependancecode: str) -> Any:
        """Every pupil of the school."""
        brin, dep = _school(brincode, dependancecode)
        pupils = sk8.store.leerlingen(f"{brin}-{dep}")
        return {"leerlingen": [p.as_json() for p in pupils]}

    @app.get("/api/leerlingen/<int:leerling_id>")
    def get_pupil(leerling_id: int) -> Any:
        """A pupil with the history of its leerlingnummer."""
        pupil = _pupil(sk8, leerling_id)
        return {**pupil.as_json(), "historie": sk8.store.historie(pupil.id)}

    @app.put("/api/leerlingen/<int:leerling_id>/leerlingnummer")
    def set_number(leerling_id: int) -> Any:
        """Wijzig leerlingnummer (trimmed, kept as text, unique within the school)."""
        body = validate_body("schoolkr8_leerlingnummer", json_body())
        _pupil(sk8, leerling_id)
        pupil, attached = sk8.set_number(leerling_id, body["leerlingnummer"])
        return {**pupil.as_json(), "gekoppelde_resultaten": attached}

    @app.get("/api/leerlingen/<int:leerling_id>/resultaten")
    def pupil_results(leerling_id: int) -> Any:
        """The results that landed on this pupil."""
        pupil = _pupil(sk8, leerling_id)
        results = sk8.store.resultaten_van(pupil.id)
        return {"leerling_id": pupil.id, "resultaten": [r.as_json() for r in results]}


def _pupil(sk8: Schoolkr8, leerling_id: int) -> Any:
    pupil = sk8.pupil(leerling_id)
    brin, _, dep = pupil.school.partition("-")
    set_school(brin, dep)
    return pupil


def _school_routes(app: Flask, sk8: Schoolkr8) -> None:
    @app.get(f"{SCHOOL}/koppelstatus")
    def mapping_status(brincode: str, dependancecode: str) -> Any:
        """Pupils with a number / all pupils; ``definitief`` when all are mapped."""
        brin, dep = _school(brincode, dependancecode)
        return sk8.status(brin, dep).as_json()

    @app.get(f"{SCHOOL}/niet-gekoppeld")
    def unmatched(brincode: str, dependancecode: str) -> Any:
        """Parked results: their leerlingid matches no pupil's leerlingnummer (yet)."""
        brin, dep = _school(brincode, dependancecode)
        parked = sk8.store.niet_gekoppeld(f"{brin}-{dep}")
        return {"aantal": len(parked), "resultaten": [r.as_json() for r in parked]}

    @app.get(f"{SCHOOL}/koppelingen")
    def school_koppelingen(brincode: str, dependancecode: str) -> Any:
        """Every koppeling the school requested, oldest first."""
        brin, dep = _school(brincode, dependancecode)
        return {"koppelingen": [k.as_json() for k in sk8.store.koppelingen(f"{brin}-{dep}")]}

    @app.get(f"{SCHOOL}/instellingen")
    def get_settings(brincode: str, dependancecode: str) -> Any:
        """The school's settings (what happens to results for an unknown leerlingid)."""
        brin, dep = _school(brincode, dependancecode)
        return {"niet_gekoppeld": sk8.store.beleid(f"{brin}-{dep}")}

    @app.put(f"{SCHOOL}/instellingen")
    def put_settings(brincode: str, dependancecode: str) -> Any:
        """Set ``niet_gekoppeld`` to ``parkeren`` (default) or ``weigeren``."""
        brin, dep = _school(brincode, dependancecode)
        body = validate_body("schoolkr8_instellingen", json_body())
        sk8.set_policy(brin, dep, body["niet_gekoppeld"])
        return {"niet_gekoppeld": body["niet_gekoppeld"]}


def _uwlr_routes(app: Flask, sk8: Schoolkr8) -> None:
    @app.get(LEERRESULTATEN_PATH)
    def leerresultaten_wsdl() -> Any:
        """``?wsdl``: the WSDL, whose address is this endpoint."""
        if "wsdl" not in {k.lower() for k in request.args}:
            raise SoapFault(
                "Client.OngeldigBericht",
                "Gebruik POST voor BrengLeerresultaten, of GET ?wsdl voor de WSDL",
            )
        return Response(wsdl_document(request.base_url), content_type="text/xml; charset=utf-8")

    @app.post(LEERRESULTATEN_PATH)
    def breng_leerresultaten() -> Any:
        """BrengLeerresultaten: check key and message, store the results, confirm."""
        set_operation(SOAP_ACTION)
        _check_soap_action()
        autorisatie, verzoek = intake.read(parse_envelope(request.get_data()))
        set_school(verzoek.school.brincode, verzoek.school.dependancecode)
        intake.accept(sk8, autorisatie, verzoek)
        return soap_response(envelope(leerresultaten_bevestiging()))


def _check_soap_action() -> None:
    action = request.headers.get("SOAPAction")
    if action is None:
        return
    name = action.strip().strip('"').rsplit("/", 1)[-1]
    if name and name != SOAP_ACTION:
        raise SoapFault(
            "Client.OngeldigBericht",
            f"SOAPAction {action!r} wordt hier niet ondersteund (wel: {SOAP_ACTION})",
        )


OPERATIONS = [
    Operation(
        "POST",
        "/api/koppelingen",
        "Request a koppeling",
        "schoolkr8_koppeling_aanvraag",
        {"201": "Requested", "422": "Invalid field"},
    ),
    Operation(
        "GET",
        "/api/koppelingen/{id}",
        "A koppeling (key masked)",
        responses={"200": "OK", "404": "Unknown"},
    ),
    Operation(
        "POST",
        "/api/koppelingen/{id}/activeren",
        "Activate: e-mail a new key",
        responses={"200": "Activated", "404": "Unknown", "503": "Mail not sent"},
    ),
    Operation(
        "POST",
        "/api/koppelingen/{id}/intrekken",
        "Revoke the koppeling and its key",
        responses={"200": "Revoked", "404": "Unknown"},
    ),
    Operation(
        "POST",
        "/api/sleutels/controle",
        "Is this key valid for this school?",
        "schoolkr8_sleutel_controle",
        {"200": "geldig true/false", "422": "Invalid field"},
    ),
    Operation(
        "POST",
        "/api/scholen/{brincode}/{dependancecode}/leerlingen",
        "Add a pupil",
        "schoolkr8_leerling",
        {"201": "Created", "422": "Invalid field"},
    ),
    Operation("GET", "/api/scholen/{brincode}/{dependancecode}/leerlingen", "The school's pupils"),
    Operation(
        "GET",
        "/api/leerlingen/{id}",
        "A pupil with its number history",
        responses={"200": "OK", "404": "Unknown"},
    ),
    Operation(
        "PUT",
        "/api/leerlingen/{id}/leerlingnummer",
        "Wijzig leerlingnummer",
        "schoolkr8_leerlingnummer",
        {"200": "Saved", "404": "Unknown", "409": "Number in use", "422": "Invalid"},
    ),
    Operation(
        "GET",
        "/api/leerlingen/{id}/resultaten",
        "The pupil's results",
        responses={"200": "OK", "404": "Unknown"},
    ),
    Operation(
        "GET",
        "/api/scholen/{brincode}/{dependancecode}/koppelstatus",
        "Mapping status: pupils with a number / all, definitief",
    ),
    Operation(
        "GET",
        "/api/scholen/{brincode}/{dependancecode}/niet-gekoppeld",
        "Parked results (unknown leerlingid)",
    ),
    Operation(
        "GET", "/api/scholen/{brincode}/{dependancecode}/koppelingen", "The school's koppelingen"
    ),
    Operation("GET", "/api/scholen/{brincode}/{dependancecode}/instellingen", "School settings"),
    Operation(
        "PUT",
        "/api/scholen/{brincode}/{dependancecode}/instellingen",
        "Set niet_gekoppeld: parkeren | weigeren",
        "schoolkr8_instellingen",
        {"200": "Saved", "422": "Invalid field"},
    ),
]
