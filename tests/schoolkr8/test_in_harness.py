"""Schoolkr8 and the mailbox as the harness wires them: sink from create_worker, mail via core."""

from __future__ import annotations

import requests

from koppeling.client.mailbox import MailboxClient
from koppeling.harness.process import Harness
from tests.schoolkr8.conftest import KEY_RE, fresh_brin


def test_key_mail_reaches_the_harness_mailbox(live: Harness) -> None:
    """Activation in the running harness: the key mail is readable through the mailbox API."""
    base = live.url("schoolkr8")
    brin = fresh_brin()
    email = f"beheerder@{brin.lower()}.harness.test"
    made = requests.post(
        f"{base}/api/koppelingen",
        timeout=10,
        json={"brincode": brin, "dependancecode": "00", "contact_email": email},
    )
    assert made.status_code == 201, made.text
    activated = requests.post(f"{base}/api/koppelingen/{made.json()['id']}/activeren", timeout=10)
    assert activated.status_code == 200, activated.text
    mail = MailboxClient(live.url("mailbox")).wait_for(email, "autorisatiesleutel", timeout=10)
    (key,) = KEY_RE.findall(mail["Text"])
    check = requests.post(
        f"{base}/api/sleutels/controle",
        timeout=10,
        json={"brincode": brin, "dependancecode": "00", "autorisatiesleutel": key},
    )
    assert check.json() == {"geldig": True}
