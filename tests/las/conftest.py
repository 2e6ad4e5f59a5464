"""A LAS mock of each flavour on a private in-memory core, with a school and a key ready."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from contracts.uwlr_xsd import UwlrSchemas
from koppeling.client import STAND_IN_KLANT
from koppeling.harness.errors import SoapFault
from koppeling.harness.hosts import allowed_names
from koppeling.harness.service import Core
from koppeling.harness.store import Database
from koppeling.uwlr.autorisatie import Autorisatie
from koppeling.uwlr.leerlinggegevens import GroepRef, build_request, request_operation
from koppeling.uwlr.soap import parse_envelope, read_fault
from mocks.las.app import create_app
from mocks.las.service import FLAVOURS

SCHOOLJAAR = "2024-2025"  # the official EDEX enumeration of schooljaren ends at 2024-2025
SCHOOL_TIME = datetime(2024, 10, 1, 8, 0, tzinfo=UTC)
KLANT = (STAND_IN_KLANT.code, STAND_IN_KLANT.naam)
AUTO = "<the official action of the body's operation>"


def action_for(data: bytes) -> str | None:
    """The quoted official SOAPAction of the request in ``data`` (None if it has none)."""
    try:
        op = request_operation(parse_envelope(data).body)
    except SoapFault:
        return None
    return f'"{op.soap_action}"' if op is not None else None


@dataclass
class Las:
    """One LAS app under test, its test client, a seeded school and a key for it."""

    flavour: str
    app: Flask
    client: FlaskClient
    core: Core
    schemas: UwlrSchemas
    school: dict[str, Any]
    key: str

    @property
    def path(self) -> str:
        return FLAVOURS[self.flavour].path

    def autorisatie(self, key: str | None = None, klantcode: str = KLANT[0]) -> Autorisatie:
        return Autorisatie(key or self.key, klantcode, KLANT[1])

    def request(self, operation: str = "HaalLeerlinggegevens", **kwargs: Any) -> bytes:
        aut = kwargs.pop("autorisatie", None) or self.autorisatie()
        kwargs.setdefault("schooljaar", SCHOOLJAAR)
        kwargs.setdefault("brincode", self.school["brincode"])
        if operation in ("HaalLeerlingen", "HaalLeerkrachten"):
            kwargs.setdefault(
                "groepen", [GroepRef(g["key"], g["samengesteld"]) for g in self.school["groepen"]]
            )
        return build_request(operation, aut, **kwargs)

    def post(self, data: bytes, action: str | None = AUTO) -> Any:
        """POST a SOAP request with ``action`` as SOAPAction (by default the official action of
        the body's operation, quoted; None sends no header); every non-fault answer must
        validate against the official XSD."""
        if action == AUTO:
            action = action_for(data)
        headers = {} if action is None else {"SOAPAction": action}
        resp = self.client.post(
            self.path, data=data, content_type="text/xml; charset=utf-8", headers=headers
        )
        if resp.status_code == 200:
            self.schemas.validate(resp.data)
        else:
            assert resp.status_code == 500, resp.data
            assert read_fault(resp.data) is not None, resp.data
        return resp

    def fault_code(self, data: bytes, action: str | None = AUTO) -> str:
        resp = self.post(data, action)
        fault = read_fault(resp.data)
        assert resp.status_code == 500 and fault is not None, resp.data
        return fault.code


def make_school(client: FlaskClient, brincode: str = "99AB", **extra: Any) -> dict[str, Any]:
    body = {
        "brincode": brincode,
        "schooljaar": SCHOOLJAAR,
        "seed": 20241001,
        "aantal_leerlingen": 40,
        **extra,
    }
    resp = client.post("/api/scholen", json=body)
    assert resp.status_code == 201, resp.json
    return dict(resp.json)


def issue_key(
    client: FlaskClient, brincode: str = "99AB", dep: str = "00", klantcode: str = KLANT[0]
) -> str:
    resp = client.post(
        f"/api/scholen/{brincode}/{dep}/sleutels",
        json={"klantcode": klantcode, "klantnaam": KLANT[1]},
    )
    assert resp.status_code == 201, resp.json
    return str(resp.json["autorisatiesleutel"])


@pytest.fixture
def core() -> Core:
    """A core over a private in-memory store, the harness clock frozen in October 2024; it also
    answers to ``las.example`` (the WSDL tests reach the LAS by that name)."""
    core = Core.create(
        Database.memory(), journal_limit=200, allowed_hosts=allowed_names(extra=["las.example"])
    )
    core.clock.set(SCHOOL_TIME)
    return core


@pytest.fixture(params=sorted(FLAVOURS))
def las(request: pytest.FixtureRequest, core: Core, uwlr_schemas: UwlrSchemas) -> Las:
    """Each flavour in turn, with school 99AB-00 (40 pupils) and a key for the stand-in."""
    return las_of(request.param, core, uwlr_schemas)


@pytest.fixture
def parnassys(core: Core, uwlr_schemas: UwlrSchemas) -> Las:
    """The ParnasSys flavour only."""
    return las_of("parnassys", core, uwlr_schemas)


@pytest.fixture
def esis(core: Core, uwlr_schemas: UwlrSchemas) -> Las:
    """The ESIS flavour only."""
    return las_of("esis", core, uwlr_schemas)


def las_of(flavour: str, core: Core, schemas: UwlrSchemas, **school: Any) -> Las:
    app = create_app({"flavour": flavour}, core=core)
    client = app.test_client()
    created = make_school(client, **school)
    key = issue_key(client, created["brincode"], created["dependancecode"])
    return Las(flavour, app, client, core, schemas, created, key)
