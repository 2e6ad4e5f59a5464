"""Schoolkr8 on real ports with the real SMTP sink and mailbox API, on a private store per module.

Every test makes its own school (a fresh BRIN): tests share the servers without seeing each other.
"""

from __future__ import annotations

import itertools
import re
import string
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
import requests
from flask import Flask

from koppeling.client.mailbox import MailboxClient
from koppeling.harness.hosts import allowed_names
from koppeling.harness.mail import SmtpMailer
from koppeling.harness.server import ServerThread
from koppeling.harness.service import Core
from koppeling.harness.store import Database
from koppeling.uwlr.autorisatie import Autorisatie
from koppeling.uwlr.leerresultaten import (
    LeerresultatenVerzoek,
    Resultaat,
    School,
    Toets,
    Toetsafname,
    build_verzoek,
    request_envelope,
)
from mocks.mailbox.app import create_app as create_mailbox
from mocks.mailbox.smtp import SmtpSink
from mocks.schoolkr8.app import create_app

KEY_RE = re.compile(r"\bsk8_[A-Za-z0-9]{20,}\b")
# Test-range BRINs 90AA-98ZZ (the scenarios use 99AA-99ZZ).
_BRINS = (
    f"9{d}{a}{b}" for d in range(9) for a, b in itertools.product(string.ascii_uppercase, repeat=2)
)


def fresh_brin() -> str:
    """A BRIN code no other test in this process uses."""
    return next(_BRINS)


@pytest.fixture(scope="module")
def sk8_core() -> Iterator[Core]:
    """A core over a private in-memory store; it also answers to ``sk8.example`` (the WSDL test
    reaches Schoolkr8 by that name)."""
    core = Core.create(
        Database.memory(), journal_limit=5000, allowed_hosts=allowed_names(extra=["sk8.example"])
    )
    yield core
    core.db.dispose()


@pytest.fixture(scope="module")
def sk8_servers(sk8_core: Core) -> Iterator[dict[str, str]]:
    """Schoolkr8 and the mailbox on free ports, mail through the real SMTP sink."""
    with SmtpSink(sk8_core) as sink:
        sk8_core.mailer = SmtpMailer("127.0.0.1", sink.smtp_port or 0)
        with (
            ServerThread(create_app({}, core=sk8_core)) as sk8,
            ServerThread(create_mailbox({}, core=sk8_core)) as mailbox,
        ):
            sk8_core.urls.update({"schoolkr8": sk8.url, "mailbox": mailbox.url})
            yield {"schoolkr8": sk8.url, "mailbox": mailbox.url}


@pytest.fixture
def sk8_app(sk8_core: Core) -> Flask:
    """The Schoolkr8 app for test_client() unit tests (same store)."""
    return create_app({}, core=sk8_core)


def make_verzoek(
    brin: str,
    dep: str,
    *afnames: tuple[str, str],
    xsdversie: str = "2.2",
    percentiel: int = 55,
) -> LeerresultatenVerzoek:
    """A request for school ``brin``-``dep`` with one normed result per (leerlingid, key)."""
    school = School("2026-2027", brin, datetime(2026, 11, 2, 9, 0, tzinfo=UTC), dep, xsdversie)
    items = tuple(
        Toetsafname(
            lid,
            (
                Resultaat.genormeerd(
                    key,
                    date(2026, 10, 30),
                    "LVS RW 2019",
                    ruwe_score=40,
                    vaardigheidsscore=180,
                    percentiel=percentiel,
                    niveau="III",
                    dle=22,
                ),
            ),
        )
        for lid, key in afnames
    )
    return LeerresultatenVerzoek(school, items, (Toets("LVS RW 2019", "LVS Rekenen-Wiskunde"),))


@dataclass
class Sk8:
    """A test's handle on Schoolkr8: its own school, HTTP helpers, the mailbox."""

    base: str
    mailbox: MailboxClient
    brin: str
    dep: str = "00"

    @property
    def email(self) -> str:
        return f"beheerder@{self.brin.lower()}-{self.dep}.school.test"

    def call(self, method: str, path: str, body: Any = None, status: int | None = None) -> Any:
        resp = requests.request(method, self.base + path, json=body, timeout=10)
        if status is not None:
            assert resp.status_code == status, resp.text
        return resp.json()

    def koppeling(self, email: str | None = None) -> str:
        return str(
            self.call(
                "POST",
                "/api/koppelingen",
                {
                    "brincode": self.brin,
                    "dependancecode": self.dep,
                    "contact_email": email or self.email,
                },
                201,
            )["id"]
        )

    def activate(
        self, koppeling_id: str, seen: set[str] | None = None
    ) -> tuple[str, dict[str, Any]]:
        """Activate and read the key from the mail; returns (key, mail)."""
        self.call("POST", f"/api/koppelingen/{koppeling_id}/activeren", status=200)
        mail = self.mailbox.wait_for(
            self.email, "autorisatiesleutel", timeout=10, ignore=seen or set()
        )
        found = KEY_RE.findall(mail["Text"])
        assert len(found) == 1, mail["Text"]
        return found[0], mail

    def key(self) -> str:
        return self.activate(self.koppeling())[0]

    def pupil(self, nummer: str | None = None, voornaam: str = "Sanne") -> int:
        made = self.call(
            "POST",
            f"/api/scholen/{self.brin}/{self.dep}/leerlingen",
            {
                "voornaam": voornaam,
                "achternaam": "Jansen",
                "geboortedatum": "2016-03-14",
                "groep": "Dolfijnen",
            },
            201,
        )
        if nummer is not None:
            self.call(
                "PUT",
                f"/api/leerlingen/{made['id']}/leerlingnummer",
                {"leerlingnummer": nummer},
                200,
            )
        return int(made["id"])

    def results(self, pupil_id: int) -> list[dict[str, Any]]:
        return list(
            self.call("GET", f"/api/leerlingen/{pupil_id}/resultaten", status=200)["resultaten"]
        )

    def parked(self) -> list[dict[str, Any]]:
        return list(
            self.call("GET", f"/api/scholen/{self.brin}/{self.dep}/niet-gekoppeld", status=200)[
                "resultaten"
            ]
        )

    def verzoek(
        self,
        *afnames: tuple[str, str],
        brin: str | None = None,
        xsdversie: str = "2.2",
        percentiel: int = 55,
    ) -> LeerresultatenVerzoek:
        """A request with one normed result per (leerlingid, key)."""
        return make_verzoek(
            brin or self.brin, self.dep, *afnames, xsdversie=xsdversie, percentiel=percentiel
        )

    def breng(self, key: str, verzoek: LeerresultatenVerzoek | bytes) -> requests.Response:
        data = (
            verzoek
            if isinstance(verzoek, bytes)
            else request_envelope(
                build_verzoek(verzoek), Autorisatie(key, "boom-testcentrum", "Boom testcentrum")
            )
        )
        return requests.post(
            self.base + "/uwlr/leerresultaten",
            data=data,
            timeout=10,
            headers={
                "Content-Type": "text/xml; charset=utf-8",
                "SOAPAction": '"BrengLeerresultaten"',
            },
        )


@pytest.fixture
def sk8(sk8_servers: dict[str, str], sk8_core: Core) -> Iterator[Sk8]:
    """A fresh school at Schoolkr8; server-side errors are re-raised at teardown."""
    sk8_core.errors.clear()
    yield Sk8(sk8_servers["schoolkr8"], MailboxClient(sk8_servers["mailbox"]), fresh_brin())
    errors = list(sk8_core.errors)
    sk8_core.errors.clear()
    if errors:
        raise errors[0]
