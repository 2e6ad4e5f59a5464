"""A client of every service of one harness, from the map service name -> base URL that
``Core.urls`` holds (or that ``--against`` configures for services running elsewhere)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, TypeVar

from koppeling.client.admin import HarnessAdmin
from koppeling.client.http import ApiClient
from koppeling.client.klantenservice import KlantenserviceAdmin
from koppeling.client.las import LasAdmin
from koppeling.client.mailbox import MailboxClient
from koppeling.client.schoolkr8 import Schoolkr8Admin
from koppeling.client.testcentrum import TestcentrumClient

if TYPE_CHECKING:  # requests is imported on first use (start-up time)
    import requests

C = TypeVar("C", bound=ApiClient)


class Clients:
    """``Clients(urls, session=…)``: ``las("esis")``, ``schoolkr8``, ``klantenservice``,
    ``testcentrum``, ``mailbox`` and ``admin(service)``, all on one session (if given)."""

    def __init__(
        self,
        urls: Mapping[str, str],
        *,
        session: requests.Session | None = None,
        timeout: float | None = None,
    ) -> None:
        self.urls = {name: url.rstrip("/") for name, url in urls.items()}
        self.session = session
        self.timeout = timeout

    def url(self, service: str) -> str:
        try:
            return self.urls[service]
        except KeyError:
            raise ValueError(f"no URL for {service}; have {', '.join(sorted(self.urls))}") from None

    def las(self, flavour: str = "parnassys") -> LasAdmin:
        """The LAS ``flavour`` (``parnassys`` or ``esis``)."""
        return self._client(LasAdmin, flavour)

    @property
    def schoolkr8(self) -> Schoolkr8Admin:
        return self._client(Schoolkr8Admin, "schoolkr8")

    @property
    def klantenservice(self) -> KlantenserviceAdmin:
        return self._client(KlantenserviceAdmin, "klantenservice")

    @property
    def testcentrum(self) -> TestcentrumClient:
        return self._client(TestcentrumClient, "testcentrum")

    @property
    def mailbox(self) -> MailboxClient:
        return self._client(MailboxClient, "mailbox")

    def admin(self, service: str) -> HarnessAdmin:
        """The ``/__admin`` API of ``service``."""
        return self._client(HarnessAdmin, service)

    def _client(self, kind: type[C], service: str) -> C:
        return kind(self.url(service), session=self.session, timeout=self.timeout, service=service)
