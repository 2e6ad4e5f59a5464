"""Thin HTTP clients for the partners' fixed external surface (docs/architecture.md), for scenarios.

They speak only the documented REST/admin APIs, so the same scenario runs against the in-process
harness or against already-running services (``--against CONFIG``). Errors come back as
:class:`PartnerError` carrying the problem details, so scenarios can assert on refusals.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import requests

from koppeling.client.http import items
from koppeling.client.mailbox import MailboxClient
from scenarios.driver import SchoolRef, school_path

SERVICES = ("testcentrum", "parnassys", "esis", "schoolkr8", "klantenservice", "mailbox")
KEY_PATTERN = re.compile(r"\bsk8_[A-Za-z0-9]{16,}\b")


class PartnerError(Exception):
    """A partner answered 4xx/5xx; ``status`` and ``problem`` say why."""

    def __init__(self, service: str, method: str, path: str, resp: requests.Response) -> None:
        self.service = service
        self.status = resp.status_code
        try:
            self.problem: dict[str, Any] = resp.json()
        except ValueError:
            self.problem = {"detail": resp.text[:300]}
        detail = self.problem.get("detail") or self.problem.get("title")
        super().__init__(f"{service} {method} {path}: HTTP {self.status}: {detail}")


class Client:
    """Base: one service's base URL, JSON in and out, problem details as :class:`PartnerError`."""

    service = "service"

    def __init__(self, base_url: str, session: requests.Session, timeout: float = 15.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = session
        self.timeout = timeout

    def call(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        resp = self.raw(method, path, body, **params)
        if resp.status_code >= 400:
            raise PartnerError(self.service, method, path, resp)
        return resp.json() if resp.content else {}

    def raw(self, method: str, path: str, body: Any = None, **params: Any) -> requests.Response:
        return self.session.request(
            method, self.base_url + path, json=body, params=params or None, timeout=self.timeout
        )


class Admin(Client):
    """The ``/__admin`` API every service has: clock, faults, journal."""

    def __init__(self, service: str, base_url: str, session: requests.Session) -> None:
        super().__init__(base_url, session)
        self.service = service

    def set_clock(self, school: SchoolRef, now: datetime, *, frozen: bool = True) -> Any:
        """Put one school's own clock at ``now`` (other schools are not affected)."""
        return self.call(
            "POST",
            "/__admin/clock",
            {
                "brincode": school.brincode,
                "dependancecode": school.dependancecode,
                "now": now.isoformat(),
                "frozen": frozen,
            },
        )

    def advance_clock(self, school: SchoolRef, seconds: float) -> Any:
        return self.call(
            "POST",
            "/__admin/clock",
            {
                "brincode": school.brincode,
                "dependancecode": school.dependancecode,
                "advance_seconds": seconds,
            },
        )

    def clock(self, school: SchoolRef) -> datetime:
        data = self.call(
            "GET", "/__admin/clock", brincode=school.brincode, dependancecode=school.dependancecode
        )
        return datetime.fromisoformat(data["now"])

    def add_fault(
        self,
        path: str,
        fault: str,
        *,
        method: str | None = None,
        times: int | None = None,
        delay_ms: int = 0,
        code: str | None = None,
        school: SchoolRef | None = None,
    ) -> Any:
        """Script a fault; with ``school`` only that school's requests take it (a shared
        harness then keeps the fault from other scenarios)."""
        body: dict[str, Any] = {"path": path, "fault": fault}
        if school is not None:
            body["brincode"] = school.brincode
            body["dependancecode"] = school.dependancecode
        if method:
            body["method"] = method
        if times is not None:
            body["times"] = times
        if delay_ms:
            body["delay_ms"] = delay_ms
        if code:
            body["code"] = code
        return self.call("POST", "/__admin/faults", body)

    def clear_faults(self) -> None:
        self.call("DELETE", "/__admin/faults")

    def journal(
        self, *, school: str | None = None, all_services: bool = True, kind: str | None = None
    ) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"all": "1"} if all_services else {}
        if school:
            params["school"] = school
        if kind:
            params["kind"] = kind
        return list(self.call("GET", "/__admin/requests", **params)["requests"])


class Las(Client):
    """A LAS mock (ParnasSys or ESIS): make a school, hand out a LAS key, read its pupils."""

    def __init__(self, flavour: str, base_url: str, session: requests.Session) -> None:
        super().__init__(base_url, session)
        self.service = self.flavour = flavour

    def create_school(
        self, school: SchoolRef, *, schooljaar: str, naam: str, pupils: int, seed: int
    ) -> dict[str, Any]:
        return dict(
            self.call(
                "POST",
                "/api/scholen",
                {
                    "brincode": school.brincode,
                    "dependancecode": school.dependancecode,
                    "schooljaar": schooljaar,
                    "naam": naam,
                    "aantal_leerlingen": pupils,
                    "seed": seed,
                },
            )
        )

    def issue_key(self, school: SchoolRef, *, klantcode: str, klantnaam: str) -> str:
        data = self.call(
            "POST",
            f"/api/scholen/{school.brincode}/{school.dependancecode}/sleutels",
            {"klantcode": klantcode, "klantnaam": klantnaam},
        )
        return str(data["autorisatiesleutel"])

    def add_pupil(self, school: SchoolRef, **fields: Any) -> dict[str, Any]:
        """A new pupil at the LAS (``leerlingnummer`` etc. as given, the rest generated)."""
        return dict(
            self.call(
                "POST", f"/api/scholen/{school.brincode}/{school.dependancecode}/leerlingen", fields
            )
        )

    def remove_pupil(self, school: SchoolRef, leerlingnummer: str) -> None:
        """The pupil leaves the school (the next import drops it)."""
        self.call("DELETE", school_path(school, f"leerlingen/{leerlingnummer}"))

    def pupils(self, school: SchoolRef) -> list[dict[str, Any]]:
        data = self.call("GET", school_path(school, "leerlingen"))
        return list(data["leerlingen"] if isinstance(data, dict) else data)


class Schoolkr8(Client):
    """The Schoolkr8 mock: koppelingen and keys, pupils, Wijzig leerlingnummer, results."""

    service = "schoolkr8"

    def request_koppeling(self, school: SchoolRef, contact_email: str) -> str:
        data = self.call(
            "POST",
            "/api/koppelingen",
            {
                "brincode": school.brincode,
                "dependancecode": school.dependancecode,
                "contact_email": contact_email,
            },
        )
        return str(data["id"])

    def activate(self, koppeling_id: str) -> dict[str, Any]:
        return dict(self.call("POST", f"/api/koppelingen/{koppeling_id}/activeren"))

    def revoke(self, koppeling_id: str) -> dict[str, Any]:
        return dict(self.call("POST", f"/api/koppelingen/{koppeling_id}/intrekken"))

    def add_pupil(self, school: SchoolRef, pupil: dict[str, Any]) -> str:
        body = {k: pupil[k] for k in ("voornaam", "achternaam", "geboortedatum", "groep")}
        data = self.call("POST", school_path(school, "leerlingen"), body)
        return str(data["id"])

    def set_leerlingnummer(self, pupil_id: str, number: str) -> dict[str, Any]:
        return dict(
            self.call(
                "PUT", f"/api/leerlingen/{pupil_id}/leerlingnummer", {"leerlingnummer": number}
            )
        )

    def set_leerlingnummer_raw(self, pupil_id: str, number: str) -> requests.Response:
        return self.raw(
            "PUT", f"/api/leerlingen/{pupil_id}/leerlingnummer", {"leerlingnummer": number}
        )

    def set_unmapped_policy(self, school: SchoolRef, policy: str) -> Any:
        """What Schoolkr8 does with a result for an unknown leerlingid: parkeren | weigeren."""
        return self.call(
            "PUT",
            f"/api/scholen/{school.brincode}/{school.dependancecode}/instellingen",
            {"niet_gekoppeld": policy},
        )

    def results(self, pupil_id: str) -> list[dict[str, Any]]:
        data = self.call("GET", f"/api/leerlingen/{pupil_id}/resultaten")
        return items(data, "resultaten")

    def unmapped(self, school: SchoolRef) -> list[dict[str, Any]]:
        data = self.call(
            "GET", f"/api/scholen/{school.brincode}/{school.dependancecode}/niet-gekoppeld"
        )
        return items(data, "resultaten", "niet_gekoppeld", "items")


class Klantenservice(Client):
    """The klantenservice mock: read a request's decision; manual mode."""

    service = "klantenservice"

    def aanvraag(self, aanvraag_id: str) -> dict[str, Any]:
        return dict(self.call("GET", f"/api/aanvragen/{aanvraag_id}"))

    def aanvragen(self, school: SchoolRef) -> list[dict[str, Any]]:
        data = self.call(
            "GET", "/api/aanvragen", brincode=school.brincode, dependancecode=school.dependancecode
        )
        return items(data, "aanvragen", "items")

    def set_mode(self, school: SchoolRef, modus: str) -> Any:
        return self.call(
            "PUT", f"/api/scholen/{school.brincode}/{school.dependancecode}/modus", {"modus": modus}
        )

    def approve(self, aanvraag_id: str) -> Any:
        return self.call("POST", f"/api/aanvragen/{aanvraag_id}/goedkeuren", {})

    def reject(self, aanvraag_id: str, reden: str) -> Any:
        return self.call("POST", f"/api/aanvragen/{aanvraag_id}/afwijzen", {"reden": reden})


@dataclass
class Mail:
    """One message as the Mailpit-style API shows it."""

    id: str
    sender: str
    to: list[str]
    subject: str
    text: str
    html: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


class Mailbox:
    """The Mailpit-compatible mailbox API (via the mailbox's own client, long-polling)."""

    service = "mailbox"

    def __init__(self, base_url: str, session: requests.Session) -> None:
        self.client = MailboxClient(base_url, session=session)

    def messages_to(self, address: str) -> list[Mail]:
        """Every message for ``address``, oldest first."""
        found = self.client.messages_to(address)
        return [self.message(str(m["ID"])) for m in reversed(found)]

    def wait_for(
        self,
        address: str,
        *,
        ignore: Collection[str] = (),
        timeout: float = 10.0,
        subject_contains: str | None = None,
    ) -> Mail:
        """The newest message for ``address`` not in ``ignore``; fails saying what did arrive."""
        data = self.client.wait_for(address, subject_contains, timeout=timeout, ignore=ignore)
        return _mail(str(data["ID"]), data)

    def message(self, message_id: str) -> Mail:
        return _mail(message_id, self.client.message(message_id))


def _mail(message_id: str, data: dict[str, Any]) -> Mail:
    return Mail(
        id=message_id,
        sender=_address(data.get("From")),
        to=[_address(a) for a in data.get("To") or []],
        subject=str(data.get("Subject", "")),
        text=str(data.get("Text", "")),
        html=str(data.get("HTML", "")),
        raw=data,
    )


def _address(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("Address", ""))
    return str(value or "")


@dataclass
class Partners:
    """Every partner's client, from a mapping service -> base URL."""

    urls: dict[str, str]
    in_process: bool = False
    session: requests.Session = field(default_factory=requests.Session)

    def __post_init__(self) -> None:
        missing = [s for s in SERVICES if s not in self.urls]
        if missing:
            raise ValueError(f"no URL for {', '.join(missing)}; have {sorted(self.urls)}")
        self.schoolkr8 = Schoolkr8(self.urls["schoolkr8"], self.session)
        self.klantenservice = Klantenservice(self.urls["klantenservice"], self.session)
        self.mailbox = Mailbox(self.urls["mailbox"], self.session)
        self.las = {f: Las(f, self.urls[f], self.session) for f in ("parnassys", "esis")}

    def admin(self, service: str) -> Admin:
        return Admin(service, self.urls[service], self.session)
