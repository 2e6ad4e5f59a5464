"""The testcentrum driver: how scenarios operate a testcentrum, whichever one is under test.

The forwarding rule lives in the Boom testcentrum, which this project does not have; scenarios
therefore never touch the stand-in's store or code. They speak to a *driver* with the manual's
verbs (WIJZIGINGEN OPSLAAN, GEGEVENS IMPORTEREN, AANVRAGEN, score and norm a test, read the
forwarding status). :class:`HttpTestcentrumDriver` drives the stand-in over its REST API; a team
with a real testcentrum writes another class with the same methods and plugs it in by name
(``module:factory``) or entry point (group ``koppeling.testcentrum_drivers``), see
:func:`load_driver` and docs/scenarios.md. The partner-side checks stay the same.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from importlib.metadata import entry_points
from typing import Any, Protocol, runtime_checkable

import requests

from koppeling.client import STAND_IN_KLANT, ProblemError, TestcentrumClient
from koppeling.client import SchoolRef as SchoolRef  # the protocol's school, for other drivers

ENTRY_POINT_GROUP = "koppeling.testcentrum_drivers"
TERMINAL_STATUSES = ("verzonden", "niet_van_toepassing", "mislukt")

# What a driver raises when the testcentrum refuses a step: ``status`` and the problem details
# (``body``, ``detail``, ``field``). The client package's one refusal error, under the protocol's
# name.
DriverError = ProblemError


@dataclass(frozen=True)
class DashboardStatus:
    """The state of the dashboard koppeling as the testcentrum shows it."""

    status: str | None
    geactiveerd_op: datetime | None = None
    reden: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Normed:
    """The outcome of norming one afname."""

    afname_id: str
    genormeerd_op: datetime | None
    figures: dict[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Forwarding:
    """The forwarding status of one afname: ``verzonden`` | ``wachtend`` | ``niet_van_toepassing``
    | ``mislukt``, with the number of attempts and the last error."""

    afname_id: str
    status: str
    attempts: int = 0
    reason: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def settled(self) -> bool:
        return self.status in TERMINAL_STATUSES


@runtime_checkable
class TestcentrumDriver(Protocol):
    """What a scenario may do to a testcentrum: the manual's steps, nothing internal."""

    name: str
    klantcode: str  # how the testcentrum identifies itself at the LAS (the LAS key is for it)
    klantnaam: str

    def save_las_settings(
        self, school: SchoolRef, *, las: str, schooljaar: str, autorisatiesleutel: str
    ) -> dict[str, Any]:
        """WIJZIGINGEN OPSLAAN in Beheer › Koppelen met LAS."""
        ...

    def import_las(self, school: SchoolRef) -> dict[str, Any]:
        """GEGEVENS IMPORTEREN; returns counts of pupils, groups and staff."""
        ...

    def pupils(self, school: SchoolRef) -> list[dict[str, Any]]:
        """The Leerlingenoverzicht: each pupil with its ``leerlingnummer``."""
        ...

    def request_dashboard(
        self,
        school: SchoolRef,
        *,
        type_dashboard: str,
        autorisatiesleutel: str,
        beheerder_email: str,
    ) -> dict[str, Any]:
        """AANVRAGEN in *Koppelen met Focus PO of SchoolKr8*."""
        ...

    def dashboard_status(self, school: SchoolRef) -> DashboardStatus:
        """The dashboard koppeling: ``aangevraagd`` | ``actief`` | ``afgewezen`` (+ reden)."""
        ...

    def deactivate_dashboard(self, school: SchoolRef) -> None:
        """Switch the dashboard koppeling off."""
        ...

    def score(
        self,
        school: SchoolRef,
        *,
        leerlingnummer: str,
        toets: str,
        ruwe_score: int,
        afnamedatum: str,
    ) -> str:
        """Score invoeren: record an afname; returns its id."""
        ...

    def norm(self, afname_id: str) -> Normed:
        """Normeren: norm (or re-norm) an afname at the testcentrum's current time."""
        ...

    def forwarding(self, school: SchoolRef) -> list[Forwarding]:
        """The forwarding status of every afname of the school."""
        ...


class HttpTestcentrumDriver(TestcentrumClient):
    """Drives the stand-in testcentrum over its REST API: :class:`TestcentrumClient` under the
    protocol's names (HTTP only)."""

    name = "stand-in"

    def __init__(
        self,
        base_url: str,
        *,
        session: requests.Session | None = None,
        timeout: float = 15.0,
        klantcode: str = STAND_IN_KLANT.code,
        klantnaam: str = STAND_IN_KLANT.naam,
    ) -> None:
        super().__init__(base_url, session=session, timeout=timeout)
        self.klantcode = klantcode
        self.klantnaam = klantnaam

    save_las_settings = TestcentrumClient.save_las_koppeling
    import_las = TestcentrumClient.importeer
    pupils = TestcentrumClient.leerlingen
    request_dashboard = TestcentrumClient.aanvragen
    deactivate_dashboard = TestcentrumClient.deactiveren

    def dashboard_status(self, school: SchoolRef) -> DashboardStatus:
        data = self.dashboard_koppeling(school)
        if data is None:
            return DashboardStatus(None)
        return DashboardStatus(
            status=data.get("status"),
            geactiveerd_op=_instant(data.get("geactiveerd_op")),
            reden=data.get("reden"),
            raw=data,
        )

    def norm(self, afname_id: str) -> Normed:
        data = self.normeren(afname_id)
        return Normed(
            afname_id=str(afname_id),
            genormeerd_op=_instant(data.get("genormeerd_op")),
            figures=data,
        )

    def forwarding(self, school: SchoolRef) -> list[Forwarding]:
        return [_forwarding(item) for item in self.doorsturing(school)]


def _instant(value: Any) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _forwarding(item: dict[str, Any]) -> Forwarding:
    attempts = item.get("attempts", item.get("pogingen", 0))
    if isinstance(attempts, list):
        attempts = len(attempts)
    return Forwarding(
        afname_id=str(item.get("afname_id")),
        status=str(item.get("status")),
        attempts=int(attempts or 0),
        reason=item.get("reden") or item.get("reason") or item.get("laatste_fout"),
        raw=item,
    )


DriverFactory = Callable[..., TestcentrumDriver]


def load_driver(spec: str | None, base_url: str, **options: Any) -> TestcentrumDriver:
    """The driver named by ``spec``: ``None``/``"stand-in"`` (the HTTP driver of the stand-in),
    an entry point name in group ``koppeling.testcentrum_drivers``, or ``"package.module:factory"``.
    The factory is called as ``factory(base_url, **options)``."""
    if spec in (None, "", "stand-in", "http"):
        return HttpTestcentrumDriver(base_url, **options)
    assert spec is not None
    factory = _factory(spec)
    driver = factory(base_url, **options)
    if not isinstance(driver, TestcentrumDriver):
        raise TypeError(
            f"driver {spec!r} does not implement TestcentrumDriver (got {type(driver).__name__})"
        )
    return driver


def _factory(spec: str) -> DriverFactory:
    if ":" in spec:
        module_name, _, attr = spec.partition(":")
        factory = getattr(importlib.import_module(module_name), attr, None)
        if factory is None:
            raise ValueError(f"driver {spec!r}: module {module_name} has no {attr!r}")
        return factory  # type: ignore[no-any-return]
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == spec:
            return ep.load()  # type: ignore[no-any-return]
    raise ValueError(
        f"unknown testcentrum driver {spec!r}: give 'module:factory' or an entry "
        f"point name in group {ENTRY_POINT_GROUP}"
    )
