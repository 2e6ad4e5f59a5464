"""The stand-in Boom testcentrum, composed of its two domains: Beheer (Koppelen met LAS, the
Leerlingenoverzicht, the dashboard koppeling) and the afnames (scoring, norming, forwarding).

This module only wires: it builds both services on one core, hands each the other's small typed
interface (the afnames read Beheer's :class:`DashboardKoppelingen` and :class:`ImportedPupils`;
Beheer's Leerlingenoverzicht asks the afnames for their tabs), and registers both route tables.

Options (``options["testcentrum"]`` in the harness config): ``las_urls`` ({"parnassys": base URL,
"esis": base URL}; default ``core.url(las)``), ``klantenservice_url`` (default
``core.url("klantenservice")``), ``las_timeout`` (s, 30), ``klantenservice_timeout`` (s, 10),
``poll_interval`` (s between polls of open aanvragen, 1.0; 0 switches the poller off),
``forwarder`` (see :class:`ForwarderOptions`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from koppeling.harness.routes import add_routes
from koppeling.harness.service import Core, create_service_app
from mocks.testcentrum.afnames.forwarder import Forwarder, ForwarderOptions
from mocks.testcentrum.afnames.routes import afnames_routes
from mocks.testcentrum.afnames.service import AfnamesService
from mocks.testcentrum.beheer.klantenservice_client import (
    KlantenserviceClient,
    KlantenserviceOnbereikbaar,
)
from mocks.testcentrum.beheer.las_client import UNREACHABLE, LasClient, LasFout, endpoint_of
from mocks.testcentrum.beheer.poller import AanvraagPoller
from mocks.testcentrum.beheer.routes import beheer_routes
from mocks.testcentrum.beheer.service import BeheerService, DashboardKoppelingen, ImportedPupils

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


def build_afnames(core: Core) -> AfnamesService:
    """Scoring and norming, reading Beheer's dashboard koppeling and imported pupils."""
    return AfnamesService(core, DashboardKoppelingen(core.db), ImportedPupils(core.db))


def build_beheer(core: Core, options: dict[str, Any], afnames: AfnamesService) -> BeheerService:
    """The koppeling logic wired to the core, the two partner clients and the afname tabs."""
    las_urls: Mapping[str, str] = options.get("las_urls") or {}
    las_timeout = float(options.get("las_timeout", 30.0))
    ks_timeout = float(options.get("klantenservice_timeout", 10.0))

    def las_client(las: str) -> LasClient:
        try:
            base = las_urls.get(las) or core.url(las)
        except RuntimeError as exc:
            raise LasFout(UNREACHABLE, str(exc)) from None
        return LasClient(endpoint_of(las, base), timeout=las_timeout)

    def klantenservice() -> KlantenserviceClient:
        try:
            base = options.get("klantenservice_url") or core.url("klantenservice")
        except RuntimeError as exc:
            raise KlantenserviceOnbereikbaar(str(exc)) from None
        return KlantenserviceClient(base, timeout=ks_timeout)

    return BeheerService(
        core, las_client=las_client, klantenservice=klantenservice, afname_tabs=afnames
    )


# --- background work ---------------------------------------------------------------------------


class Workers:
    """Several background workers started and stopped as one."""

    def __init__(self, workers: list[AanvraagPoller | Forwarder]) -> None:
        self.workers = workers

    def start(self) -> Workers:
        for worker in self.workers:
            worker.start()
        return self

    def stop(self) -> None:
        for worker in reversed(self.workers):
            worker.stop()


def create_worker(core: Core, options: dict[str, Any]) -> Workers:
    """The aanvraag poller (unless ``poll_interval`` is 0) and the forwarder."""
    workers: list[AanvraagPoller | Forwarder] = []
    interval = float(options.get("poll_interval", 1.0))
    if interval > 0:
        beheer = build_beheer(core, options, build_afnames(core))
        workers.append(AanvraagPoller(beheer, interval))
    forwarder_options = ForwarderOptions.from_options(options)
    workers.append(Forwarder(core, DashboardKoppelingen(core.db), forwarder_options))
    return Workers(workers)
