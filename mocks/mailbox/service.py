"""The mailbox's rules: what a delivered message becomes, how it is found, waited for and deleted.

Both doors of the mailbox go through :class:`MailboxService`: the SMTP sink (``receive``) and the
Mailpit-compatible HTTP API (list, read, search, delete). It owns the transactions
(docs/architecture.md, "The store"); a search that waits polls with a fresh read each time, so no
transaction is held while it sleeps.
"""

from __future__ import annotations

import secrets
import string
import time
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses

from koppeling.harness.clock import Clock
from koppeling.harness.journal import Entry, Journal
from koppeling.harness.store import Database
from mocks.mailbox.store import Address, MailboxStore, Message, Query

SERVICE = "mailbox"
POLL_SECONDS = 0.05
_ID_ALPHABET = string.ascii_letters + string.digits


@dataclass(frozen=True)
class Page:
    """One page of messages, newest first: ``total`` in the mailbox, ``matched`` by the search."""

    messages: list[Message]
    total: int
    matched: int


class MailboxService:
    """Keep what the SMTP sink receives; list, read, search (optionally waiting) and delete it."""

    def __init__(self, db: Database, clock: Clock, journal: Journal) -> None:
        self.db = db
        self.store = MailboxStore()
        self._clock = clock
        self._journal = journal

    def receive(self, raw: bytes, mail_from: str, rcpt_tos: list[str]) -> str:
        """Keep one message as delivered over SMTP and journal its arrival; returns its ID."""
        now = self._clock.now()
        message = parse_message(raw, mail_from, rcpt_tos, now)
        with self.db.begin() as conn:
            self.store.insert(conn, message, raw)
        self._journal.record(
            Entry(
                service=SERVICE,
                kind="email",
                at=now,
                summary=f"received mail for {', '.join(rcpt_tos)}",
                data={"ID": message.id, "from": mail_from, "to": rcpt_tos, "size": len(raw)},
            )
        )
        return message.id

    def messages(self, start: int, limit: int) -> Page:
        """A page of every message, newest first."""
        with self.db.read() as conn:
            messages, total = self.store.page(conn, start, limit)
        return Page(messages, total, total)

    def search(self, query: Query, start: int, limit: int, wait: float = 0.0) -> Page:
        """A page of the messages matching ``query``; waits up to ``wait`` seconds for a first."""
        deadline = time.monotonic() + wait
        page = self._search(query, start, limit)
        while page.matched == 0 and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
            page = self._search(query, start, limit)
        return page

    def get(self, message_id: str) -> Message | None:
        """One message by ID (``latest`` is the newest, as in Mailpit)."""
        with self.db.read() as conn:
            return self.store.get(conn, message_id)

    def raw(self, message_id: str) -> bytes | None:
        """The message exactly as received over SMTP."""
        with self.db.read() as conn:
            return self.store.raw(conn, message_id)

    def delete(self, ids: list[str] | None = None) -> int:
        """Delete the given messages, or every message without ``ids``; returns how many went."""
        with self.db.begin() as conn:
            return self.store.delete(conn, ids)

    def delete_matching(self, query: Query) -> int:
        """Delete the messages matching ``query`` (other tests' mail stays)."""
        with self.db.begin() as conn:
            return self.store.delete_matching(conn, query)

    def _search(self, query: Query, start: int, limit: int) -> Page:
        with self.db.read() as conn:
            messages, matched = self.store.page(conn, start, limit, query)
            return Page(messages, self.store.count(conn), matched)


def parse_message(raw: bytes, mail_from: str, rcpt_tos: list[str], now: datetime) -> Message:
    """A delivered message parsed into the fields Mailpit shows (a new ID, like Mailpit's)."""
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(msg, EmailMessage)
    ident = new_id()
    text, html = _bodies(msg)
    return Message(
        id=ident,
        # Like Mailpit, a message without a Message-ID gets one.
        message_id=str(msg.get("Message-ID", "")).strip().strip("<>") or f"{ident}@mailbox",
        created=now,
        sender=_first_address(msg, "From") or {"Name": "", "Address": mail_from},
        recipients=_recipients(msg, rcpt_tos),
        subject=str(msg.get("Subject", "")),
        text=text,
        html=html,
        size=len(raw),
    )


def new_id() -> str:
    """A Mailpit-like message ID: 22 random letters and digits."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(22))


def _addresses(msg: EmailMessage, header: str) -> list[Address]:
    values = [str(v) for v in msg.get_all(header, [])]
    return [{"Name": name, "Address": addr} for name, addr in getaddresses(values) if addr]


def _first_address(msg: EmailMessage, header: str) -> Address | None:
    found = _addresses(msg, header)
    return found[0] if found else None


def _recipients(msg: EmailMessage, rcpt_tos: list[str]) -> dict[str, list[Address]]:
    """To and Cc from the headers; envelope recipients in neither are the Bcc."""
    to, cc = _addresses(msg, "To"), _addresses(msg, "Cc")
    seen = {a["Address"].lower() for a in to + cc}
    bcc = [{"Name": "", "Address": r} for r in rcpt_tos if r.lower() not in seen]
    return {"To": to, "Cc": cc, "Bcc": bcc}


def _bodies(msg: EmailMessage) -> tuple[str, str]:
    """The text/plain and text/html bodies (empty string for an absent one)."""
    parts = {}
    for kind in ("plain", "html"):
        part = msg.get_body(preferencelist=(kind,))
        if part is not None and part.get_content_type() == f"text/{kind}":
            content = part.get_content()
            parts[kind] = content.replace("\r\n", "\n") if isinstance(content, str) else ""
    return parts.get("plain", ""), parts.get("html", "")
