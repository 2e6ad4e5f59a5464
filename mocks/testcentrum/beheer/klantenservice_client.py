"""The stand-in testcentrum's client for Boom klantenservice (AANVRAGEN and its follow-up).

Plain ``requests`` against a base URL from config. Every submission carries an ``Idempotency-Key``
the testcentrum stored before sending, so a retry after a timeout cannot become a second aanvraag
(nor a second e-mail). Unreachable or 5xx is :class:`KlantenserviceOnbereikbaar` (try later); a 4xx
refusal is :class:`KlantenserviceWeigert` with the problem's detail.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from koppeling.client.http import JsonHttpClient

if TYPE_CHECKING:  # requests is imported on first use (start-up time)
    import requests

IDEMPOTENCY_HEADER = "Idempotency-Key"


class KlantenserviceOnbereikbaar(Exception):
    """No usable answer now (connection, timeout, 5xx): the request may be retried."""


class KlantenserviceWeigert(Exception):
    """Klantenservice refused the request itself (4xx): retrying the same will not help."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail


@dataclass(frozen=True)
class AanvraagStatus:
    """Klantenservice's answer; ``status``: in_behandeling|goedgekeurd|afgewezen|ingetrokken;
    ``mail_status`` ``mislukt`` when the decision's e-mail could not be sent (for good)."""

    GOEDGEKEURD: ClassVar[str] = "goedgekeurd"
    AFGEWEZEN: ClassVar[str] = "afgewezen"
    MAIL_MISLUKT: ClassVar[str] = "mislukt"

    id: str
    status: str
    reden: str | None = None
    mail_status: str | None = None


class KlantenserviceClient(JsonHttpClient):
    """``POST /api/aanvragen``, ``GET /api/aanvragen/{id}``, ``POST …/{id}/intrekken``."""

    unreachable = KlantenserviceOnbereikbaar
    no_answer = "{url}: {error}"

    def dien_in(
        self,
        *,
        brincode: str,
        dependancecode: str,
        type_dashboard: str,
        autorisatiesleutel: str,
        beheerder_email: str,
        idempotency_key: str,
    ) -> AanvraagStatus:
        """Submit an aanvraag (a retry with the same ``idempotency_key`` returns the same one)."""
        body = {
            "brincode": brincode,
            "dependancecode": dependancecode,
            "type_dashboard": type_dashboard,
            "autorisatiesleutel": autorisatiesleutel,
            "beheerder_email": beheerder_email,
        }
        return self._status(
            self._call(
                "POST", "/api/aanvragen", json=body, headers={IDEMPOTENCY_HEADER: idempotency_key}
            )
        )

    def status(self, aanvraag_id: str) -> AanvraagStatus:
        """The current status of an aanvraag."""
        return self._status(self._call("GET", f"/api/aanvragen/{aanvraag_id}"))

    def trek_in(self, aanvraag_id: str) -> AanvraagStatus:
        """Tell klantenservice the school deactivated the koppeling."""
        return self._status(self._call("POST", f"/api/aanvragen/{aanvraag_id}/intrekken"))

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        resp = self._send(method, path, **kwargs)
        data = _json(resp)
        if resp.status_code >= 400:
            detail = data.get("detail") or data.get("title") or resp.reason
            raise KlantenserviceWeigert(resp.status_code, str(detail))
        return data

    @staticmethod
    def _status(data: dict[str, Any]) -> AanvraagStatus:
        if not isinstance(data.get("id"), str) or not isinstance(data.get("status"), str):
            raise KlantenserviceOnbereikbaar(f"onverwacht antwoord zonder id/status: {data!r}")
        reden, mail = data.get("reden"), data.get("mail_status")
        return AanvraagStatus(
            data["id"],
            data["status"],
            reden if isinstance(reden, str) else None,
            mail if isinstance(mail, str) else None,
        )


def _json(resp: requests.Response) -> dict[str, Any]:
    try:
        data = resp.json()
    except ValueError:
        if resp.status_code >= 400:
            return {}
        raise KlantenserviceOnbereikbaar(
            f"geen JSON van klantenservice (status {resp.status_code})"
        ) from None
    return data if isinstance(data, dict) else {}
