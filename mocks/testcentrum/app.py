"""The stand-in Boom testcentrum, composed of its two domains: Beheer (Koppelen met LAS, the
Leerlingenoverzicht, the dashboard koppeling) and the afnames (scoring, norming, forwarding).

This module only registers both route tables on the services :mod:`mocks.testcentrum.workers`
wires on one core, each handed the other's small typed interface (the afnames read Beheer's
``DashboardKoppelingen`` and ``ImportedPupils``; Beheer's Leerlingenoverzicht asks the afnames for
their tabs); that module, without Flask, also makes the background workers.

Options (``options["testcentrum"]`` in the harness config): ``las_urls`` ({"parnassys": base URL,
"esis": base URL}; default ``core.url(las)``), ``klantenservice_url`` (default
``core.url("klantenservice")``), ``las_timeout`` (s, 30), ``klantenservice_timeout`` (s, 10),
``poll_interval`` (s between polls of open aanvragen, 1.0; 0 switches the poller off),
``forwarder`` (see ``ForwarderOptions``).
"""

from __future__ import annotations

from typing import Any

from flask import Flask

from koppeling.harness.routes import add_routes
from koppeling.harness.service import Core, create_service_app
from mocks.testcentrum.afnames.routes import afnames_routes
from mocks.testcentrum.beheer.routes import beheer_routes
from mocks.testcentrum.workers import build_afnames, build_beheer

SERVICE = "testcentrum"
TITLE = "Boom testcentrum (stand-in)"


def create_app(config: dict[str, Any] | None = None, *, core: Core) -> Flask:
    """The stand-in testcentrum on ``core``: both domains' routes and one /openapi.json."""
    options = dict(config or {})
    app = create_service_app(SERVICE, core, import_name=__name__)
    afnames = build_afnames(core)
    beheer = build_beheer(core, options, afnames)
    add_routes(app, TITLE, beheer_routes(beheer) + afnames_routes(afnames))
    return app
