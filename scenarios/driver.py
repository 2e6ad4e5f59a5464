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

from koppeling.client.http import items

ENTRY_POINT_GROUP = "koppeling.testcentrum_drivers"
TERMINAL_STATUSES = ("verzonden", "niet_van_toepassing", "mislukt")


class DriverError(Exception):
    """The testcentrum refused an action; ``status`` and ``problem`` say how and why."""

    def __init__(
        self, action: str, status: int, problem: dict[str, Any] | None, text: str = ""
    ) -> None:
        self.action = action
        self.status = status
        self.problem = problem or {}
        detail = self.problem.get("detail") or self.problem.get("title") or text[:300]
        where = self.problem.get("field") or self.problem.get("veld")
        suffix = f" (field {where})" if where else ""
        super().__init__(f"{action}: HTTP {status}: {detail}{suffix}")


@dataclass(frozen=True)
class SchoolRef:
    """A school account at the testcentrum: BRIN + vestiging (dependancecode)."""

    brincode: str
    dependancecode: str = "00"

    @property
    def key(self) -> str:
        return f"{self.brincode}-{self.dependancecode}"


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


class HttpTestcentrumDriver:
    """Drives the stand-in testcentrum over the REST API of docs/architecture.md (HTTP only)."""

    name = "stand-in"

    def __init__(
        self,
        base_url: str,
        *,
        session: requests.Session | None = None,
        timeout: float = 15.0,
        klantcode: str = "boom-testcentrum",
        klantnaam: str = "Boom testcentrum",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.klantcode = klantcode
        self.klantnaam = klantnaam
        self.session = session or requests.Session()
        self.timeout = timeout

    # -- LAS side ------------------------------------------------------------------------------

    def save_las_settings(
        self, school: SchoolRef, *, las: str, schooljaar: str, autorisatiesleutel: str
    ) -> dict[str, Any]:
        """WIJZIGINGEN OPSLAAN."""
        body = {"las": las, "schooljaar": schooljaar, "autorisatiesleutel": autorisatiesleutel}
        return dict(
            self._call(
                "LAS-instellingen opslaan", "PUT", school_path(school, "las-koppeling"), body
            )
        )

    def import_las(self, school: SchoolRef) -> dict[str, Any]:
        """GEGEVENS IMPORTEREN."""
        return dict(
            self._call("gegevens importeren", "POST", school_path(school, "las-koppeling/import"))
        )

    def pupils(self, school: SchoolRef) -> list[dict[str, Any]]:
        """Leerlingenoverzicht."""
        data = self._call("leerlingenoverzicht", "GET", school_path(school, "leerlingen"))
        return items(data, "leerlingen")

    # -- dashboard koppeling -------------------------------------------------------------------

    def request_dashboard(
        self,
        school: SchoolRef,
        *,
        type_dashboard: str,
        autorisatiesleutel: str,
        beheerder_email: str,
    ) -> dict[str, Any]:
        """AANVRAGEN."""
        body = {
            "type_dashboard": type_dashboard,
            "autorisatiesleutel": autorisatiesleutel,
            "beheerder_email": beheerder_email,
        }
        return dict(
            self._call(
                "dashboard-koppeling aanvragen",
                "POST",
                school_path(school, "dashboard-koppeling"),
                body,
            )
        )

    def dashboard_status(self, school: SchoolRef) -> DashboardStatus:
        """The dashboard koppeling's status (``None`` when never requested)."""
        resp = self._send("GET", school_path(school, "dashboard-koppeling"))
        if resp.status_code == 404:
            return DashboardStatus(None)
        data = self._check("dashboard-koppeling lezen", resp)
        return DashboardStatus(
            status=data.get("status"),
            geactiveerd_op=_instant(data.get("geactiveerd_op")),
            reden=data.get("reden"),
            raw=data,
        )

    def deactivate_dashboard(self, school: SchoolRef) -> None:
        """Deactivate: ``DELETE …/dashboard-koppeling``, or ``POST …/deactiveren``."""
        resp = self._send("POST", school_path(school, "dashboard-koppeling/deactiveren"))
        if resp.status_code in (404, 405):
            resp = self._send("DELETE", school_path(school, "dashboard-koppeling"))
        self._check("dashboard-koppeling deactiveren", resp)

    # -- afnames -------------------------------------------------------------------------------

    def score(
        self,
        school: SchoolRef,
        *,
        leerlingnummer: str,
        toets: str,
        ruwe_score: int,
        afnamedatum: str,
    ) -> str:
        """Score invoeren."""
        body = {
            "leerlingnummer": leerlingnummer,
            "toets": toets,
            "ruwe_score": ruwe_score,
            "afnamedatum": afnamedatum,
        }
        data = self._call("score invoeren", "POST", school_path(school, "afnames"), body)
        return str(data["id"])

    def norm(self, afname_id: str) -> Normed:
        """Normeren."""
        data = self._call("normeren", "POST", f"/api/afnames/{afname_id}/normeren")
        return Normed(
            afname_id=str(afname_id),
            genormeerd_op=_instant(data.get("genormeerd_op")),
            figures=data,
        )

    def forwarding(self, school: SchoolRef) -> list[Forwarding]:
        """Doorsturing per afname."""
        data = self._call("doorsturing lezen", "GET", school_path(school, "doorsturing"))
        return [_forwarding(item) for item in items(data, "afnames", "doorsturing", "items")]

    # -- plumbing ------------------------------------------------------------------------------

    def _send(
        self, method: str, path: str, body: dict[str, Any] | None = None
    ) -> requests.Response:
        return self.session.request(method, self.base_url + path, json=body, timeout=self.timeout)

    def _call(self, action: str, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        return self._check(action, self._send(method, path, body))

    @staticmethod
    def _check(action: str, resp: requests.Response) -> Any:
        if resp.status_code >= 400:
            raise DriverError(action, resp.status_code, _json_or_none(resp), resp.text)
        return _json_or_none(resp) or {}


def _json_or_none(resp: requests.Response) -> Any:
    try:
        return resp.json()
    except ValueError:
        return None


def school_path(school: SchoolRef, tail: str) -> str:
    """The API path of one of the school's resources: ``/api/scholen/{brin}/{dep}/{tail}``."""
    return f"/api/scholen/{school.brincode}/{school.dependancecode}/{tail}"


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
