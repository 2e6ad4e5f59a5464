"""The served ``/openapi.json`` lists exactly the REST routes a service has, none missing, none
invented: every service registers its routes and its document from one table
(:mod:`koppeling.harness.routes`), and this holds them to it."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask

from koppeling.harness.service import Core
from koppeling.harness.services import SERVICES, ServiceSpec, module_of
from koppeling.harness.store import Database

_HARNESS_PATHS = ("/__admin/", "/static/")
_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")


def rest_operations(app: Flask) -> set[tuple[str, str]]:
    """``(METHOD, /openapi/{style})`` of every REST rule of ``app`` (not the harness's own, not
    the SOAP endpoints)."""
    found = set()
    soap = app.config["SOAP_PATHS"]
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(_HARNESS_PATHS) or rule.rule == "/openapi.json":
            continue
        if soap and rule.rule.lower().startswith(soap):
            continue
        path = _CONVERTER.sub(r"{\1}", rule.rule)
        found |= {(m, path) for m in rule.methods or () if m not in ("HEAD", "OPTIONS")}
    return found


def documented_operations(app: Flask) -> set[tuple[str, str]]:
    """``(METHOD, path)`` of every operation in the app's served ``/openapi.json``."""
    doc = app.test_client().get("/openapi.json").get_json()
    return {(m.upper(), path) for path, ops in doc["paths"].items() for m in ops}


@pytest.fixture
def core() -> Iterator[Core]:
    """A core on a private in-memory store."""
    db = Database.memory()
    yield Core.create(db)
    db.dispose()


@pytest.mark.parametrize("spec", SERVICES, ids=lambda s: str(s.name))
def test_openapi_lists_exactly_the_routes(spec: ServiceSpec, core: Core) -> None:
    app = module_of(spec).create_app(dict(spec.config), core=core)
    routes, documented = rest_operations(app), documented_operations(app)
    assert routes, f"{spec.name} has no REST routes"
    assert routes - documented == set(), "routes missing from /openapi.json"
    assert documented - routes == set(), "/openapi.json lists routes that do not exist"


@pytest.mark.parametrize("spec", SERVICES, ids=lambda s: str(s.name))
def test_every_operation_has_a_summary_and_responses(spec: ServiceSpec, core: Core) -> None:
    app = module_of(spec).create_app(dict(spec.config), core=core)
    doc = app.test_client().get("/openapi.json").get_json()
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            assert op["summary"] and op["responses"], f"{spec.name} {method} {path}"
