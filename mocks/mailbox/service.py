"""The mailbox's rules: what a delivered message becomes, how it is found, read, waited for and
deleted — each as Mailpit does it, so a Mailpit client cannot tell the difference.

Both doors of the mailbox go through :class:`MailboxService`: the SMTP sink (``receive``) and the
Mailpit-compatible HTTP API. A delivered message is stamped and parsed as Mailpit stamps and
parses it (:mod:`mocks.mailbox.mime`); reading one marks it read, as in Mailpit. The service owns
the transactions (docs/architecture.md, "The store"); a search that waits polls with a fresh read
each time, so no transaction is held while it sleeps.
"""

from __future__ import annotations

import resource
import secrets
import string
import time
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from koppeling.harness.clock import Clock
from koppeling.harness.journal import Entry, Journal
from koppeling.harness.store import Database
from mocks.mailbox import mime
from mocks.mailbox.mime import Part
from mocks.mailbox.search import Query
from mocks.mailbox.store import MailboxStore, Message

SERVICE = "mailbox"
POLL_SECONDS = 0.05
_ID_ALPHABET = string.ascii_letters + string.digits
_STARTED = time.monotonic()


@dataclass(frozen=True)
class Page:
    """One page of messages, newest first, with Mailpit's counts: ``total``/``unread`` in the
    mailbox, ``matched``/``matched_unread`` by the search, every tag in use."""

    messages: list[Message]
    total: int
    unread: int
    matched: int
    matched_unread: int
    tags: list[str]


class MailboxService:
    """Keep what the SMTP sink receives; list, read, search (maybe waiting), mark and delete."""

    def __init__(self, db: Database, clock: Clock, journal: Journal) -> None:
        self.db = db
        self.store = MailboxStore()
        self._clock = clock
        self._journal = journal

    def receive(self, raw: bytes, mail_from: str, rcpt_tos: list[str]) -> str:
        """Keep one message as delivered over SMTP and journal its arrival; returns its ID."""
        now = self._clock.now()
        now = now.replace(microsecond=now.microsecond // 1000 * 1000)  # Mailpit keeps ms
        stored = mime.stamp(raw, mail_from, rcpt_tos, f"{new_id()}@mailpit")
        message = parse_message(stored, now)
        with self.db.begin() as conn:
            self.store.insert(conn, message, stored)
        self._journal.record(
            Entry(
                service=SERVICE,
                kind="email",
                at=now,
                summary=f"received mail for {', '.join(rcpt_tos)}",
                data={"ID": message.id, "from": mail_from, "to": rcpt_tos, "size": len(stored)},
            )
        )
        return message.id

    def messages(self, start: int, limit: int, before: datetime | None = None) -> Page:
        """A page of every message, newest first (sent before ``before``)."""
        return self._page(None, start, limit, before)

    def search(
        self,
        query: Query,
        start: int,
        limit: int,
        wait: float = 0.0,
        before: datetime | None = None,
    ) -> Page:
        """A page of the messages matching ``query``; waits up to ``wait`` seconds for a first."""
        deadline = time.monotonic() + wait
        page = self._page(query, start, limit, before)
        while page.matched == 0 and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
            page = self._page(query, start, limit, before)
        return page

    def resolve(self, message_id: str, query: Query | None = None) -> str | None:
        """``latest`` (the newest message, of those matching ``query``) as an ID; others as is."""
        if message_id != "latest":
            return message_id
        with self.db.read() as conn:
            return self.store.latest_id(conn, query)

    def read(self, message_id: str) -> dict[str, Any] | None:
        """Mailpit's ``Message`` (``GET /api/v1/message/{ID}``); marks the message read."""
        with self.db.begin() as conn:
            found = self.store.get(conn, message_id)
            if found is not None:
                self.store.set_read(conn, True, [message_id])
        return None if found is None else message_detail(*found)

    def raw(self, message_id: str) -> bytes | None:
        """The message as stored: as received, plus the headers Mailpit's SMTP server adds."""
        with self.db.read() as conn:
            return self.store.raw(conn, message_id)

    def headers(self, message_id: str) -> dict[str, list[str]] | None:
        """Every header of the message, unfolded, by canonical name."""
        raw = self.raw(message_id)
        return None if raw is None else mime.header_map(raw)

    def part(self, message_id: str, part_id: str) -> Part | None:
        """An attachment or inline part by its part ID."""
        raw = self.raw(message_id)
        return None if raw is None else mime.read_envelope(raw).part(part_id)

    def set_read(self, read: bool, ids: list[str] | None, query: Query | None) -> int:
        """Mark the given messages, those matching ``query``, or all of them read or unread."""
        with self.db.begin() as conn:
            return self.store.set_read(conn, read, ids, query)

    def delete(self, ids: list[str] | None = None) -> int:
        """Delete the given messages, or every message without ``ids``; returns how many went."""
        with self.db.begin() as conn:
            return self.store.delete(conn, ids)

    def delete_matching(self, query: Query) -> int:
        """Delete the messages matching ``query`` (other tests' mail stays)."""
        with self.db.begin() as conn:
            return self.store.delete_matching(conn, query)

    def info(self) -> dict[str, Any]:
        """Mailpit's ``AppInformation`` (``GET /api/v1/info``) for this mailbox."""
        with self.db.read() as conn:
            total, unread, size = self.store.totals(conn)
            tags, counters = self.store.tag_counts(conn), self.store.counters(conn)
        return {
            "Version": f"koppeling-{_version()}",
            "LatestVersion": "disabled",
            "Database": "mailbox_messages",
            "DatabaseSize": size,
            "Messages": total,
            "Unread": unread,
            "Tags": tags,
            "RuntimeStats": {
                "Uptime": int(time.monotonic() - _STARTED),
                "Memory": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                "MessagesDeleted": counters.get("messages_deleted", 0),
                "SMTPAccepted": counters.get("smtp_accepted", 0),
                "SMTPAcceptedSize": counters.get("smtp_accepted_size", 0),
                "SMTPRejected": 0,
                "SMTPIgnored": 0,
            },
        }

    def _page(self, query: Query | None, start: int, limit: int, before: datetime | None) -> Page:
        with self.db.read() as conn:
            messages, matched, matched_unread = self.store.page(conn, start, limit, query, before)
            total, unread, _ = self.store.totals(conn)
            tags = list(self.store.tag_counts(conn))
        return Page(messages, total, unread, matched, matched_unread, tags)


def parse_message(stored: bytes, now: datetime) -> Message:
    """A stamped message's summary as Mailpit makes it on arrival (with a new ID)."""
    headers = dict(mime.raw_headers(stored))
    envelope = mime.read_envelope(stored)
    recipients = {
        key: mime.parse_addresses(headers.get(name, ""))
        for key, name in (("To", "To"), ("Cc", "Cc"), ("Bcc", "Bcc"), ("ReplyTo", "Reply-To"))
    }
    sender = _sender(headers.get("From", ""))
    listed = [sender] + recipients["To"] + recipients["Cc"] + recipients["Bcc"]
    return Message(
        id=new_id(),
        message_id=headers.get("Message-Id", "").strip("<>"),
        created=now,
        subject=mime.decode_words(headers.get("Subject", "")),
        sender=sender,
        recipients=recipients,
        size=len(stored),
        inline=len(envelope.inlines),
        attachments=len(envelope.attachments),
        snippet=mime.snippet(envelope.text, envelope.html),
        search_text=mime.search_text(headers, envelope),
        tags=mime.tags(mime.decode_words(headers.get("X-Tags", "")), listed),
    )


def message_detail(message: Message, stored: bytes) -> dict[str, Any]:
    """Mailpit's ``Message``: the summary's addresses, the body and parts read from the source."""
    headers = dict(mime.raw_headers(stored))
    envelope = mime.read_envelope(stored)
    inline, attachments = envelope.listed()
    date = mime.message_date(headers.get("Date", "")) or message.created
    return_path = headers.get("Return-Path", "").strip("<>") or message.sender["Address"]
    return {
        "ID": message.id,
        "MessageID": message.message_id,
        "From": message.sender,
        "To": mime.parse_addresses(headers.get("To", "")),
        "Cc": mime.parse_addresses(headers.get("Cc", "")),
        "Bcc": mime.parse_addresses(headers.get("Bcc", "")),
        "ReplyTo": mime.parse_addresses(headers.get("Reply-To", "")),
        "ReturnPath": return_path,
        "Subject": message.subject,
        "ListUnsubscribe": mime.list_unsubscribe(
            headers.get("List-Unsubscribe", ""), headers.get("List-Unsubscribe-Post", "")
        ),
        "Date": mime.rfc3339(date),
        "Tags": message.tags,
        "Username": "",
        "Text": envelope.text,
        "HTML": envelope.html,
        "Size": message.size,
        "Inline": [p.summary() for p in inline],
        "Attachments": [p.summary() for p in attachments],
    }


def new_id() -> str:
    """A Mailpit-like ID: 22 random letters and digits."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(22))


def _sender(value: str) -> dict[str, str]:
    """The first From address; an unparsable From is its text as the name, as in Mailpit."""
    found = mime.parse_addresses(value)
    if found:
        return found[0]
    return {"Name": mime.decode_words(value), "Address": ""}


def _version() -> str:
    try:
        return version("koppeling")
    except PackageNotFoundError:
        return "dev"
