"""The manual's steps 0-2 across every mock over real HTTP and real SMTP (the harness): the key
comes by e-mail from Schoolkr8, the testcentrum imports from ParnasSys, AANVRAGEN goes to the
klantenservice, which asks Schoolkr8 and the testcentrum, and mails the beheerder exactly once."""

from __future__ import annotations

import itertools
import re
import string
import uuid
from typing import Any

import requests

from koppeling.client.mailbox import MailboxClient
from koppeling.harness.process import Harness

KEY = re.compile(r"\bsk8_[A-Za-z0-9]{8,}\b")
_brins = (f"97{a}{b}" for a, b in itertools.product(string.ascii_uppercase, repeat=2))


def call(method: str, url: str, body: Any = None, expect: int | None = None) -> Any:
    resp = requests.request(method, url, json=body, timeout=15)
    if expect is not None:
        assert resp.status_code == expect, f"{method} {url}: {resp.status_code} {resp.text}"
    return resp.json() if resp.content else None


def school_with_key(live: Harness, mailbox: MailboxClient) -> tuple[str, str, str]:
    """A school that imported from ParnasSys and holds a Schoolkr8 key it got by e-mail."""
    brin = next(_brins)
    contact = f"contact-{uuid.uuid4().hex[:8]}@{brin.lower()}.test"
    las = live.url("parnassys")
    call(
        "POST",
        f"{las}/api/scholen",
        {"brincode": brin, "schooljaar": "2026-2027", "aantal_leerlingen": 4, "seed": 3},
        201,
    )
    las_key = call(
        "POST",
        f"{las}/api/scholen/{brin}/00/sleutels",
        {"klantcode": "boom-testcentrum", "klantnaam": "Boom testcentrum"},
        201,
    )
    tc = f"{live.url('testcentrum')}/api/scholen/{brin}/00"
    call(
        "PUT",
        f"{tc}/las-koppeling",
        {
            "las": "parnassys",
            "schooljaar": "2026-2027",
            "autorisatiesleutel": las_key["autorisatiesleutel"],
        },
        200,
    )
    call("POST", f"{tc}/las-koppeling/import", None, 200)
    sk8 = live.url("schoolkr8")
    koppeling = call(
        "POST",
        f"{sk8}/api/koppelingen",
        {"brincode": brin, "dependancecode": "00", "contact_email": contact},
        201,
    )
    call("POST", f"{sk8}/api/koppelingen/{koppeling['id']}/activeren", None, 200)
    mail = mailbox.wait_for(contact)
    [key] = set(KEY.findall(mail["Text"]))
    return brin, key, koppeling["id"]


def test_approval_mail_once_over_smtp(live: Harness) -> None:
    mailbox = MailboxClient(live.url("mailbox"))
    brin, key, _ = school_with_key(live, mailbox)
    beheerder = f"beheer-{uuid.uuid4().hex[:8]}@{brin.lower()}.test"
    tc = f"{live.url('testcentrum')}/api/scholen/{brin}/00/dashboard-koppeling"
    body = {"type_dashboard": "SchoolKr8", "autorisatiesleutel": key, "beheerder_email": beheerder}
    first = call("POST", tc, body, 202)
    assert first["status"] == "actief", first
    assert call("POST", tc, body, 409)["field"] == "status"
    direct = {"brincode": brin, "dependancecode": "00", **body}
    again = call("POST", f"{live.url('klantenservice')}/api/aanvragen", direct, 202)
    assert again["id"] == first["aanvraag_id"] and again["nieuw"] is False
    mail = mailbox.wait_for(beheerder, "goedgekeurd")
    assert mail["From"]["Address"] == "klantenservice@boomtestonderwijs.nl"
    assert brin in mail["Subject"] and "Schoolkr8" in mail["Subject"]
    assert key not in mail["Text"] and key not in mail["HTML"]
    assert len(mailbox.messages_to(beheerder)) == 1
    journal = call("GET", f"{live.url('klantenservice')}/__admin/requests?all=1", None, 200)
    assert key not in str(journal)


def test_revoked_key_rejection_mail_with_reason(live: Harness) -> None:
    mailbox = MailboxClient(live.url("mailbox"))
    brin, key, koppeling_id = school_with_key(live, mailbox)
    call("POST", f"{live.url('schoolkr8')}/api/koppelingen/{koppeling_id}/intrekken", None, 200)
    beheerder = f"beheer-{uuid.uuid4().hex[:8]}@{brin.lower()}.test"
    tc = f"{live.url('testcentrum')}/api/scholen/{brin}/00/dashboard-koppeling"
    answer = call(
        "POST",
        tc,
        {"type_dashboard": "Schoolkr8", "autorisatiesleutel": key, "beheerder_email": beheerder},
        202,
    )
    assert answer["status"] == "afgewezen" and "niet geldig" in answer["reden"]
    mail = mailbox.wait_for(beheerder, "afgewezen")
    assert answer["reden"] in mail["Text"]
    assert len(mailbox.messages_to(beheerder)) == 1
