"""The klantenservice's HTTP clients for its two checks: the key at Schoolkr8, the LAS koppeling at
the testcentrum.

Plain ``requests`` code with the partner's base URL passed in, no Flask: pointed at a real Schoolkr8
or testcentrum it works the same. A partner that cannot answer (connection error, timeout, 5xx) is a
:class:`PartnerOnbereikbaar` — the klantenservice then postpones its decision instead of rejecting a
school for someone else's outage.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests


class PartnerOnbereikbaar(Exception):
    """The partner did not give a usable answer now (try again later)."""


@dataclass(frozen=True)
class LasStatus:
    """What the testcentrum says about a school's LAS koppeling."""

    actief: bool
    las: str | None
    school_naam: str | None


class _JsonClient:
    def __init__(
        self, base_url: str, *, session: requests.Session | None = None, timeout: float = 5.0
    ) -> None:
        self.base_url = base_url.rstrip("/")
        # Without a session each call opens and closes its own connection (nothing leaks);
        # pass a Session to reuse connections, and close it yourself.
        self.session = session
        self.timeout = timeout

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        url = self.base_url + path
        try:
            sender = self.session.request if self.session else requests.request
            resp = sender(method, url, timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise PartnerOnbereikbaar(f"{url} niet bereikbaar: {type(exc).__name__}") from None
        if resp.status_code >= 500:
            raise PartnerOnbereikbaar(f"{url} antwoordde {resp.status_code}")
        try:
            data = resp.json()
        except ValueError:
            raise PartnerOnbereikbaar(f"{url} gaf geen JSON (status {resp.status_code})") from None
        return resp.status_code, data


class Schoolkr8SleutelClient(_JsonClient):
    """``POST {schoolkr8}/api/sleutels/controle``: is the key valid at Schoolkr8 for the school?"""

    def controleer(self, brincode: str, dependancecode: str, autorisatiesleutel: str) -> bool:
        """True if Schoolkr8 says the key is valid for this school; a 4xx answer means not valid."""
        status, data = self._call("POST", "/api/sleutels/controle", json={
            "brincode": brincode,
            "dependancecode": dependancecode,
            "autorisatiesleutel": autorisatiesleutel,
        })
        if status != 200 or not isinstance(data, dict):
            return False
        return data.get("geldig") is True


class TestcentrumLasClient(_JsonClient):
    """``GET {testcentrum}/api/scholen/{brin}/{dep}/las-koppeling``: is the LAS koppeling active?"""

    __test__ = False  # not a pytest test class, despite the name

    def las_koppeling(self, brincode: str, dependancecode: str) -> LasStatus:
        """The school's LAS koppeling as the testcentrum reports it (404 = none)."""
        status, data = self._call("GET", f"/api/scholen/{brincode}/{dependancecode}/las-koppeling")
        if status == 404 or not isinstance(data, dict):
            return LasStatus(actief=False, las=None, school_naam=None)
        if status != 200:
            raise PartnerOnbereikbaar(f"testcentrum antwoordde {status}")
        return LasStatus(
            actief=data.get("actief") is True,
            las=data.get("las"),
            school_naam=data.get("school_naam"),
        )
