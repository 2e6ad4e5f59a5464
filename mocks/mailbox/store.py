"""The mailbox's memory: every message the SMTP sink received, kept in the shared store.

Messages live in the store (not in the sink's process) so they survive a restart and so the HTTP
API, served by other worker processes, reads what the SMTP thread wrote. As in Mailpit, a message
is kept twice: its raw bytes (read again, with :mod:`mocks.mailbox.mime`, for the detail, the
headers and the parts) and the summary columns a listing and a search need — the addresses as
the JSON Mailpit matches ``to:`` and friends against, the search text, the snippet, the
attachment counts, the tags and the read flag. The service opens the transactions; every method
here takes its connection first. No Flask imports here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    delete,
    func,
    not_,
    or_,
    select,
    update,
)

from koppeling.harness.store import UtcDateTime, chunks, from_row, metadata, position
from mocks.mailbox.mime import Address, go_json, rfc3339
from mocks.mailbox.search import Query, Term

messages_table = Table(
    "mailbox_messages",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String(32), nullable=False, unique=True),
    Column("message_id", String(512), nullable=False),
    Column("created", UtcDateTime(), nullable=False),
    Column("subject", Text, nullable=False),
    # Mailpit's metadata: each address field as the JSON its search matches ("{}" when empty)
    Column("from_json", Text, nullable=False),
    Column("to_json", Text, nullable=False),
    Column("cc_json", Text, nullable=False),
    Column("bcc_json", Text, nullable=False),
    Column("reply_to_json", Text, nullable=False),
    Column("size", Integer, nullable=False),
    Column("inline", Integer, nullable=False),
    Column("attachments", Integer, nullable=False),
    Column("snippet", Text, nullable=False),
    Column("search_text", Text, nullable=False),
    Column("tags", Text, nullable=False),  # JSON list, sorted
    Column("tag_keys", Text, nullable=False),  # lower-cased "|tag|tag|" for tag: searches
    Column("read", Boolean, nullable=False, default=False),
    Column("raw", LargeBinary, nullable=False),
)

counters_table = Table(
    "mailbox_counters",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("value", Integer, nullable=False),
)

_ADDRESS_COLUMNS = {"from": "from_json", "to": "to_json", "cc": "cc_json", "bcc": "bcc_json"}
_ADDRESS_COLUMNS["reply_to"] = "reply_to_json"


@dataclass(frozen=True)
class Message:
    """One received message's summary columns, as Mailpit lists it (:meth:`summary`)."""

    id: str
    message_id: str
    created: datetime
    subject: str
    sender: Address
    recipients: dict[str, list[Address]]  # "To", "Cc", "Bcc", "ReplyTo"
    size: int
    inline: int
    attachments: int
    snippet: str
    search_text: str
    tags: list[str]
    read: bool = False

    def summary(self) -> dict[str, Any]:
        """Mailpit's ``MessageSummary`` (``GET /api/v1/messages``, ``/search``)."""
        return {
            "ID": self.id,
            "MessageID": self.message_id,
            "Read": self.read,
            "From": self.sender,
            "To": self.recipients["To"],
            "Cc": self.recipients["Cc"],
            "Bcc": self.recipients["Bcc"],
            "ReplyTo": self.recipients["ReplyTo"],
            "Subject": self.subject,
            "Created": rfc3339(self.created),
            "Username": "",
            "Tags": self.tags,
            "Size": self.size,
            "Attachments": self.attachments,
            "Snippet": self.snippet,
        }


class MailboxStore:
    """Insert, list, search, mark and delete received messages."""

    def insert(self, conn: Connection, message: Message, raw: bytes) -> None:
        """Keep one message: its summary columns and its raw bytes."""
        fields = {"To": "to_json", "Cc": "cc_json", "Bcc": "bcc_json", "ReplyTo": "reply_to_json"}
        conn.execute(
            messages_table.insert().values(
                id=message.id,
                message_id=message.message_id,
                created=message.created,
                subject=message.subject,
                from_json=go_json(message.sender),
                **{col: _address_json(message.recipients[key]) for key, col in fields.items()},
                size=message.size,
                inline=message.inline,
                attachments=message.attachments,
                snippet=message.snippet,
                search_text=message.search_text,
                tags=json.dumps(message.tags),
                tag_keys="|" + "".join(f"{t.lower()}|" for t in message.tags),
                read=message.read,
                raw=raw,
            )
        )
        self.count_up(conn, smtp_accepted=1, smtp_accepted_size=message.size)

    def page(
        self,
        conn: Connection,
        start: int,
        limit: int,
        query: Query | None = None,
        before: datetime | None = None,
    ) -> tuple[list[Message], int, int]:
        """A page of messages, newest first; how many match and how many of those are unread."""
        t = messages_table
        where = _conditions(query or Query()) + ([t.c.created < before] if before else [])
        matched, unread = conn.execute(
            select(func.count(), func.sum(func.cast(~t.c.read, Integer))).where(*where)
        ).one()
        rows = conn.execute(
            select(t).where(*where).order_by(t.c.seq.desc()).offset(start).limit(limit)
        )
        return [_message(row) for row in rows], int(matched or 0), int(unread or 0)

    def latest_id(self, conn: Connection, query: Query | None = None) -> str | None:
        """The newest message's ID (of those matching ``query``)."""
        t = messages_table
        stmt = select(t.c.id).where(*_conditions(query or Query()))
        return conn.execute(stmt.order_by(t.c.seq.desc()).limit(1)).scalar()

    def get(self, conn: Connection, message_id: str) -> tuple[Message, bytes] | None:
        """One message by ID, with its raw bytes."""
        row = conn.execute(select(messages_table).where(messages_table.c.id == message_id)).first()
        return None if row is None else (_message(row), bytes(row.raw))

    def raw(self, conn: Connection, message_id: str) -> bytes | None:
        """The message as stored (as received, plus Mailpit's stamped headers)."""
        t = messages_table
        value = conn.execute(select(t.c.raw).where(t.c.id == message_id)).scalar()
        return None if value is None else bytes(value)

    def set_read(
        self,
        conn: Connection,
        read: bool,
        ids: Sequence[str] | None = None,
        query: Query | None = None,
    ) -> int:
        """Mark the given messages (or those matching ``query``, or all) read or unread."""
        t = messages_table
        where = _conditions(query) if query else []
        if ids is None:
            return int(conn.execute(update(t).where(*where).values(read=read)).rowcount or 0)
        return sum(
            int(conn.execute(update(t).where(t.c.id.in_(c)).values(read=read)).rowcount or 0)
            for c in chunks(ids)
        )

    def delete(self, conn: Connection, ids: Sequence[str] | None = None) -> int:
        """Delete the messages with these IDs, or every message; returns how many went."""
        t = messages_table
        if ids is None:
            gone = int(conn.execute(delete(t)).rowcount or 0)
        else:
            gone = sum(
                int(conn.execute(delete(t).where(t.c.id.in_(chunk))).rowcount or 0)
                for chunk in chunks(ids)
            )
        self.count_up(conn, messages_deleted=gone)
        return gone

    def delete_matching(self, conn: Connection, query: Query) -> int:
        """Delete the messages matching ``query``."""
        gone = int(conn.execute(delete(messages_table).where(*_conditions(query))).rowcount or 0)
        self.count_up(conn, messages_deleted=gone)
        return gone

    def totals(self, conn: Connection) -> tuple[int, int, int]:
        """How many messages the mailbox holds, how many are unread, and their total size."""
        t = messages_table
        total, unread, size = conn.execute(
            select(func.count(), func.sum(func.cast(~t.c.read, Integer)), func.sum(t.c.size))
        ).one()
        return int(total or 0), int(unread or 0), int(size or 0)

    def tag_counts(self, conn: Connection) -> dict[str, int]:
        """Every tag in use and on how many messages, by name (case-insensitive order)."""
        counts: dict[str, int] = {}
        t = messages_table
        for (tags,) in conn.execute(select(t.c.tags).where(t.c.tags != "[]")):
            for tag in json.loads(tags):
                counts[tag] = counts.get(tag, 0) + 1
        return dict(sorted(counts.items(), key=lambda item: item[0].lower()))

    def counters(self, conn: Connection) -> dict[str, int]:
        """The running totals (accepted messages and bytes, deleted messages)."""
        rows = conn.execute(select(counters_table.c.name, counters_table.c.value))
        return {name: int(value) for name, value in rows}

    def count_up(self, conn: Connection, **amounts: int) -> None:
        """Add to the running totals."""
        c = counters_table
        for name, amount in amounts.items():
            done = conn.execute(update(c).where(c.c.name == name).values(value=c.c.value + amount))
            if not done.rowcount:
                conn.execute(c.insert().values(name=name, value=amount))


def _address_json(addresses: list[Address]) -> str:
    return go_json(addresses) if addresses else "{}"


def _conditions(query: Query) -> list[Any]:
    return [_condition(term) for term in query.terms]


def _condition(term: Term) -> Any:
    """One search term as SQL, as Mailpit's ``searchQueryBuilder`` writes it (LIKE ignores
    ASCII case in SQLite, as in Mailpit: ``ilike`` says so on every engine; ``%`` and ``_`` stay
    wildcards there too)."""
    t = messages_table
    pattern = f"%{term.value}%"
    found: Any
    if term.kind in _ADDRESS_COLUMNS:
        found = t.c[_ADDRESS_COLUMNS[term.kind]].ilike(pattern)
    elif term.kind == "addressed":
        found = or_(*(t.c[col].ilike(pattern) for col in _ADDRESS_COLUMNS.values()))
    elif term.kind == "subject":
        found = t.c.subject.ilike(pattern)
    elif term.kind == "message_id":
        found = t.c.message_id.ilike(pattern)
    elif term.kind == "tag":
        found = position(t.c.tag_keys, f"|{term.value}|") > 0
    elif term.kind == "flag":
        found = _flag(term.value)
    elif term.kind in ("before", "after"):
        # Mailpit: after: is >=, before: is <=; negated, each flips to the other side
        return _date(term.kind, term.when, term.exclude)
    elif term.kind in ("larger", "smaller"):
        bigger = (term.kind == "larger") != term.exclude
        return t.c.size > term.size if bigger else t.c.size < term.size
    else:
        found = t.c.search_text.ilike(pattern)
    return not_(found) if term.exclude else found


def _flag(name: str) -> Any:
    t = messages_table
    flags = {
        "read": t.c.read.is_(True),
        "unread": t.c.read.is_(False),
        "tagged": t.c.tags != "[]",
        "inline": t.c.inline > 0,
        "attachment": t.c.attachments > 0,
    }
    return flags[name]


def _date(kind: str, when: datetime | None, exclude: bool) -> Any:
    created = messages_table.c.created
    if (kind == "after") != exclude:
        return created >= when
    return created <= when


def _message(row: Any) -> Message:
    recipients = {
        "To": row.to_json,
        "Cc": row.cc_json,
        "Bcc": row.bcc_json,
        "ReplyTo": row.reply_to_json,
    }
    return from_row(
        Message,
        row,
        sender=json.loads(row.from_json),
        recipients={key: _addresses(value) for key, value in recipients.items()},
        tags=json.loads(row.tags),
        read=bool(row.read),
    )


def _addresses(value: str) -> list[Address]:
    found = json.loads(value)
    return found if isinstance(found, list) else []
