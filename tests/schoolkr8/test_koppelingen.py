"""Key issuance: the key exists only in the one e-mail; revoked, foreign and re-issued keys."""

from __future__ import annotations

import logging
import socket

import pytest
import requests

from koppeling.harness.mail import SmtpMailer
from koppeling.harness.service import Core
from mocks.schoolkr8.service import Schoolkr8Service
from tests.schoolkr8.conftest import KEY_RE, Sk8, fresh_brin


def controle(sk8: Sk8, key: str, brin: str | None = None, dep: str = "00") -> bool:
    """Klantenservice's check, as it calls it."""
    answer = sk8.call(
        "POST",
        "/api/sleutels/controle",
        {"brincode": brin or sk8.brin, "dependancecode": dep, "autorisatiesleutel": key},
        200,
    )
    assert set(answer) == {"geldig"}
    return bool(answer["geldig"])


def test_activation_mails_a_dutch_key_in_text_and_html(sk8: Sk8) -> None:
    """The key (>= 20 random characters) arrives by e-mail, text and HTML, in Dutch."""
    made = sk8.call(
        "POST",
        "/api/koppelingen",
        {"brincode": sk8.brin, "dependancecode": "00", "contact_email": sk8.email},
        201,
    )
    assert made["status"] == "aangevraagd" and made["sleutel"] is None
    key, mail = sk8.activate(made["id"])
    assert len(key) - len("sk8_") >= 20
    assert "autorisatiesleutel" in mail["Subject"] and sk8.brin in mail["Subject"]
    assert key in mail["HTML"] and "Beste beheerder" in mail["Text"]
    assert "AANVRAGEN" in mail["Text"]
    assert [a["Address"] for a in mail["To"]] == [sk8.email]
    assert mail["From"]["Address"] == "noreply@schoolkr8.nl"
    shown = sk8.call("GET", f"/api/koppelingen/{made['id']}", status=200)
    assert shown["status"] == "actief" and shown["geactiveerd_op"]
    assert shown["sleutel"] == key[:8] + "…"
    assert controle(sk8, key)


def test_key_never_leaks_outside_the_mail(
    sk8: Sk8, sk8_core: Core, caplog: pytest.LogCaptureFixture
) -> None:
    """Not in any API response, not in the journal (any service), not in the logs."""
    caplog.set_level(logging.DEBUG)
    koppeling_id = sk8.koppeling()
    answers = [requests.post(f"{sk8.base}/api/koppelingen/{koppeling_id}/activeren", timeout=10)]
    mail = sk8.mailbox.wait_for(sk8.email, timeout=10)
    (key,) = KEY_RE.findall(mail["Text"])
    answers.append(requests.get(f"{sk8.base}/api/koppelingen/{koppeling_id}", timeout=10))
    answers.append(requests.get(f"{sk8.base}/api/scholen/{sk8.brin}/00/koppelingen", timeout=10))
    answers.append(
        requests.post(
            f"{sk8.base}/api/sleutels/controle",
            timeout=10,
            json={"brincode": sk8.brin, "dependancecode": "00", "autorisatiesleutel": key},
        )
    )
    pupil = sk8.pupil("123")
    answers.append(sk8.breng(key, sk8.verzoek(("123", "k1"))))
    answers.append(requests.get(f"{sk8.base}/api/leerlingen/{pupil}/resultaten", timeout=10))
    for resp in answers:
        assert resp.ok, resp.text
        assert key not in resp.text
    journal = requests.get(f"{sk8.base}/__admin/requests", params={"all": 1}, timeout=10)
    assert journal.ok and sk8.brin in journal.text
    assert key not in journal.text and key[4:] not in journal.text
    assert key not in caplog.text
    assert key not in repr(Schoolkr8Service(sk8_core).koppelingen(sk8.brin, "00"))
    assert len(sk8.mailbox.messages_to(sk8.email)) == 1


def test_revoked_key_is_refused(sk8: Sk8) -> None:
    """intrekken: the check says no and the intake refuses with AutorisatieOngeldig."""
    koppeling_id = sk8.koppeling()
    key, _ = sk8.activate(koppeling_id)
    sk8.pupil("42")
    revoked = sk8.call("POST", f"/api/koppelingen/{koppeling_id}/intrekken", status=200)
    assert revoked["status"] == "ingetrokken" and revoked["ingetrokken_op"]
    assert not controle(sk8, key)
    resp = sk8.breng(key, sk8.verzoek(("42", "r")))
    assert resp.status_code == 500 and b"Client.AutorisatieOngeldig" in resp.content
    again = sk8.call("POST", f"/api/koppelingen/{koppeling_id}/intrekken", status=200)
    assert again["status"] == "ingetrokken"


def test_reactivation_issues_a_new_key_and_revokes_the_old(sk8: Sk8) -> None:
    """Activating again: a second mail with a different key; only the new one works."""
    koppeling_id = sk8.koppeling()
    old, first = sk8.activate(koppeling_id)
    new, _ = sk8.activate(koppeling_id, seen={first["ID"]})
    assert new != old
    assert controle(sk8, new) and not controle(sk8, old)
    sk8.pupil("7")
    assert sk8.breng(new, sk8.verzoek(("7", "a"))).status_code == 200
    assert b"Client.AutorisatieOngeldig" in sk8.breng(old, sk8.verzoek(("7", "b"))).content
    shown = sk8.call("GET", f"/api/koppelingen/{koppeling_id}", status=200)
    assert shown["aantal_sleutels"] == 2 and shown["sleutel"] == new[:8] + "…"


def test_second_koppeling_of_a_school_replaces_the_first(sk8: Sk8) -> None:
    """One live key per school: activating another koppeling revokes the earlier one."""
    first_id = sk8.koppeling()
    old, mail = sk8.activate(first_id)
    new, _ = sk8.activate(sk8.koppeling(), seen={mail["ID"]})
    assert controle(sk8, new) and not controle(sk8, old)
    assert sk8.call("GET", f"/api/koppelingen/{first_id}")["status"] == "ingetrokken"
    status = sk8.call("GET", f"/api/scholen/{sk8.brin}/00/koppelstatus", status=200)
    assert status["koppeling"] == "actief"


def test_foreign_key_is_refused(sk8: Sk8) -> None:
    """A key of school A is not valid for school B, nor for A's other vestiging."""
    key = sk8.key()
    other = fresh_brin()
    assert not controle(sk8, key, brin=other)
    assert not controle(sk8, key, dep="01")
    assert not controle(sk8, key + "x") and not controle(sk8, key[:-1])
    resp = sk8.breng(key, sk8.verzoek(("1", "f"), brin=other))
    assert resp.status_code == 500 and b"Client.AutorisatieOngeldig" in resp.content


def test_unknown_school_and_made_up_key(sk8: Sk8) -> None:
    """No koppeling at all: the check says no."""
    assert not controle(sk8, "sk8_" + "A" * 32)


def test_mail_failure_changes_nothing(sk8: Sk8, sk8_core: Core) -> None:
    """Key mail not sent: 503, status and keys unchanged (a key nobody got is no key)."""
    koppeling_id = sk8.koppeling()
    key, _ = sk8.activate(koppeling_id)
    working = sk8_core.mailer
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        dead_port = closed.getsockname()[1]
    sk8_core.mailer = SmtpMailer("127.0.0.1", dead_port, timeout=2)
    try:
        resp = requests.post(f"{sk8.base}/api/koppelingen/{koppeling_id}/activeren", timeout=10)
    finally:
        sk8_core.mailer = working
    assert resp.status_code == 503
    assert resp.headers["Content-Type"].startswith("application/problem+json")
    assert controle(sk8, key)
    assert sk8.call("GET", f"/api/koppelingen/{koppeling_id}")["aantal_sleutels"] == 1


def test_unknown_koppeling_is_404(sk8: Sk8) -> None:
    """Activating or reading an unknown id is a 404 problem."""
    resp = requests.post(f"{sk8.base}/api/koppelingen/kop_onbekend/activeren", timeout=10)
    assert resp.status_code == 404 and resp.json()["status"] == 404
    assert requests.get(f"{sk8.base}/api/koppelingen/x", timeout=10).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"brincode": "99ab", "dependancecode": "00", "contact_email": "a@b.test"}, "brincode"),
        (
            {"brincode": "99AB", "dependancecode": "0", "contact_email": "a@b.test"},
            "dependancecode",
        ),
        (
            {"brincode": "99AB", "dependancecode": "00", "contact_email": "geen-adres"},
            "contact_email",
        ),
        ({"brincode": "99AB", "dependancecode": "00"}, "contact_email"),
        ({"brincode": "99AB", "contact_email": "a@b.test", "sleutel": "x"}, "sleutel"),
    ],
)
def test_invalid_request_names_the_field(sk8: Sk8, body: dict[str, str], field: str) -> None:
    """Bad koppeling requests: 422 problem+json naming the field."""
    resp = requests.post(f"{sk8.base}/api/koppelingen", json=body, timeout=10)
    assert resp.status_code == 422 and resp.json()["field"] == field


def test_key_check_validates_its_body(sk8: Sk8) -> None:
    """The key check with a missing field is a 422, not a yes or no."""
    resp = requests.post(
        f"{sk8.base}/api/sleutels/controle",
        timeout=10,
        json={"brincode": sk8.brin, "dependancecode": "00"},
    )
    assert resp.status_code == 422 and resp.json()["field"] == "autorisatiesleutel"
