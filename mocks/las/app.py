"""The LAS mocks: ParnasSys and ESIS, one UWLR Leerlinggegevens 2.2 service in two flavours.

``create_app({"flavour": "parnassys" | "esis"}, core=core)`` gives the Flask app of one vendor:
the SOAP endpoint on the vendor's own path (and its WSDL at ``?wsdl``), and the admin API that
scenarios use to make schools, issue keys and change pupils. Views only move bytes and JSON; the
rules live in :mod:`mocks.las.service`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from flask import Flask, Response, current_app, request

from koppeling.harness.errors import SoapFault, invalid
from koppeling.harness.routes import Route, add_routes, delete_school_route
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
from koppeling.uwlr.autorisatie import Autorisatie, read_autorisatie
from koppeling.uwlr.leerlinggegevens import Operation, Verzoek, parse_request, request_operation
from koppeling.uwlr.soap import parse_envelope, soap_action_of
from koppeling.uwlr.wsdl import render_wsdl
from mocks.las.service import Flavour, LasService, flavour_of
from mocks.las.store import LasStore

SCHOOL = "/api/scholen/{brincode}/{dependancecode}"
PUPIL = SCHOOL + "/leerlingen/{leerlingnummer}"
PROBLEMS = {"404": "unknown school or pupil", "422": "invalid field"}


def create_app(config: dict[str, Any] | None = None, *, core: Core) -> Flask:
    """The app of one LAS flavour (``config["flavour"]``: "parnassys" or "esis").

    ``config["soap_lane"]`` (default true): plain UWLR requests are answered by the SOAP lane
    (:class:`koppeling.harness.service.SoapLane`) instead of through Flask; false serves every
    request through Flask (the same answers, more CPU: for comparing the two)."""
    flavour = flavour_of((config or {}).get("flavour", "parnassys"))
    lane = soap_lane_option(config)
    service = LasService(flavour, core.db, LasStore(flavour.name), core.clock)
    app = create_service_app(
        flavour.name, core, soap_paths=(flavour.path,), import_name=f"mocks.las.{flavour.name}"
    )
    handler = _leerlinggegevens(service)
    _soap_routes(app, flavour, handler)
    add_routes(app, f"{flavour.title} LAS mock (admin API)", _admin_routes(service))
    if lane:
        add_soap_lane(app, flavour.name, core, flavour.path, handler)
    return app


def _leerlinggegevens(service: LasService) -> SoapHandler:
    """UWLR HaalLeerlinggegevens / HaalStructuur / HaalLeerlingen / HaalLeerkrachten: the
    answer to a request body, for the Flask view and the SOAP lane alike."""

    def answer(body: bytes, soap_action: str | None, tags: RequestTags) -> bytes:
        try:
            asked, verzoek, autorisatie = _read_request(body)
        except Exception:  # a fault: raised below in the order the checks are made
            return answer_read(body, soap_action, tags)
        tags.operation = asked.name
        service.check_soap_action(soap_action_of(soap_action), asked)
        return answer_parsed(verzoek, autorisatie, tags)

    def answer_read(body: bytes, soap_action: str | None, tags: RequestTags) -> bytes:
        env = parse_envelope(body)
        asked = request_operation(env.body)
        if asked is not None:  # journaled with its operation even when SOAPAction is refused
            tags.operation = asked.name
        service.check_soap_action(soap_action_of(soap_action), asked)
        return answer_parsed(parse_request(env), lambda: read_autorisatie(env), tags)

    def answer_parsed(
        verzoek: Verzoek, autorisatie: Autorisatie | Callable[[], Autorisatie], tags: RequestTags
    ) -> bytes:
        tags.operation = verzoek.operation
        brin, dep = service.identify(verzoek)
        tags.school = school_key(brin, dep)
        if callable(autorisatie):  # read after the school, as the faults are ordered
            autorisatie = autorisatie()
        return service.answer(verzoek, autorisatie)

    return answer


#: request bodies up to this size are read once (:func:`_read_request`)
READ_ONCE_BYTES = 16 * 1024


def _read_request(body: bytes) -> tuple[Operation, Verzoek, Autorisatie]:
    """What a valid request body asks and who asks it; raises for any other body.

    A load test sends the same request again and again, and reading it (the XML parse, which
    also lets go of the GIL twice, and the walk) costs a Haal more than the rest of its
    answer: a body of up to :data:`READ_ONCE_BYTES` is read once and remembered (the last
    256 of them). Reading is a pure function of the bytes; what depends on the request's
    SOAPAction, the school's keys and the clock is checked per request by the caller."""
    if len(body) > READ_ONCE_BYTES:
        return _read_body(body)
    return _read_remembered(body)


def _read_body(body: bytes) -> tuple[Operation, Verzoek, Autorisatie]:
    env = parse_envelope(body)
    asked = request_operation(env.body)
    verzoek = parse_request(env)
    assert asked is not None  # parse_request refuses a body that asks for no operation
    return asked, verzoek, read_autorisatie(env)


_read_remembered = lru_cache(maxsize=256)(_read_body)


def _soap_routes(app: Flask, flavour: Flavour, handler: SoapHandler) -> None:
    @app.get(flavour.path)
    def wsdl() -> Response:
        """The WSDL (``?wsdl``, ``?singleWsdl``, any case) with this endpoint's real address."""
        if not any(k.lower() in ("wsdl", "singlewsdl") for k in request.args):
            raise SoapFault("Client.OngeldigBericht", "Gebruik POST voor SOAP of GET ?wsdl")
        address = request.host_url.rstrip("/") + flavour.path
        document = render_wsdl("leerlinggegevens", address)
        return Response(document, content_type="text/xml; charset=utf-8")

    @app.post(flavour.path)
    def leerlinggegevens() -> Response:
        """UWLR HaalLeerlinggegevens / HaalStructuur / HaalLeerlingen / HaalLeerkrachten."""
        return soap_answer(handler)


def _json_bytes(data: dict[str, Any]) -> bytes:
    """``data`` as this app's JSON answer would hold it."""
    answer = current_app.json.response(data)
    assert isinstance(answer, Response)
    return answer.get_data()


def _school_args(brincode: str, dependancecode: str) -> tuple[str, str]:
    """Valid path parameters (else 422 naming the bad one), tagged on the request."""
    return school_in_path(brincode, dependancecode, invalid)


def _admin_routes(service: LasService) -> list[Route]:
    """The admin API scenarios use to make schools, issue keys and change pupils."""

    def create_school() -> Any:
        """Make a school from a seed: groups, pupils and staff (201)."""
        body = json_body()
        if isinstance(body.get("brincode"), str):
            set_school(body["brincode"], str(body.get("dependancecode") or "00"))
        return service.create_school(body), 201

    def get_school(brincode: str, dependancecode: str) -> Any:
        """A school with its groups, pupils and staff."""
        return service.school_data(*_school_args(brincode, dependancecode)).as_json()

    def issue_key(brincode: str, dependancecode: str) -> Any:
        """Issue an autorisatiesleutel for a klant (201; the only answer showing the key)."""
        brin, dep = _school_args(brincode, dependancecode)
        return service.issue_key(brin, dep, json_body()), 201

    def list_pupils(brincode: str, dependancecode: str) -> Any:
        """The school's pupils, each with its leerlingnummer (the JSON Flask would write for
        them, kept until the school changes)."""
        body = service.pupils_encoded(*_school_args(brincode, dependancecode), _json_bytes)
        return Response(body, mimetype=current_app.json.mimetype)  # type: ignore[attr-defined]

    def add_pupil(brincode: str, dependancecode: str) -> Any:
        """Add a pupil (generated from ``seed``; given fields win) (201)."""
        brin, dep = _school_args(brincode, dependancecode)
        return service.add_pupil(brin, dep, json_body(required=False)), 201

    def replace_pupil(brincode: str, dependancecode: str, leerlingnummer: str) -> Any:
        """Replace a pupil's data (a new ``leerlingnummer`` renumbers it)."""
        brin, dep = _school_args(brincode, dependancecode)
        return service.change_pupil(brin, dep, leerlingnummer, json_body(), replace=True)

    def patch_pupil(brincode: str, dependancecode: str, leerlingnummer: str) -> Any:
        """Change some fields of a pupil."""
        brin, dep = _school_args(brincode, dependancecode)
        return service.change_pupil(brin, dep, leerlingnummer, json_body(), replace=False)

    def remove_pupil(brincode: str, dependancecode: str, leerlingnummer: str) -> Any:
        """Remove a pupil (it left the school) (204)."""
        service.remove_pupil(*_school_args(brincode, dependancecode), leerlingnummer)
        return Response(status=204)

    return [
        Route(
            "POST",
            "/api/scholen",
            create_school,
            summary="Create a school from a seed",
            request_schema="las_school",
            responses={
                "201": "school, groepen, leerlingen, leerkrachten",
                "409": "school exists",
                "422": "invalid field",
            },
        ),
        Route(
            "GET",
            SCHOOL,
            get_school,
            summary="A school with its groups, pupils and staff",
            responses={"200": "OK", "404": "unknown school"},
        ),
        delete_school_route(service.delete_school, "groups, pupils, staff and keys"),
        Route(
            "POST",
            SCHOOL + "/sleutels",
            issue_key,
            summary="Issue an autorisatiesleutel",
            request_schema="las_sleutel",
            responses={"201": "autorisatiesleutel", **PROBLEMS},
        ),
        Route(
            "GET",
            SCHOOL + "/leerlingen",
            list_pupils,
            summary="List pupils",
            responses={"200": "OK", "404": "unknown school"},
        ),
        Route(
            "POST",
            SCHOOL + "/leerlingen",
            add_pupil,
            summary="Add a pupil",
            request_schema="las_leerling",
            responses={"201": "the pupil", "409": "leerlingnummer taken", **PROBLEMS},
        ),
        Route(
            "PUT",
            PUPIL,
            replace_pupil,
            summary="Replace a pupil",
            request_schema="las_leerling_put",
            responses={"200": "the pupil", "409": "leerlingnummer taken", **PROBLEMS},
        ),
        Route(
            "PATCH",
            PUPIL,
            patch_pupil,
            summary="Change a pupil",
            request_schema="las_leerling_patch",
            responses={"200": "the pupil", "409": "leerlingnummer taken", **PROBLEMS},
        ),
        Route(
            "DELETE",
            PUPIL,
            remove_pupil,
            summary="Remove a pupil",
            responses={"204": "removed", **PROBLEMS},
        ),
    ]
