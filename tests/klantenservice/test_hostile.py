"""A decision and its e-mail are one state machine, whatever the fields hold (issue item 1).

A CR/LF in a field that ends up in a mail header (the type of dashboard, a school name the LAS
sent) used to make the mail library raise, the handler answer a 409 "Idempotency-Key" conflict,
the testcentrum record a rejection while klantenservice held an approval, and the mail claim stay
taken forever. Now such a field is refused at the door (422 naming it) when it is input, made one
line when it comes from a partner, and a mail that still cannot be built is recorded as failed.
"""

from __future__ import annotations

from koppeling.client.mailbox import MailboxClient
from koppeling.harness.mail import Mail
from koppeling.harness.process import Harness
from koppeling.harness.service import Core
from mocks.klantenservice.clients import LasStatus
from mocks.klantenservice.service import KlantenserviceService
from mocks.klantenservice.store import NieuweAanvraag
from tests.klantenservice.conftest import GOOD_KEY, Sleutels
from tests.klantenservice.test_integration import call, school_with_key


class NaamLas:
    """The testcentrum's LAS view, with a school name as hostile as a LAS may send."""

    def __init__(self, naam: str) -> None:
        self.naam = naam

    def las_koppeling(self, brincode: str, dependancecode: str) -> LasStatus:
        return LasStatus(True, "parnassys", self.naam)


def service(core: Core, sleutels: Sleutels, naam: str) -> KlantenserviceService:
    """A klantenservice whose mailer builds the MIME message, as the SMTP mailer does."""

    def send(mail: Mail, school: str) -> str:
        mail.to_message()
        return core.send_mail("klantenservice", mail, school=school)

    return KlantenserviceService(
        core.db,
        now=lambda b, d: core.clock.now(b, d),
        sleutels=lambda: sleutels,
        las=lambda: NaamLas(naam),
        send_mail=send,
    )


def aanvraag(type_dashboard: str = "SchoolKr8") -> NieuweAanvraag:
    return NieuweAanvraag("99AB", "00", type_dashboard, GOOD_KEY, "beheer@klimop.test")


def test_school_name_with_line_breaks_gives_one_approval_and_one_mail(
    core: Core, sleutels: Sleutels
) -> None:
    ks = service(core, sleutels, "OBS De Klimop\r\nBcc: iedereen@elders.test\n")
    decided, _ = ks.dien_in(aanvraag())
    assert decided.status == "goedgekeurd"
    assert decided.mail_status == "verzonden"
    [mail] = core.mailer.sent  # type: ignore[attr-defined]
    assert "\r" not in mail.subject and "\n" not in mail.subject
    assert "OBS De Klimop Bcc: iedereen@elders.test" in mail.subject


def test_type_dashboard_with_crlf_in_the_service_is_one_rejection_and_one_mail(
    core: Core, sleutels: Sleutels
) -> None:
    ks = service(core, sleutels, "OBS De Klimop")
    decided, _ = ks.dien_in(aanvraag("Focus\r\nX"))
    assert decided.status == "afgewezen" and "Onbekend type dashboard" in (decided.reden or "")
    assert decided.mail_status == "verzonden"
    [mail] = core.mailer.sent  # type: ignore[attr-defined]
    assert "Focus X" in mail.subject


def test_a_mail_that_cannot_be_built_is_recorded_and_the_claim_given_up(
    core: Core, sleutels: Sleutels
) -> None:
    def refuse(mail: Mail, school: str) -> str:
        raise ValueError("header Subject is longer than 998 characters")

    ks = KlantenserviceService(
        core.db,
        now=lambda b, d: core.clock.now(b, d),
        sleutels=lambda: sleutels,
        las=lambda: NaamLas("OBS De Klimop"),
        send_mail=refuse,
    )
    decided, _ = ks.dien_in(aanvraag())
    assert decided.status == "goedgekeurd"
    assert decided.mail_status == "mislukt"
    assert decided.as_json()["mail_verzonden"] is False
    assert ks.verwerk_open() == 0
    assert ks.get(decided.id).mail_status == "mislukt"


def test_crlf_type_dashboard_is_a_422_naming_the_field_and_stores_nothing(live: Harness) -> None:
    ks = live.url("klantenservice")
    brin = "96CR"
    body = {
        "brincode": brin,
        "dependancecode": "00",
        "type_dashboard": "Focus\r\nX",
        "autorisatiesleutel": GOOD_KEY,
        "beheerder_email": "beheer@96cr.test",
    }
    problem = call("POST", f"{ks}/api/aanvragen", body, 422)
    assert problem["field"] == "type_dashboard"
    assert call("GET", f"{ks}/api/aanvragen?brincode={brin}", None, 200)["aanvragen"] == []


def test_testcentrum_refuses_a_crlf_type_dashboard_before_it_asks(live: Harness) -> None:
    mailbox = MailboxClient(live.url("mailbox"))
    brin, key, _ = school_with_key(live, mailbox)
    tc = f"{live.url('testcentrum')}/api/scholen/{brin}/00/dashboard-koppeling"
    body = {
        "type_dashboard": "Focus\r\nX",
        "autorisatiesleutel": key,
        "beheerder_email": "b@x.test",
    }
    assert call("POST", tc, body, 422)["field"] == "type_dashboard"
    ks = live.url("klantenservice")
    assert call("GET", f"{ks}/api/aanvragen?brincode={brin}", None, 200)["aanvragen"] == []


def test_a_school_name_with_a_newline_is_refused_by_the_testcentrum(live: Harness) -> None:
    mailbox = MailboxClient(live.url("mailbox"))
    brin, _, _ = school_with_key(live, mailbox)
    tc = f"{live.url('testcentrum')}/api/scholen/{brin}/00/las-koppeling"
    before = call("GET", tc, None, 200)
    body = {
        "las": "parnassys",
        "schooljaar": "2026-2027",
        "autorisatiesleutel": "pns_onbekend",
        "schoolnaam": "OBS De Klimop\n",
    }
    assert call("PUT", tc, body, 422)["field"] == "schoolnaam"
    assert call("GET", tc, None, 200) == before
