"""The mailbox over real SMTP and HTTP: Mailpit's field names, search, long poll, persistence."""

from __future__ import annotations

import smtplib
import threading
import time
from email.message import EmailMessage
from pathlib import Path

import pytest
import requests

from koppeling.client.mailbox import MailboxClient, MailNotFound
from koppeling.harness.mail import Mail
from koppeling.harness.server import ServerThread
from koppeling.harness.service import Core
from koppeling.harness.store import Database
from mocks.mailbox.app import create_app
from mocks.mailbox.search import Query, Term
from mocks.mailbox.smtp import SmtpSink, create_worker


def send(
    port: int,
    to: list[str],
    subject: str,
    text: str,
    html: str | None = None,
    cc: list[str] | None = None,
    bcc: list[str] | None = None,
) -> None:
    """Deliver one message with smtplib, as any SMTP client would."""
    msg = EmailMessage()
    msg["From"] = "Schoolkr8 <noreply@schoolkr8.test>"
    msg["To"] = ", ".join(to)
    if cc:
        msg["Cc"] = ", ".join(cc)
    msg["Subject"] = subject
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.send_message(msg, to_addrs=to + (cc or []) + (bcc or []))


def test_multipart_message_reads_back_with_mailpit_fields(
    sink: SmtpSink, mailbox: MailboxClient
) -> None:
    """Text and HTML parts, several recipients, Mailpit's names in list and detail."""
    assert sink.smtp_port
    send(
        sink.smtp_port,
        ["a@school.test", "Beheerder B <b@school.test>"],
        "Uw sleutel",
        "Hallo,\n\nDe tekst.",
        "<p>Hallo, <b>de HTML</b></p>",
        cc=["c@school.test"],
        bcc=["d@school.test"],
    )
    listing = requests.get(mailbox.base_url + "/api/v1/messages", timeout=5).json()
    assert listing["total"] == 1 and listing["messages_count"] == 1 and listing["count"] == 1
    summary = listing["messages"][0]
    assert summary["From"] == {"Name": "Schoolkr8", "Address": "noreply@schoolkr8.test"}
    assert [a["Address"] for a in summary["To"]] == ["a@school.test", "b@school.test"]
    assert summary["To"][1]["Name"] == "Beheerder B"
    assert [a["Address"] for a in summary["Cc"]] == ["c@school.test"]
    assert [a["Address"] for a in summary["Bcc"]] == ["d@school.test"]
    assert summary["Snippet"] == "Hallo, de HTML"  # Mailpit prefers the HTML
    assert summary["Created"].endswith("Z") and summary["MessageID"]
    detail = mailbox.message(summary["ID"])
    assert detail["Text"].strip() == "Hallo,\n\nDe tekst."
    assert "<b>de HTML</b>" in detail["HTML"]
    assert detail["Subject"] == "Uw sleutel"


def test_search_by_recipient_finds_only_theirs(sink: SmtpSink, mailbox: MailboxClient) -> None:
    """``to:`` matches the To header only (as Mailpit); the client finds Bcc mail too."""
    assert sink.smtp_port
    send(sink.smtp_port, ["een@school.test"], "Eerste", "1")
    send(sink.smtp_port, ["twee@school.test"], "Tweede", "2", bcc=["een@school.test"])
    send(sink.smtp_port, ["drie@school.test"], "Derde", "3")
    found = mailbox.search("to:een@school.test")
    assert found["messages_count"] == 1 and found["total"] == 3
    assert [m["Subject"] for m in found["messages"]] == ["Eerste"]
    assert {m["Subject"] for m in mailbox.messages_to("een@school.test")} == {"Eerste", "Tweede"}
    assert [m["Subject"] for m in mailbox.messages_to("drie@school.test")] == ["Derde"]
    assert mailbox.search('subject:"tweede" bcc:een@school.test')["messages_count"] == 1


def test_core_send_mail_reaches_the_sink(mail_core: Core, mailbox: MailboxClient) -> None:
    """What a mock sends with core.send_mail arrives, text and HTML, and is journaled."""
    mail = Mail(
        "klantenservice@boomtestonderwijs.nl",
        ["beheerder@school.test"],
        "Bevestiging",
        "Uw aanvraag is goedgekeurd.",
        "<p>Uw aanvraag is <em>goedgekeurd</em>.</p>",
    )
    mail_core.send_mail("klantenservice", mail, school="99AB-00")
    got = mailbox.wait_for("beheerder@school.test", "Bevestiging", timeout=5)
    assert "goedgekeurd" in got["Text"] and "<em>goedgekeurd</em>" in got["HTML"]
    kinds = [(e.service, e.kind) for e in mail_core.journal.entries(kind="email")]
    assert ("klantenservice", "email") in kinds and ("mailbox", "email") in kinds


def test_wait_for_long_polls_until_the_mail_arrives(sink: SmtpSink, mailbox: MailboxClient) -> None:
    """A message sent after the wait began is returned; no sleeping in the test."""
    assert sink.smtp_port
    port = sink.smtp_port
    timer = threading.Timer(0.3, send, args=(port, ["later@school.test"], "Later", "x"))
    timer.start()
    try:
        got = mailbox.wait_for("later@school.test", "Later", timeout=10)
    finally:
        timer.join()
    assert got["Subject"] == "Later"


def test_wait_for_ignores_and_explains(sink: SmtpSink, mailbox: MailboxClient) -> None:
    """Ignored IDs are skipped; a timeout lists what did arrive for the address."""
    assert sink.smtp_port
    send(sink.smtp_port, ["x@school.test"], "Oud", "x")
    first = mailbox.wait_for("x@school.test", timeout=5)
    with pytest.raises(MailNotFound, match="Oud"):
        mailbox.wait_for("x@school.test", timeout=0.3, ignore={first["ID"]})
    with pytest.raises(MailNotFound, match="no mail for nobody@school.test"):
        mailbox.wait_for("nobody@school.test", timeout=0.2)


def test_exact_recipient_not_substring(sink: SmtpSink, mailbox: MailboxClient) -> None:
    """wait_for matches the whole address: mail to aa@ is not mail to a@."""
    assert sink.smtp_port
    send(sink.smtp_port, ["aa@school.test"], "Niet voor a", "x")
    assert mailbox.messages_to("a@school.test") == []


def test_delete_all_and_by_query(sink: SmtpSink, mailbox: MailboxClient) -> None:
    """DELETE /api/v1/search removes one address's mail; DELETE /api/v1/messages all."""
    assert sink.smtp_port
    send(sink.smtp_port, ["weg@school.test"], "Weg", "x")
    send(sink.smtp_port, ["blijf@school.test"], "Blijf", "x")
    mailbox.delete_to("weg@school.test")
    assert [m["Subject"] for m in mailbox.messages()] == ["Blijf"]
    ids = [m["ID"] for m in mailbox.messages()]
    resp = requests.delete(mailbox.base_url + "/api/v1/messages", json={"IDs": ids}, timeout=5)
    assert resp.status_code == 200 and mailbox.messages() == []


def test_bad_requests_are_problems(mailbox: MailboxClient) -> None:
    """Unknown IDs, bad paging and bad wait get problem+json naming the parameter, with
    Mailpit's status codes (404, 400)."""
    base = mailbox.base_url
    missing = requests.get(base + "/api/v1/message/nope", timeout=5)
    assert missing.status_code == 404
    assert missing.headers["Content-Type"].startswith("application/problem+json")
    bad_wait = requests.get(base + "/api/v1/search", params={"query": "x", "wait": "99"}, timeout=5)
    assert bad_wait.status_code == 400 and bad_wait.json()["field"] == "wait"
    bad_limit = requests.get(base + "/api/v1/messages", params={"limit": "x"}, timeout=5)
    assert bad_limit.json()["field"] == "limit"
    no_query = requests.get(base + "/api/v1/search", timeout=5)
    assert no_query.json()["field"] == "query"
    bad_ids = requests.delete(base + "/api/v1/messages", json={"IDs": "all"}, timeout=5)
    assert bad_ids.status_code == 400 and bad_ids.json()["field"] == "IDs"


def test_openapi_document(mailbox: MailboxClient) -> None:
    """The mailbox serves its OpenAPI document."""
    doc = requests.get(mailbox.base_url + "/openapi.json", timeout=5).json()
    assert "/api/v1/search" in doc["paths"] and doc["openapi"].startswith("3.1")


def test_messages_survive_a_restart(tmp_path: Path) -> None:
    """A file store keeps the mail: a new core and new servers still list it."""
    path = tmp_path / "state.sqlite"
    core = Core.create(Database.file(path))
    with SmtpSink(core) as sink:
        assert sink.smtp_port and sink.url.startswith("smtp://127.0.0.1:")
        send(sink.smtp_port, ["blijvend@school.test"], "Bewaard", "x")
    core.db.dispose()
    again = Core.create(Database.file(path))
    try:
        with ServerThread(create_app({}, core=again)) as server:
            found = MailboxClient(server.url).messages_to("blijvend@school.test")
        assert [m["Subject"] for m in found] == ["Bewaard"]
    finally:
        again.db.dispose()


def test_worker_contract() -> None:
    """create_worker: None when mail goes elsewhere; a startable sink otherwise."""
    core = Core.create(Database.memory())
    assert (
        create_worker(core, {"host": "127.0.0.1", "smtp_port": 0, "embedded_smtp": False}) is None
    )
    sink = create_worker(core, {"host": "127.0.0.1", "smtp_port": 0, "embedded_smtp": True})
    assert isinstance(sink, SmtpSink)
    sink.start()
    try:
        assert sink.smtp_port and sink.smtp_port > 0
    finally:
        sink.stop()
        sink.stop()  # idempotent


def test_query_parsing() -> None:
    """Prefixes, quotes, negation and plain words as Mailpit reads them."""
    q = Query.parse('to:A@x.test subject:"Uw Sleutel" woord foo:bar -"is:read" to:')
    assert q == Query(
        (
            Term("to", "a@x.test"),
            Term("subject", "Uw Sleutel"),
            Term("word", "woord"),
            Term("word", "foo:bar"),
            Term("flag", "read", exclude=True),
        )
    )


def test_long_poll_is_bounded_and_returns_empty(mailbox: MailboxClient) -> None:
    """wait returns an empty answer once the wait is over (no hang)."""
    started = time.monotonic()
    answer = mailbox.search("to:niemand@school.test", wait=0.2)
    assert answer["messages_count"] == 0 and answer["messages"] == []
    assert time.monotonic() - started < 5


def test_raw_source_is_kept_and_not_journaled(
    sink: SmtpSink, mailbox: MailboxClient, mail_core: Core
) -> None:
    """/raw gives the message as stored (Mailpit's text/plain); the journal keeps no copy."""
    assert sink.smtp_port
    send(sink.smtp_port, ["raw@school.test"], "Bron", "geheime inhoud")
    (summary,) = mailbox.messages_to("raw@school.test")
    resp = requests.get(f"{mailbox.base_url}/api/v1/message/{summary['ID']}/raw", timeout=5)
    assert resp.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert b"Subject: Bron" in resp.content and b"geheime inhoud" in resp.content
    (entry,) = [
        e
        for e in mail_core.journal.entries(service="mailbox")
        if e.path and e.path.endswith("/raw")
    ]
    assert "geheime inhoud" not in (entry.response or "")
