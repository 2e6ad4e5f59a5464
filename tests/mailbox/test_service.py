"""MailboxService without SMTP or HTTP: parsing on arrival, search, deletion, and reads that never
queue behind a writer."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest

from koppeling.harness.service import Core
from koppeling.harness.store import Database
from mocks.mailbox.search import Query
from mocks.mailbox.service import MailboxService

AT = datetime(2027, 3, 1, 9, 30, tzinfo=UTC)


def raw_mail(to: str, subject: str, text: str | None = None, html: str | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Schoolkr8 <noreply@schoolkr8.test>"
    msg["To"] = to
    msg["Subject"] = subject
    if text is not None:
        msg.set_content(text)
    if html is not None:
        if text is None:
            msg.set_content(html, subtype="html")
        else:
            msg.add_alternative(html, subtype="html")
    return bytes(msg)


@pytest.fixture
def core() -> Iterator[Core]:
    """A core on an in-memory store, its clock frozen at ``AT``."""
    core = Core.create(Database.memory())
    core.clock.set(AT)
    yield core
    core.db.dispose()


@pytest.fixture
def service(core: Core) -> MailboxService:
    return MailboxService(core.db, core.clock, core.journal)


def test_receive_parses_keeps_and_journals(core: Core, service: MailboxService) -> None:
    raw = raw_mail(
        "A <a@school.test>", "Alleen HTML", html="<style>p{}</style><p>Hallo <b>a</b></p>"
    )
    ident = service.receive(raw, "bounce@schoolkr8.test", ["a@school.test", "geheim@school.test"])
    detail = service.read(ident)
    assert detail is not None and detail["Date"] == "2027-03-01T09:30:00Z"  # no Date: received
    (summary,) = [m.summary() for m in service.messages(0, 50).messages]
    assert summary["MessageID"].endswith("@mailpit")  # none given: one made up, like Mailpit
    assert summary["Created"] == "2027-03-01T09:30:00Z"
    assert summary["Snippet"] == "Hallo a" and summary["Read"] is True
    assert [a["Address"] for a in summary["Bcc"]] == ["geheim@school.test"]
    stored = service.raw(ident)
    assert stored is not None and stored.endswith(raw)  # stamped headers first, as in Mailpit
    assert stored.startswith(b"Bcc: geheim@school.test\r\nMessage-ID: <")
    assert b"Return-Path: <bounce@schoolkr8.test>\r\n" in stored
    assert service.resolve("latest") == ident
    [entry] = core.journal.entries(service="mailbox", kind="email")
    assert entry.data == {
        "ID": ident,
        "from": "bounce@schoolkr8.test",
        "to": ["a@school.test", "geheim@school.test"],
        "size": len(stored),
    }


def test_search_counts_matches_and_total(service: MailboxService) -> None:
    for to in ("een@school.test", "twee@school.test", "een@school.test"):
        service.receive(raw_mail(to, f"Voor {to}", "x"), "s@x.test", [to])
    page = service.search(Query.parse("to:een@school.test"), 0, 1)
    assert (page.total, page.matched, len(page.messages)) == (3, 2, 1)
    assert service.messages(1, 50).matched == 3 and len(service.messages(1, 50).messages) == 2


def test_delete_many_ids_and_by_query(service: MailboxService) -> None:
    ids = [service.receive(raw_mail("a@x.test", "A", "x"), "s@x.test", ["a@x.test"])]
    ids += [f"missing{n}" for n in range(1200)]  # more IDs than one IN list may hold
    service.receive(raw_mail("b@x.test", "B", "x"), "s@x.test", ["b@x.test"])
    service.receive(raw_mail("c@x.test", "C", "x"), "s@x.test", ["c@x.test"])
    assert service.delete(ids) == 1
    assert service.delete([]) == 0
    assert service.delete_matching(Query.parse("to:b@x.test")) == 1
    assert [m.subject for m in service.messages(0, 50).messages] == ["C"]
    assert service.delete() == 1 and service.messages(0, 50).total == 0


def test_search_waits_for_a_late_message(service: MailboxService) -> None:
    late = threading.Timer(
        0.2, service.receive, (raw_mail("laat@x.test", "Laat", "x"), "s@x.test", ["laat@x.test"])
    )
    late.start()
    try:
        page = service.search(Query.parse("to:laat@x.test"), 0, 50, wait=10)
    finally:
        late.join()
    assert [m.subject for m in page.messages] == ["Laat"]


def test_reads_do_not_wait_for_a_writer(tmp_path: Path) -> None:
    """A pure read never takes SQLite's write lock: it answers while another writer holds it."""
    core = Core.create(Database.file(tmp_path / "state.sqlite"))
    service = MailboxService(core.db, core.clock, core.journal)
    ident = service.receive(raw_mail("a@x.test", "A", "x"), "s@x.test", ["a@x.test"])
    answers: list[object] = []

    def read() -> None:
        answers.append(service.headers(ident))
        answers.append(service.raw(ident))
        answers.append(service.messages(0, 50).total)
        answers.append(service.search(Query.parse("to:a@x.test"), 0, 50).matched)

    try:
        with core.db.begin():
            reader = threading.Thread(target=read)
            reader.start()
            reader.join(timeout=10)
            assert not reader.is_alive(), "a read waited for the write lock"
        assert answers[1:] == [service.raw(ident), 1, 1]
    finally:
        core.db.dispose()
