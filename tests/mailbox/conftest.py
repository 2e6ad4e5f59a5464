"""A mailbox of its own per test module: a core on a private store, the SMTP sink, the HTTP API."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from koppeling.client.mailbox import MailboxClient
from koppeling.harness.mail import SmtpMailer
from koppeling.harness.server import ServerThread
from koppeling.harness.service import Core
from koppeling.harness.store import Database
from mocks.mailbox.app import create_app
from mocks.mailbox.smtp import SmtpSink, create_worker


@pytest.fixture(scope="module")
def mail_core() -> Iterator[Core]:
    """A core over a private in-memory store."""
    core = Core.create(Database.memory(), journal_limit=500)
    yield core
    core.db.dispose()


@pytest.fixture(scope="module")
def sink(mail_core: Core) -> Iterator[SmtpSink]:
    """The embedded SMTP sink on a free port; the core's mailer points at it."""
    worker = create_worker(mail_core, {"host": "127.0.0.1", "smtp_port": 0, "embedded_smtp": True})
    assert isinstance(worker, SmtpSink)
    with worker:
        mail_core.mailer = SmtpMailer("127.0.0.1", worker.smtp_port or 0)
        yield worker


@pytest.fixture(scope="module")
def mailbox_server(mail_core: Core, sink: SmtpSink) -> Iterator[ServerThread]:
    """The mailbox HTTP API on a free port."""
    with ServerThread(create_app({}, core=mail_core)) as server:
        yield server


@pytest.fixture
def mailbox(mailbox_server: ServerThread, sink: SmtpSink, mail_core: Core) -> MailboxClient:
    """A client of an emptied mailbox."""
    sink.clear()
    mail_core.errors.clear()
    return MailboxClient(mailbox_server.url)
