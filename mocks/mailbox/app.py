"""The mailbox: the SMTP sink every mock mails through, read back over a Mailpit-compatible API.

The HTTP side is the subset of Mailpit's ``/api/v1`` that tests and people use (list, read, search,
delete), with Mailpit's JSON field names, so a Mailpit client works against it and the harness can
be pointed at a real Mailpit instead. One addition: ``wait=<seconds>`` on search, a bounded
server-side long poll, so tests wait for a message without sleeping.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Flask, Response, request

from koppeling.harness.errors import invalid, not_found
from koppeling.harness.schemas import Operation, openapi_document, validate_body
from koppeling.harness.service import Core, create_service_app, json_body
from mocks.mailbox.smtp import SmtpSink
from mocks.mailbox.store import MailStore, Query

MAX_WAIT_SECONDS = 30.0
POLL_SECONDS = 0.05
MAX_LIMIT = 1000


def create_app(config: dict[str, Any] | None = None, *, core: Core) -> Flask:
    """The mailbox HTTP API on the shared core."""
    app = create_service_app("mailbox", core)
    store = MailStore(core.db)

    @app.get("/api/v1/messages")
    def list_messages() -> Any:
        """Messages, newest first (``start``, ``limit``)."""
        start, limit = _paging()
        messages, total = store.page(start, limit)
        return _listing(messages, total, total, start)

    @app.delete("/api/v1/messages")
    def delete_messages() -> Any:
        """Delete the messages in ``{"IDs": [...]}``, or all of them without a body."""
        body = validate_body("mailbox_delete", json_body(required=False))
        ids = body.get("IDs") or None
        store.delete(ids)
        return Response("ok", content_type="text/plain")

    @app.get("/api/v1/message/<message_id>")
    def get_message(message_id: str) -> Any:
        """One message with ``Text`` and ``HTML`` (``latest`` for the newest)."""
        message = store.get(message_id)
        if message is None:
            raise not_found("Bericht", f"no message with ID {message_id!r}")
        return message.detail()

    @app.get("/api/v1/message/<message_id>/raw")
    def get_raw(message_id: str) -> Any:
        """The message source exactly as received over SMTP."""
        raw = store.raw(message_id)
        if raw is None:
            raise not_found("Bericht", f"no message with ID {message_id!r}")
        # message/rfc822, not text/plain: the journal then records only the size. A body encoded
        # quoted-printable may split a key over two lines, which the journal's masker cannot see.
        return Response(raw, content_type="message/rfc822")

    @app.get("/api/v1/search")
    def search() -> Any:
        """Messages matching ``query`` (``to:``, ``from:``, ``subject:``, words); ``wait`` polls."""
        query = Query.parse(_query_text())
        start, limit = _paging()
        deadline = time.monotonic() + _wait_seconds()
        messages, matched = store.page(start, limit, query)
        while matched == 0 and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
            messages, matched = store.page(start, limit, query)
        return _listing(messages, store.count(), matched, start)

    @app.delete("/api/v1/search")
    def delete_search() -> Any:
        """Delete the messages matching ``query`` (leaves other tests' mail alone)."""
        query = Query.parse(_query_text())
        ids = [m.id for m in store.page(0, 1_000_000, query)[0]]
        store.delete(ids)
        return Response("ok", content_type="text/plain")

    @app.get("/openapi.json")
    def openapi() -> Any:
        """The OpenAPI document of this mailbox API."""
        return openapi_document("koppeling mailbox (Mailpit subset)", OPERATIONS)

    return app


def create_worker(core: Core, options: dict[str, Any]) -> SmtpSink | None:
    """The embedded SMTP sink, unless the harness sends mail to another server."""
    if not options.get("embedded_smtp", True):
        return None
    return SmtpSink(core, str(options.get("host", "127.0.0.1")), int(options.get("smtp_port", 0)))


def _listing(messages: list[Any], total: int, matched: int, start: int) -> dict[str, Any]:
    return {
        "total": total,
        "unread": total,
        "count": len(messages),
        "messages_count": matched,
        "start": start,
        "tags": [],
        "messages": [m.summary() for m in messages],
    }


def _query_text() -> str:
    text = request.args.get("query", "").strip()
    if not text:
        raise invalid("query", "query is required, e.g. to:beheerder@school.test", 400)
    return text


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid(name, f"{name} must be an integer, got {raw!r}", 400) from None
    if not low <= value <= high:
        raise invalid(name, f"{name} must be between {low} and {high}, got {value}", 400)
    return value


def _paging() -> tuple[int, int]:
    return _int_arg("start", 0, 0, 10**9), _int_arg("limit", 50, 1, MAX_LIMIT)


def _wait_seconds() -> float:
    raw = request.args.get("wait")
    if raw is None or raw == "":
        return 0.0
    try:
        value = float(raw)
    except ValueError:
        raise invalid("wait", f"wait must be a number of seconds, got {raw!r}", 400) from None
    if not 0 <= value <= MAX_WAIT_SECONDS:
        raise invalid("wait", f"wait must be between 0 and {MAX_WAIT_SECONDS:g}, got {raw}", 400)
    return value


OPERATIONS = [
    Operation("GET", "/api/v1/messages", "List messages, newest first (start, limit)"),
    Operation(
        "DELETE", "/api/v1/messages", "Delete the given IDs, or every message", "mailbox_delete"
    ),
    Operation(
        "GET",
        "/api/v1/message/{ID}",
        "One message with Text and HTML",
        responses={"200": "OK", "404": "No such message"},
    ),
    Operation(
        "GET",
        "/api/v1/message/{ID}/raw",
        "The message source",
        responses={"200": "OK", "404": "No such message"},
    ),
    Operation(
        "GET",
        "/api/v1/search",
        "Search (query=to:addr subject:x word; wait=seconds)",
        responses={"200": "OK", "400": "Bad query"},
    ),
    Operation("DELETE", "/api/v1/search", "Delete the messages matching query"),
]
