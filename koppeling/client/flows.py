"""The setup sequences every caller repeats, written once: a LAS school with a key for a klant,
the Schoolkr8 key by e-mail, the LAS koppeling at the testcentrum, pupils numbered at Schoolkr8,
and a school through steps 0-3 of the manual with its dashboard koppeling approved.

They speak only the services' HTTP APIs (through :mod:`koppeling.client`), so they work against
the in-process harness and against services running elsewhere alike.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

from koppeling.client.clients import Clients
from koppeling.client.http import ProblemError
from koppeling.client.las import Klant, LasAdmin
from koppeling.client.mailbox import MailboxClient
from koppeling.client.school import SchoolRef
from koppeling.client.schoolkr8 import Schoolkr8Admin
from koppeling.client.testcentrum import STAND_IN_KLANT, TestcentrumClient

# A Schoolkr8 autorisatiesleutel as its mail carries it.
SCHOOLKR8_SLEUTEL = re.compile(r"\bsk8_[A-Za-z0-9]{16,}\b")
# Who a pupil numbered at Schoolkr8 is when only its number matters.
PLACEHOLDER_LEERLING = {
    "voornaam": "Kim",
    "achternaam": "Test",
    "geboortedatum": "2017-05-01",
    "groep": "Dolfijnen",
}


@dataclass(frozen=True)
class LasSchool:
    """A school at the LAS (``data``: its schooljaar, groepen, leerlingen) and a key for it."""

    data: dict[str, Any]
    sleutel: str

    @property
    def leerlingnummers(self) -> list[str]:
        return [str(p["leerlingnummer"]) for p in self.data.get("leerlingen") or []]


def create_las_school(
    las: LasAdmin, school: SchoolRef, klant: Klant, *, reuse: bool = False, **fields: Any
) -> LasSchool:
    """The school at the LAS (``fields`` as :meth:`LasAdmin.create_school`; with ``reuse`` an
    existing school is taken as it is) and a new key of it for ``klant``."""
    try:
        data = las.create_school(school, **fields)
    except ProblemError as exc:
        if not (reuse and exc.status == 409):
            raise
        data = las.school(school)
    return LasSchool(data, las.issue_sleutel(school, klant))


@dataclass(frozen=True)
class Schoolkr8Sleutel:
    """An activated Schoolkr8 koppeling and the key its mail brought (``mail``: as the mailbox
    API shows it; ``activated``: Schoolkr8's answer to activeren, which never holds the key)."""

    koppeling_id: str
    sleutel: str
    mail: dict[str, Any]
    activated: dict[str, Any]


def schoolkr8_sleutel(
    sk8: Schoolkr8Admin,
    mailbox: MailboxClient,
    school: SchoolRef,
    contact_email: str,
    *,
    koppeling_id: str | None = None,
    timeout: float = 10.0,
) -> Schoolkr8Sleutel:
    """Koppeling aanvragen (unless ``koppeling_id`` is one), activeren, and the key from the new
    mail to ``contact_email`` (activating again issues a new key in a new mail)."""
    koppeling_id = koppeling_id or sk8.aanvragen(school, contact_email)
    before = {str(m["ID"]) for m in mailbox.messages_to(contact_email)}
    activated = sk8.activeren(koppeling_id)
    mail = mailbox.wait_for(contact_email, timeout=timeout, ignore=before)
    return Schoolkr8Sleutel(koppeling_id, read_sleutel(mail), mail, activated)


def read_sleutel(mail: dict[str, Any]) -> str:
    """The Schoolkr8 autorisatiesleutel in a mail (its text, else its HTML)."""
    for part in (mail.get("Text"), mail.get("HTML")):
        found = SCHOOLKR8_SLEUTEL.search(str(part or ""))
        if found:
            return found.group(0)
    raise ValueError(f"no autorisatiesleutel in the mail {mail.get('Subject')!r}")


def connect_las(
    tc: TestcentrumClient, school: SchoolRef, *, las: str, schooljaar: str, sleutel: str
) -> dict[str, Any]:
    """WIJZIGINGEN OPSLAAN with the LAS key, then GEGEVENS IMPORTEREN; the import's counts."""
    tc.save_las_koppeling(school, las=las, schooljaar=schooljaar, autorisatiesleutel=sleutel)
    return tc.importeer(school)


def number_leerlingen(
    sk8: Schoolkr8Admin, school: SchoolRef, leerlingnummers: list[str]
) -> dict[str, str]:
    """A Schoolkr8 pupil per number, each given its number (Wijzig leerlingnummer);
    leerlingnummer -> the pupil's Schoolkr8 id."""
    ids: dict[str, str] = {}
    for nummer in leerlingnummers:
        pupil_id = str(sk8.add_leerling(school, **PLACEHOLDER_LEERLING)["id"])
        sk8.set_leerlingnummer(pupil_id, nummer)
        ids[nummer] = pupil_id
    return ids


@dataclass
class PreparedSchool:
    """A school through steps 0-3: what later steps need of it."""

    school: SchoolRef
    leerlingnummers: list[str]
    sleutel: Schoolkr8Sleutel
    schoolkr8_ids: dict[str, str] = field(default_factory=dict)  # leerlingnummer -> id


def prepare_school(
    clients: Clients,
    school: SchoolRef,
    *,
    schooljaar: str,
    contact_email: str,
    las: str = "parnassys",
    **fields: Any,
) -> PreparedSchool:
    """Steps 0-3 of the manual over the APIs: the school at the LAS (``fields`` as
    :meth:`LasAdmin.create_school`), LAS koppeling and import at the stand-in testcentrum, the
    Schoolkr8 key by e-mail, every pupil numbered at Schoolkr8. Not yet AANVRAGEN."""
    made = create_las_school(
        clients.las(las), school, STAND_IN_KLANT, schooljaar=schooljaar, **fields
    )
    connect_las(clients.testcentrum, school, las=las, schooljaar=schooljaar, sleutel=made.sleutel)
    sleutel = schoolkr8_sleutel(clients.schoolkr8, clients.mailbox, school, contact_email)
    numbered = number_leerlingen(clients.schoolkr8, school, made.leerlingnummers)
    return PreparedSchool(school, made.leerlingnummers, sleutel, numbered)


def activate_dashboard(
    tc: TestcentrumClient,
    school: SchoolRef,
    *,
    sleutel: str,
    beheerder_email: str,
    timeout: float = 30.0,
) -> dict[str, Any]:
    """AANVRAGEN for Schoolkr8, then wait until klantenservice approved it (status ``actief``);
    the dashboard koppeling as the testcentrum then shows it."""
    tc.aanvragen(
        school,
        type_dashboard="Schoolkr8",
        autorisatiesleutel=sleutel,
        beheerder_email=beheerder_email,
    )
    deadline = time.monotonic() + timeout
    while True:
        state = tc.dashboard_koppeling(school) or {}
        if state.get("status") == "actief":
            return state
        if time.monotonic() > deadline:
            raise TimeoutError(f"the dashboard koppeling of {school.key} is not actief: {state}")
        time.sleep(0.05)
