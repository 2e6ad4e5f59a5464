"""One table per service for its REST routes: each entry registers a Flask view *and* describes
it in ``/openapi.json``, so the served document can never drift from the routes.

A partner app lists ``Route(method, path, view, …)`` entries and calls :func:`add_routes`; paths
are written the OpenAPI way (``/api/scholen/{brincode}/{dependancecode}``); a parameter may name a
Flask converter (``/api/leerlingen/{id:int}``: anything but a number there is no route, a 404),
which the document shows as the parameter's type. The summary defaults to
the first line of the view's docstring; the request schema is the name of the JSON schema the view
validates with (``contracts/schemas/<name>.json``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response
from werkzeug.routing import IntegerConverter, Map

from koppeling.harness.errors import invalid
from koppeling.harness.schemas import field_type, load_schema
from koppeling.harness.service import school_in_path

_PARAM = re.compile(r"{(\w+)(?::(\w+))?}")
_INT64_MAX = 2**63 - 1
_PATH_TYPES: dict[str, dict[str, Any]] = {
    "int": {"type": "integer", "minimum": 0, "maximum": _INT64_MAX},
    "float": {"type": "number"},
}
#: path parameters whose name is a type of the field vocabulary
_VOCABULARY_PARAMS = ("brincode", "dependancecode")


@dataclass(frozen=True)
class QueryParam:
    """A query-string parameter as the OpenAPI document shows it (the view reads it itself)."""

    name: str
    schema: dict[str, Any]
    required: bool = False


@dataclass(frozen=True)
class Route:
    """One REST operation: where, which view, and what the OpenAPI document says of it."""

    method: str
    path: str
    view: Callable[..., Any]
    summary: str = ""
    request_schema: str | None = None
    responses: dict[str, str] = field(default_factory=lambda: {"200": "OK"})
    query: tuple[QueryParam, ...] = ()
    #: Statuses (with ``responses``' text) that a request valid by the document may still get
    #: because of what is stored — no pupils imported yet, a LAS that refuses the saved key.
    #: The document lists them as ``x-depends-on-state``; the fuzz suite's check that valid
    #: data is accepted allows exactly these for the operation.
    depends_on_state: tuple[str, ...] = ()

    @property
    def title(self) -> str:
        if self.summary:
            return self.summary
        return (self.view.__doc__ or self.view.__name__).strip().splitlines()[0]

    @property
    def flask_rule(self) -> str:
        return _PARAM.sub(lambda m: f"<{m[2]}:{m[1]}>" if m[2] else f"<{m[1]}>", self.path)

    @property
    def openapi_path(self) -> str:
        return _PARAM.sub(r"{\1}", self.path)


def delete_school_route(forget: Callable[[str, str], None], holds: str) -> Route:
    """``DELETE /api/scholen/{brincode}/{dependancecode}``: ``forget(brin, dep)`` the school with
    everything the service holds of it (``holds`` says what) — 204, also when there was nothing,
    so a test suite starts clean without restarting the harness."""

    def delete_school(brincode: str, dependancecode: str) -> Response:
        """Forget a school with everything this service holds of it (204, also if nothing)."""
        forget(*school_in_path(brincode, dependancecode, invalid))
        return Response(status=204)

    return Route(
        "DELETE",
        "/api/scholen/{brincode}/{dependancecode}",
        delete_school,
        summary=f"Forget a school: {holds}",
        responses={"204": "forgotten (or there was nothing)", "422": "invalid school"},
    )


def add_routes(app: Flask, title: str, routes: Sequence[Route]) -> None:
    """Register every route on ``app`` and serve ``/openapi.json`` built from the same table."""
    app.url_map.converters["int"] = Int64Converter
    for route in routes:
        endpoint = f"{route.method.lower()}_{route.view.__name__}"
        app.add_url_rule(route.flask_rule, endpoint, route.view, methods=[route.method])

    def openapi() -> Any:
        """The OpenAPI document of this service, built from its route table."""
        return openapi_document(title, routes)

    app.add_url_rule("/openapi.json", "openapi", openapi, methods=["GET"])


def openapi_document(title: str, routes: Sequence[Route], version: str = "1.0") -> dict[str, Any]:
    """An OpenAPI 3.1 document whose request bodies are the schemas the service validates with."""
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        paths.setdefault(route.openapi_path, {})[route.method.lower()] = _operation(route)
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {"schemas": {"Problem": _PROBLEM}},
    }


def _operation(route: Route) -> dict[str, Any]:
    problem = {"$ref": "#/components/schemas/Problem"}
    params = _PARAM.findall(route.path)
    entry: dict[str, Any] = {
        "summary": route.title,
        "responses": {
            code: {
                "description": text,
                **(
                    {"content": {"application/problem+json": {"schema": problem}}}
                    if code.startswith(("4", "5"))
                    else {}
                ),
            }
            for code, text in {**_implied_responses(route, bool(params)), **route.responses}.items()
        },
    }
    if route.depends_on_state:
        entry["x-depends-on-state"] = list(route.depends_on_state)
    if params:
        entry["parameters"] = [
            {
                "name": name,
                "in": "path",
                "required": True,
                "schema": _param_schema(name, conv),
            }
            for name, conv in params
        ]
    if route.query:
        entry.setdefault("parameters", []).extend(
            {"name": q.name, "in": "query", "required": q.required, "schema": dict(q.schema)}
            for q in route.query
        )
    if route.request_schema:
        schema = dict(load_schema(route.request_schema))
        schema.pop("$schema", None)
        entry["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": schema}},
        }
    return entry


def _implied_responses(route: Route, has_params: bool) -> dict[str, str]:
    """What every operation of its shape may answer, documented without each route saying so:
    a body can be malformed (400) or invalid (422); a path can name nothing (404)."""
    implied: dict[str, str] = {}
    if route.request_schema or route.method in ("POST", "PUT", "PATCH"):
        implied |= {"400": "Geen (geldig) JSON-object", "422": "Ongeldig veld"}
    if has_params:
        implied |= {"404": "Onbekend", "422": "Ongeldige parameter"}
    return implied


def _param_schema(name: str, converter: str) -> dict[str, Any]:
    if converter in _PATH_TYPES:
        return dict(_PATH_TYPES[converter])
    if name in _VOCABULARY_PARAMS:
        return field_type(name)
    return {"type": "string"}


class Int64Converter(IntegerConverter):
    """Flask's ``int`` bounded to 64 bits: a longer id is no route (a 404), not an overflow in
    the store."""

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        super().__init__(url_map, *args, **kwargs)
        self.max = _INT64_MAX


_PROBLEM = {
    "type": "object",
    "required": ["title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "field": {"type": "string"},
    },
}
