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

from koppeling.client.http import JsonHttpClient


class PartnerOnbereikbaar(Exception):
    """The partner did not give a usable answer now (try again later)."""


@dataclass(frozen=True)
class LasStatus:
    """What the testcentrum says about a school's LAS koppeling."""

    actief: bool
    las: str | None
    school_naam: str | None


class _JsonClient(JsonHttpClient):
    unreachable = PartnerOnbereikbaar
    default_timeout = 5.0

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        resp = self._send(method, path, **kwargs)
        try:
            data = resp.json()
        except ValueError:
            url = self.base_url + path
            raise PartnerOnbereikbaar(f"{url} gaf geen JSON (status {resp.status_code})") from None
        return resp.status_code, data


class Schoolkr8SleutelClient(_JsonClient):
    """``POST {schoolkr8}/api/sleutels/controle``: is the key valid at Schoolkr8 for the school?"""

    def controleer(self, brincode: str, dependancecode: str, autorisatiesleutel: str) -> bool:
        """True if Schoolkr8 says the key is valid for this school; a 4xx answer means not valid."""
        status, data = self._call(
            "POST",
            "/api/sleutels/controle",
            json={
                "brincode": brincode,
                "dependancecode": dependancecode,
                "autorisatiesleutel": autorisatiesleutel,
            },
        )
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
