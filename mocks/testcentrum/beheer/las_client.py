"""The stand-in testcentrum's UWLR Leerlinggegevens client (GEGEVENS IMPORTEREN).

A real SOAP 1.1 client — ``requests`` for HTTP, the shared codec
:mod:`koppeling.uwlr.leerlinggegevens`
for the XML — aimed at any LAS endpoint URL, so it runs against the ParnasSys and ESIS mocks or a
real LAS alike. Every failure comes out as one :class:`LasFout` carrying the UWLR fault code (the
LAS's own, or ``Server.NietBereikbaar`` / ``Server.OngeldigAntwoord`` for what happened on the
way), so the testcentrum can show the school a clear message instead of a traceback.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from koppeling.harness.errors import SoapFault
from koppeling.uwlr import leerlinggegevens as lg
from koppeling.uwlr.autorisatie import Autorisatie
from koppeling.uwlr.soap import SOAP_CONTENT_TYPE

if TYPE_CHECKING:  # requests is imported on first use (start-up time)
    import requests

# Where each LAS serves UWLR Leerlinggegevens, relative to its base URL (docs/architecture.md).
LAS_PATHS = {"parnassys": "/uwlr/leerlinggegevens", "esis": "/UWLR/UwlrStandaard2.2.svc"}
LAS_NAMEN = {"parnassys": "ParnasSys", "esis": "ESIS"}

UNREACHABLE = "Server.NietBereikbaar"
BAD_ANSWER = "Server.OngeldigAntwoord"


class LasFout(Exception):
    """The LAS could not deliver: ``code`` is the UWLR fault code, ``message`` says why."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message

    @property
    def is_client(self) -> bool:
        """A ``Client.*`` fault: our request or settings are wrong, retrying will not help."""
        return self.code.startswith("Client.")


def endpoint_of(las: str, base_url: str) -> str:
    """The Leerlinggegevens endpoint of ``las`` (parnassys | esis) at ``base_url``."""
    try:
        return base_url.rstrip("/") + LAS_PATHS[las]
    except KeyError:
        raise ValueError(f"las must be one of {sorted(LAS_PATHS)}, got {las!r}") from None


class LasClient:
    """Calls ``HaalLeerlinggegevens`` at one endpoint."""

    def __init__(
        self, endpoint: str, *, session: requests.Session | None = None, timeout: float = 30.0
    ) -> None:
        self.endpoint = endpoint
        # Without a session each call opens and closes its own connection (nothing leaks);
        # pass a Session to reuse connections, and close it yourself.
        self.session = session
        self.timeout = timeout

    def haal_leerlinggegevens(
        self,
        autorisatie: Autorisatie,
        *,
        schooljaar: str,
        brincode: str,
        dependancecode: str,
        laatstontvangengegevens: datetime | None = None,
    ) -> lg.Antwoord:
        """All pupils, groups and staff of one school for one schooljaar (a full import; with
        ``laatstontvangengegevens`` the LAS may answer ``geenwijzigingen``)."""
        body = lg.build_request(
            "HaalLeerlinggegevens",
            autorisatie,
            schooljaar=schooljaar,
            brincode=brincode,
            dependancecode=dependancecode,
            laatstontvangengegevens=laatstontvangengegevens,
        )
        data = self._post(body, lg.soap_action("HaalLeerlinggegevens"))
        try:
            answer = lg.parse_answer(data, "HaalLeerlinggegevens")
        except SoapFault as fault:
            raise LasFout(fault.code, fault.message) from None
        except ValueError as exc:  # a malformed date or time inside the answer
            raise LasFout(BAD_ANSWER, f"onleesbaar antwoord: {exc}") from None
        _check_school(answer, brincode, dependancecode)
        return answer

    def _post(self, body: bytes, action: str) -> bytes:
        import requests

        headers = {"Content-Type": SOAP_CONTENT_TYPE, "SOAPAction": f'"{action}"'}
        try:
            sender = self.session.post if self.session else requests.post
            resp = sender(self.endpoint, data=body, headers=headers, timeout=self.timeout)
        except requests.Timeout:
            raise LasFout(
                UNREACHABLE, f"geen antwoord van {self.endpoint} binnen {self.timeout:g} s"
            ) from None
        except requests.RequestException as exc:
            raise LasFout(
                UNREACHABLE, f"{self.endpoint} niet bereikbaar ({type(exc).__name__})"
            ) from None
        if resp.status_code != 200 and b"Fault" not in resp.content:
            code = "Server.TijdelijkNietBeschikbaar" if resp.status_code == 503 else BAD_ANSWER
            raise LasFout(code, f"{self.endpoint} antwoordde HTTP {resp.status_code}")
        return resp.content


def _check_school(answer: lg.Antwoord, brincode: str, dependancecode: str) -> None:
    if answer.gegevens is None:
        return
    school = answer.gegevens.school
    if (school.brincode, school.dependancecode or "00") != (brincode, dependancecode):
        raise LasFout(
            BAD_ANSWER,
            f"het LAS stuurde gegevens van {school.brincode}-"
            f"{school.dependancecode}, gevraagd was {brincode}-"
            f"{dependancecode}",
        )
