"""A bare service app on the harness core, for testing what every service shares."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from koppeling.harness.errors import SoapFault, invalid
from koppeling.harness.server import ServerThread
from koppeling.harness.service import Core, create_service_app, json_body, set_school
from koppeling.harness.store import Database


@pytest.fixture
def core() -> Core:
    """A core over a private in-memory store."""
    return Core.create(Database.memory(), journal_limit=100)


@pytest.fixture
def app(core: Core) -> Flask:
    """A service with one JSON route and one SOAP path, like the partner mocks."""
    app = create_service_app("probe", core, soap_paths=("/uwlr",))

    @app.post("/api/echo")
    def echo() -> object:
        """Echo the body; tag the school."""
        body = json_body()
        if "naam" not in body:
            raise invalid("naam", "naam is required")
        set_school("99AB", "00")
        return {"echo": body}

    @app.post("/uwlr/x")
    def soap() -> object:
        """Always a UWLR fault."""
        raise SoapFault("Client.AutorisatieOngeldig", "nee")

    @app.get("/boom")
    def boom() -> object:
        """An unexpected error."""
        raise RuntimeError("kapot")

    return app


@pytest.fixture
def server(app: Flask) -> Iterator[ServerThread]:
    """The probe app on a free port."""
    with ServerThread(app) as running:
        yield running
