"""The stand-in testcentrum's client for Schoolkr8's UWLR Leerresultaten service.

This is the code the Pact contracts exercise and the code that can be pointed at a real Schoolkr8:
plain ``requests`` + ``lxml`` (through the shared codec :mod:`koppeling.uwlr.leerresultaten`),
no Flask,
the base URL passed in. It sorts every outcome into three kinds the forwarder acts on:

* success - an empty ``leerresultaten_bevestiging``;
* :class:`TransientDeliveryError` - try again later: timeouts, connection errors, HTTP 5xx/408/429,
  ``Server.*`` faults, an answer that is not understood;
* :class:`RejectedDelivery` - do not retry: ``Client.*`` faults and other 4xx answers.

The autorisatiesleutel never appears in an exception or log line (only its masked form).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lxml import etree

from koppeling.client.testcentrum import STAND_IN_KLANT
from koppeling.harness.errors import SoapFault
from koppeling.harness.keys import mask, mask_text
from koppeling.uwlr.autorisatie import Autorisatie
from koppeling.uwlr.leerresultaten import (
    NS,
    SOAP_ACTION,
    LeerresultatenVerzoek,
    build_verzoek,
    request_envelope,
)
from koppeling.uwlr.soap import SOAP_CONTENT_TYPE, SOAP_ENV, parse_xml, read_fault

if TYPE_CHECKING:  # requests is imported on first use (start-up time)
    import requests

log = logging.getLogger("koppeling.testcentrum.schoolkr8")

LEERRESULTATEN_PATH = "/uwlr/leerresultaten"
# Who the testcentrum is at Schoolkr8: the same klant as at the LAS.
DEFAULT_KLANTCODE, DEFAULT_KLANTNAAM = STAND_IN_KLANT.code, STAND_IN_KLANT.naam
_RETRY_STATUSES = frozenset({408, 425, 429})


class DeliveryError(Exception):
    """BrengLeerresultaten did not succeed; ``reason`` says why in one line (no secrets)."""

    transient = False

    def __init__(self, reason: str, fault: SoapFault | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.fault = fault

    @property
    def code(self) -> str | None:
        """The UWLR fault code (``Client.AutorisatieOngeldig`` ...), if the answer was a fault."""
        return self.fault.code if self.fault is not None else None


class TransientDeliveryError(DeliveryError):
    """Worth retrying: the partner was down, slow or temporarily failing."""

    transient = True


class RejectedDelivery(DeliveryError):
    """Refused for good (a ``Client.*`` fault): retrying the same message cannot help."""


@dataclass(frozen=True)
class Schoolkr8Config:
    """Where and as whom to deliver: the base URL and the klant identification of the sender."""

    base_url: str
    klantcode: str = DEFAULT_KLANTCODE
    klantnaam: str = DEFAULT_KLANTNAAM
    timeout: float = 10.0
    path: str = LEERRESULTATEN_PATH


class Schoolkr8Client:
    """``breng_leerresultaten(verzoek, autorisatiesleutel)`` over SOAP 1.1."""

    def __init__(self, config: Schoolkr8Config, *, session: requests.Session | None = None) -> None:
        import requests

        self.config = config
        self.session = session or requests.Session()

    @property
    def endpoint(self) -> str:
        return self.config.base_url.rstrip("/") + self.config.path

    def breng_leerresultaten(self, verzoek: LeerresultatenVerzoek, autorisatiesleutel: str) -> None:
        """Deliver ``verzoek``; raises :class:`DeliveryError` (transient or rejected) otherwise."""
        import requests

        autorisatie = Autorisatie(autorisatiesleutel, self.config.klantcode, self.config.klantnaam)
        body = request_envelope(build_verzoek(verzoek), autorisatie)
        headers = {"Content-Type": SOAP_CONTENT_TYPE, "SOAPAction": f'"{SOAP_ACTION}"'}
        where = f"BrengLeerresultaten naar {self.endpoint} (sleutel {mask(autorisatiesleutel)})"
        try:
            resp = self.session.post(
                self.endpoint, data=body, headers=headers, timeout=self.config.timeout
            )
        except requests.Timeout:
            raise TransientDeliveryError(
                f"time-out na {self.config.timeout:g} s bij {where}"
            ) from None
        except requests.RequestException as exc:
            raise TransientDeliveryError(
                f"verbindingsfout bij {where}: {type(exc).__name__}"
            ) from None
        _check_answer(resp, where)


def _check_answer(resp: requests.Response, where: str) -> None:
    fault = read_fault(resp.content) if resp.content else None
    if fault is not None:
        reason = mask_text(f"{fault.code}: {fault.message}")
        if fault.is_client:
            raise RejectedDelivery(reason, fault)
        raise TransientDeliveryError(reason, fault)
    status = resp.status_code
    if status >= 500 or status in _RETRY_STATUSES:
        raise TransientDeliveryError(f"HTTP {status} bij {where}")
    if status >= 400:
        raise RejectedDelivery(f"HTTP {status} bij {where}")
    if not _is_bevestiging(resp.content):
        raise TransientDeliveryError(f"onverwacht antwoord (HTTP {status}) bij {where}")


def _is_bevestiging(data: bytes) -> bool:
    try:
        root = parse_xml(data)
    except SoapFault:
        return False
    body = root.find(f"{{{SOAP_ENV}}}Body")
    if body is None or len(body) != 1:
        return False
    return bool(
        etree.QName(body[0]).localname == "leerresultaten_bevestiging"
        and etree.QName(body[0]).namespace == NS
    )
