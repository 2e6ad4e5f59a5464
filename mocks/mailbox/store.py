"""The mailbox's memory: every message the SMTP sink received, kept in the shared store.

Messages live in the store (not in the sink's process) so they survive a restart and so the HTTP
API, served by other worker processes, reads what the SMTP thread wrote. A message is parsed once,
on arrival (:mod:`mocks.mailbox.service`), into the fields Mailpit's API shows (From, To, Cc, Bcc,
Subject, Text, HTML, Snippet); the raw bytes are kept too. The service opens the transactions;
every method here takes its connection first. No Flask imports here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    delete,
    func,
    or_,
    select,
)

from koppeling.harness.clock import iso
from koppeling.harness.store import UtcDateTime, chunks, from_row, metadata

SNIPPET_LENGTH = 250

messages_table = Table(
    "mailbox_messages",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String(32), nullable=False, unique=True),
    Column("message_id", String(512)),
    Column("created", UtcDateTime(), nullable=False),
    Column("sender", Text, nullable=False),  # JSON {"Name", "Address"}
    Column("recipients", Text, nullable=False),  # JSON {"To": [...], "Cc": [...], "Bcc": [...]}
    Column("search_to", Text, nullable=False),  # lower-cased " addr name | addr name |"
    Column("search_from", Text, nullable=False),
    Column("subject", Text, nullable=False),
    Column("text", Text, nullable=False),
    Column("html", Text, nullable=False),
    Column("size", Integer, nullable=False),
    Column("raw", LargeBinary, nullable=False),
)

Address = dict[str, str]  # Mailpit's {"Name": ..., "Address": ...}


@dataclass(frozen=True)
class Message:
    """One received message, with Mailpit's field names available through :meth:`summary` (its
    raw bytes are kept beside it, read with :meth:`MailboxStore.raw`)."""

    id: str
    message_id: str
    created: datetime
    sender: Address
    recipients: dict[str, list[Address]]
    subject: str
    text: str
    html: str
    size: int

    def summary(self) -> dict[str, Any]:
        """The message as Mailpit lists it (``GET /api/v1/messages``)."""
        return {
            "ID": self.id,
            "MessageID": self.message_id,
            "Read": False,
            "From": self.sender,
            "To": self.recipients.get("To", []),
            "Cc": self.recipients.get("Cc", []),
            "Bcc": self.recipients.get("Bcc", []),
            "ReplyTo": [],
            "Subject": self.subject,
            "Created": mailpit_time(self.created),
            "Tags": [],
            "Size": self.size,
            "Attachments": 0,
            "Snippet": snippet(self.text or _strip_tags(self.html)),
        }

    def detail(self) -> dict[str, Any]:
        """The message as Mailpit shows one (``GET /api/v1/message/{ID}``)."""
        body = self.summary()
        for name in ("Read", "Created", "Snippet", "Attachments"):
            body.pop(name)
        body.update(
            {
                "ReturnPath": self.sender["Address"],
                "Date": mailpit_time(self.created),
                "Text": self.text,
                "HTML": self.html,
                "Inline": [],
                "Attachments": [],
            }
        )
        return body


def mailpit_time(value: datetime) -> str:
    """An instant the way Mailpit writes it: ISO-8601 in UTC with a ``Z``."""
    return str(iso(value)).replace("+00:00", "Z")


def snippet(text: str) -> str:
    """The first words of a body, whitespace collapsed, as Mailpit's ``Snippet``."""
    flat = " ".join(text.split())
    return flat if len(flat) <= SNIPPET_LENGTH else flat[:SNIPPET_LENGTH].rstrip() + "..."


def _strip_tags(html: str) -> str:
    return re.sub(r"<[^>]+>", " ", re.sub(r"(?is)<(style|script)\b.*?</\1>", " ", html))


@dataclass(frozen=True)
class Query:
    """A parsed Mailpit search: ``to:``, ``from:``, ``subject:`` and free words, all ANDed."""

    to: tuple[str, ...] = ()
    sender: tuple[str, ...] = ()
    subject: tuple[str, ...] = ()
    words: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> Query:
        """Split ``to:a@x subject:"two words" word`` into its parts (case-insensitive)."""
        parts: dict[str, list[str]] = {"to": [], "from": [], "subject": [], "": []}
        for match in re.finditer(r'(?:(\w+):)?(?:"([^"]*)"|(\S+))', text):
            prefix = (match.group(1) or "").lower()
            value = (match.group(2) if match.group(2) is not None else match.group(3)).lower()
            if prefix not in parts:  # an unknown prefix is just a word, as in Mailpit
                value, prefix = f"{prefix}:{value}", ""
            if value:
                parts[prefix].append(value)
        return cls(
            tuple(parts["to"]), tuple(parts["from"]), tuple(parts["subject"]), tuple(parts[""])
        )


class MailboxStore:
    """Insert, list, search and delete received messages."""

    def insert(self, conn: Connection, message: Message, raw: bytes) -> None:
        """Keep one parsed message, its raw bytes and its search columns."""
        recipients = [a for kind in message.recipients.values() for a in kind]
        conn.execute(
            messages_table.insert().values(
                id=message.id,
                message_id=message.message_id,
                created=message.created,
                sender=json.dumps(message.sender),
                recipients=json.dumps(message.recipients),
                search_to=_search_text(recipients),
                search_from=_search_text([message.sender]),
                subject=message.subject,
                text=message.text,
                html=message.html,
                size=message.size,
                raw=raw,
            )
        )

    def page(
        self, conn: Connection, start: int, limit: int, query: Query | None = None
    ) -> tuple[list[Message], int]:
        """A page of messages, newest first, and how many match in total."""
        t = messages_table
        conditions = _conditions(query or Query())
        total = conn.execute(select(func.count()).select_from(t).where(*conditions)).scalar()
        rows = conn.execute(
            select(t).where(*conditions).order_by(t.c.seq.desc()).offset(start).limit(limit)
        )
        return [_message(row) for row in rows], int(total or 0)

    def get(self, conn: Connection, message_id: str) -> Message | None:
        """One message by ID (``latest`` is the newest, as in Mailpit)."""
        t = messages_table
        stmt = select(t).order_by(t.c.seq.desc()).limit(1)
        if message_id != "latest":
            stmt = select(t).where(t.c.id == message_id)
        row = conn.execute(stmt).first()
        return None if row is None else _message(row)

    def raw(self, conn: Connection, message_id: str) -> bytes | None:
        """The message exactly as received over SMTP."""
        t = messages_table
        value = conn.execute(select(t.c.raw).where(t.c.id == message_id)).scalar()
        return None if value is None else bytes(value)

    def delete(self, conn: Connection, ids: Sequence[str] | None = None) -> int:
        """Delete the messages with these IDs, or every message; returns how many went."""
        t = messages_table
        if ids is None:
            return int(conn.execute(delete(t)).rowcount or 0)
        return sum(
            int(conn.execute(delete(t).where(t.c.id.in_(chunk))).rowcount or 0)
            for chunk in chunks(ids)
        )

    def delete_matching(self, conn: Connection, query: Query) -> int:
        """Delete the messages matching ``query`` (every message for an empty one)."""
        result = conn.execute(delete(messages_table).where(*_conditions(query)))
        return int(result.rowcount or 0)

    def count(self, conn: Connection) -> int:
        """How many messages the mailbox holds."""
        total = conn.execute(select(func.count()).select_from(messages_table)).scalar()
        return int(total or 0)


def _conditions(query: Query) -> list[Any]:
    t = messages_table
    found = [_like(t.c.search_to, v) for v in query.to]
    found += [_like(t.c.search_from, v) for v in query.sender]
    found += [_like(t.c.subject, v) for v in query.subject]
    found += [
        or_(
            _like(t.c.subject, v),
            _like(t.c.text, v),
            _like(t.c.search_to, v),
            _like(t.c.search_from, v),
        )
        for v in query.words
    ]
    return found


def _like(column: Any, value: str) -> Any:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(column).like(f"%{escaped}%", escape="\\")


def _search_text(addresses: list[Address]) -> str:
    return "|" + "|".join(f" {a['Address']} {a['Name']} ".lower() for a in addresses) + "|"


def _message(row: Any) -> Message:
    return from_row(
        Message,
        row,
        message_id=row.message_id or "",
        sender=json.loads(row.sender),
        recipients=json.loads(row.recipients),
    )
