"""The stand-in testcentrum's wiring without its web side: both domains' services built on
one core (the app serves them), and its background workers — the aanvraag poller and the
forwarder — which ``koppeling up`` starts in its own process, without Flask
(``ServiceSpec.worker``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from koppeling.harness.core import Core
from mocks.testcentrum.afnames.forwarder import Forwarder, ForwarderOptions
from mocks.testcentrum.afnames.service import AfnamesService
from mocks.testcentrum.beheer.klantenservice_client import (
    KlantenserviceClient,
    KlantenserviceOnbereikbaar,
)
from mocks.testcentrum.beheer.las_client import UNREACHABLE, LasClient, LasFout, endpoint_of
from mocks.testcentrum.beheer.poller import AanvraagPoller
from mocks.testcentrum.beheer.service import BeheerService, DashboardKoppelingen, ImportedPupils


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
