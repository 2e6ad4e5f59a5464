"""BrengLeerresultaten at Schoolkr8: check the sender's key, the message, then store each result.

Order of checks, each a UWLR fault: the autorisatie header (``Client.AutorisatieOngeldig`` when
missing), the message structure (``Client.OngeldigBericht``, checked in code by
:func:`koppeling.uwlr.leerresultaten.parse_verzoek`), the key against the school named in the
message (``Client.AutorisatieOngeldig``: unknown, revoked, or another school's key), the version
(``Client.XsdVersieOngeldig``), and - when the school refuses unmatched results - the pupils
(``Client.LeerlingOngeldig``). A message is stored whole or not at all: every check and write
of :func:`accept` runs in one write transaction (maybe shared with other messages, see
:meth:`Schoolkr8Service.breng_leerresultaten
<mocks.schoolkr8.service.Schoolkr8Service.breng_leerresultaten>`); everything that needs no store
- parsing, the results' rows, their JSON - is done before, by :func:`prepare`, outside the write
lock.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection

from koppeling.harness.errors import SoapFault
from koppeling.harness.schools import school_key
from koppeling.uwlr.autorisatie import Autorisatie, read_autorisatie
from koppeling.uwlr.leerresultaten import LeerresultatenVerzoek, Resultaat, parse_verzoek
from koppeling.uwlr.soap import Envelope
from mocks.schoolkr8.store import WEIGEREN, NieuwResultaat, Schoolkr8Store

log = logging.getLogger("koppeling.schoolkr8.intake")

ACCEPTED_VERSIONS = ("2.2",)


@dataclass(frozen=True)
class Ontvangst:
    """What one accepted message did (for logs and the journal: counts only)."""

    school: str
    resultaten: int
    nieuw: int
    bijgewerkt: int
    geparkeerd: int


def read(env: Envelope) -> tuple[Autorisatie, LeerresultatenVerzoek]:
    """The autorisatie header and the parsed request; faults when either is missing or invalid."""
    autorisatie = read_autorisatie(env)
    return autorisatie, parse_verzoek(env.body)


@dataclass(frozen=True)
class Bericht:
    """A parsed message, ready to store: what :func:`accept` needs, prepared outside the lock."""

    school: str
    autorisatie: Autorisatie
    xsdversie: str
    items: list[NieuwResultaat]
    numbers: set[str]


def prepare(autorisatie: Autorisatie, verzoek: LeerresultatenVerzoek) -> Bericht:
    """The message as :func:`accept` stores it: its results as rows, their figures as JSON."""
    items = _items(verzoek)
    return Bericht(
        school_key(verzoek.school.brincode, verzoek.school.dependancecode),
        autorisatie,
        verzoek.school.xsdversie,
        items,
        {item.leerlingid.strip() for item in items},
    )


def accept(store: Schoolkr8Store, conn: Connection, bericht: Bericht, now: datetime) -> Ontvangst:
    """Check key, version and pupils, then store the results, in the caller's transaction
    (``conn``); raises :class:`SoapFault` when refused (having written nothing)."""
    school, items = bericht.school, bericht.items
    _check_sender(store, conn, bericht)  # a live key implies a known school
    pupils = store.pupils_by_number(conn, school, bericht.numbers)
    unknown = sorted(bericht.numbers - pupils.keys())
    if unknown and store.beleid(conn, school) == WEIGEREN:
        raise SoapFault(
            "Client.LeerlingOngeldig",
            f"Onbekend leerlingid bij deze school: {', '.join(unknown[:10])}"
            + (f" (en {len(unknown) - 10} meer)" if len(unknown) > 10 else ""),
        )
    nieuw, bijgewerkt = store.upsert_resultaten(conn, school, items, pupils, now)
    parked = sum(1 for item in items if item.leerlingid.strip() not in pupils)
    return Ontvangst(school, len(items), nieuw, bijgewerkt, parked)


def log_ontvangst(ontvangst: Ontvangst) -> None:
    """One log line per accepted message (counts only)."""
    log.info(
        "BrengLeerresultaten %s: %d results (%d new, %d updated, %d parked)",
        ontvangst.school,
        ontvangst.resultaten,
        ontvangst.nieuw,
        ontvangst.bijgewerkt,
        ontvangst.geparkeerd,
    )


def _check_sender(store: Schoolkr8Store, conn: Connection, bericht: Bericht) -> None:
    if not store.live_key_matches(conn, bericht.school, bericht.autorisatie.autorisatiesleutel):
        raise SoapFault(
            "Client.AutorisatieOngeldig",
            "De autorisatiesleutel is niet (meer) geldig voor deze school",
        )
    xsdversie = bericht.xsdversie
    if xsdversie.strip() not in ACCEPTED_VERSIONS:
        raise SoapFault(
            "Client.XsdVersieOngeldig",
            f"xsdversie {xsdversie!r} wordt niet ondersteund (wel: 2.2)",
        )


def _items(verzoek: LeerresultatenVerzoek) -> list[NieuwResultaat]:
    names = {toets.toetscode: toets.toetsnaam for toets in verzoek.toetsen}
    return [
        NieuwResultaat(
            resultaat.key,
            afname.leerlingid,
            resultaat.toetscode,
            names.get(resultaat.toetscode),
            resultaat.afnamedatum,
            json.dumps(gegevens(resultaat)),
        )
        for afname, resultaat in verzoek.resultaten()
    ]


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    return value


def gegevens(resultaat: Resultaat) -> dict[str, Any]:
    """The figures of a result as shown over the API (strings for decimals, as received)."""
    data: dict[str, Any] = {
        "score": resultaat.score,
        "ruwe_score": resultaat.ruwe_score,
        "vaardigheidsscore": _plain(resultaat.vaardigheidsscore),
        "percentiel": resultaat.percentiel,
        "niveau": resultaat.niveau,
        "dle": resultaat.dle,
        "referentiescores": [
            {
                "code": r.codereferentiescore,
                "vergelijkingsgroep": r.codevergelijkingsgroep,
                "waarde": r.waarde,
            }
            for r in resultaat.referentiescores
        ],
    }
    if resultaat.versie is not None:
        data["versie"] = resultaat.versie
    return data
