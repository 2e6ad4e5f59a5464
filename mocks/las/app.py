"""The LAS mocks: ParnasSys and ESIS, one UWLR Leerlinggegevens 2.2 service in two flavours.

``create_app({"flavour": "parnassys" | "esis"}, core=core)`` gives the Flask app of one vendor:
the SOAP endpoint on the vendor's own path (and its WSDL at ``?wsdl``), and the admin API that
scenarios use to make schools, issue keys and change pupils. Views only move bytes and JSON; the
rules live in :mod:`mocks.las.service`.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from string import Template
from typing import Any
from xml.sax.saxutils import escape

from flask import Flask, Response, request

from koppeling.harness.errors import SoapFault, invalid
from koppeling.harness.schemas import Operation, openapi_document
from koppeling.harness.service import (
    Core,
    create_service_app,
    json_body,
    school_in_path,
    set_operation,
    set_school,
    soap_response,
)
from koppeling.uwlr.autorisatie import read_autorisatie
from koppeling.uwlr.leerlinggegevens import parse_request
from koppeling.uwlr.soap import parse_envelope
from mocks.las.service import Flavour, LasService, flavour_of, school_json
from mocks.las.store import LasStore

WSDL_TEMPLATE = Path(__file__).with_name("leerlinggegevens.wsdl")
SCHOOL = "/api/scholen/<brincode>/<dependancecode>"


@cache
def _wsdl_template() -> Template:
    return Template(WSDL_TEMPLATE.read_text(encoding="utf-8"))


def render_wsdl(flavour: Flavour, address: str) -> str:
    """Our WSDL with ``address`` as the endpoint (escaped: it comes from the Host header)."""
    return _wsdl_template().substitute(
        address=escape(address, {'"': "&quot;"}), service_title=flavour.title.replace(" ", "")
    )


def create_app(config: dict[str, Any] | None = None, *, core: Core) -> Flask:
    """The app of one LAS flavour (``config["flavour"]``: "parnassys" or "esis")."""
    flavour = flavour_of((config or {}).get("flavour", "parnassys"))
    service = LasService(flavour, LasStore(core.db, flavour.name), core.clock)
    app = create_service_app(
        flavour.name, core, soap_paths=(flavour.path,), import_name=f"mocks.las.{flavour.name}"
    )
    _soap_routes(app, flavour, service)
    _admin_routes(app, flavour, service)
    return app


def _soap_routes(app: Flask, flavour: Flavour, service: LasService) -> None:
    @app.get(flavour.path)
    def wsdl() -> Response:
        """The WSDL (``?wsdl``) with this endpoint's real address."""
        if not any(k.lower() in ("wsdl", "singlewsdl") for k in request.args):
            raise SoapFault("Client.OngeldigBericht", "Gebruik POST voor SOAP of GET ?wsdl")
        address = request.host_url.rstrip("/") + flavour.path
        return Response(render_wsdl(flavour, address), content_type="text/xml; charset=utf-8")

    @app.post(flavour.path)
    def leerlinggegevens() -> Response:
        """UWLR HaalLeerlinggegevens / HaalStructuur / HaalLeerlingen / HaalLeerkrachten."""
        env = parse_envelope(request.get_data(cache=True))
        verzoek = parse_request(env)
        set_operation(verzoek.operation)
        brin, dep = service.identify(verzoek)
        set_school(brin, dep)
        autorisatie = read_autorisatie(env)
        return soap_response(service.answer(verzoek, autorisatie))


def _school_args(brincode: str, dependancecode: str) -> tuple[str, str]:
    """Valid path parameters (else 422 naming the bad one), tagged on the request."""
    return school_in_path(brincode, dependancecode, invalid)


def _admin_routes(app: Flask, flavour: Flavour, service: LasService) -> None:
    @app.post("/api/scholen")
    def create_school() -> Any:
        """Make a school from a seed: groups, pupils and staff (201)."""
        body = json_body()
        if isinstance(body.get("brincode"), str):
            set_school(body["brincode"], str(body.get("dependancecode") or "00"))
        return service.create_school(body), 201

    @app.get(SCHOOL)
    def get_school(brincode: str, dependancecode: str) -> Any:
        """A school with its groups, pupils and staff."""
        return school_json(service.school_data(*_school_args(brincode, dependancecode)))

    @app.post(f"{SCHOOL}/sleutels")
    def issue_key(brincode: str, dependancecode: str) -> Any:
        """Issue an autorisatiesleutel for a klant (201; the only answer showing the key)."""
        brin, dep = _school_args(brincode, dependancecode)
        return service.issue_key(brin, dep, json_body()), 201

    @app.get(f"{SCHOOL}/leerlingen")
    def list_pupils(brincode: str, dependancecode: str) -> Any:
        """The school's pupils, each with its leerlingnummer."""
        return service.pupils(*_school_args(brincode, dependancecode))

    @app.post(f"{SCHOOL}/leerlingen")
    def add_pupil(brincode: str, dependancecode: str) -> Any:
        """Add a pupil (generated from ``seed``; given fields win) (201)."""
        brin, dep = _school_args(brincode, dependancecode)
        return service.add_pupil(brin, dep, json_body(required=False)), 201

    @app.put(f"{SCHOOL}/leerlingen/<leerlingnummer>")
    def replace_pupil(brincode: str, dependancecode: str, leerlingnummer: str) -> Any:
        """Replace a pupil's data (a new ``leerlingnummer`` renumbers it)."""
        brin, dep = _school_args(brincode, dependancecode)
        return service.change_pupil(brin, dep, leerlingnummer, json_body(), replace=True)

    @app.patch(f"{SCHOOL}/leerlingen/<leerlingnummer>")
    def patch_pupil(brincode: str, dependancecode: str, leerlingnummer: str) -> Any:
        """Change some fields of a pupil."""
        brin, dep = _school_args(brincode, dependancecode)
        return service.change_pupil(brin, dep, leerlingnummer, json_body(), replace=False)

    @app.delete(f"{SCHOOL}/leerlingen/<leerlingnummer>")
    def remove_pupil(brincode: str, dependancecode: str, leerlingnummer: str) -> Any:
        """Remove a pupil (it left the school) (204)."""
        service.remove_pupil(*_school_args(brincode, dependancecode), leerlingnummer)
        return Response(status=204)

    @app.get("/openapi.json")
    def openapi() -> Any:
        """The admin API's OpenAPI document, built from the schemas it validates with."""
        return _openapi(flavour)


def _openapi(flavour: Flavour) -> dict[str, Any]:
    school = "/api/scholen/{brincode}/{dependancecode}"
    pupil = school + "/leerlingen/{leerlingnummer}"
    problems = {"404": "unknown school or pupil", "422": "invalid field"}
    return openapi_document(
        f"{flavour.title} LAS mock (admin API)",
        [
            Operation(
                "POST",
                "/api/scholen",
                "Create a school from a seed",
                "las_school",
                {
                    "201": "school, groepen, leerlingen, leerkrachten",
                    "409": "school exists",
                    "422": "invalid field",
                },
            ),
            Operation(
                "GET",
                school,
                "A school with its groups, pupils and staff",
                responses={"200": "OK", "404": "unknown school"},
            ),
            Operation(
                "POST",
                school + "/sleutels",
                "Issue an autorisatiesleutel",
                "las_sleutel",
                {"201": "autorisatiesleutel", **problems},
            ),
            Operation(
                "GET",
                school + "/leerlingen",
                "List pupils",
                responses={"200": "OK", "404": "unknown school"},
            ),
            Operation(
                "POST",
                school + "/leerlingen",
                "Add a pupil",
                "las_leerling",
                {"201": "the pupil", "409": "leerlingnummer taken", **problems},
            ),
            Operation(
                "PUT",
                pupil,
                "Replace a pupil",
                "las_leerling_put",
                {"200": "the pupil", "409": "leerlingnummer taken", **problems},
            ),
            Operation(
                "PATCH",
                pupil,
                "Change a pupil",
                "las_leerling_patch",
                {"200": "the pupil", "409": "leerlingnummer taken", **problems},
            ),
            Operation("DELETE", pupil, "Remove a pupil", responses={"204": "removed", **problems}),
        ],
    )
