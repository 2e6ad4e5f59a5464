"""The mailbox: the SMTP sink every mock mails through, read back over a Mailpit-compatible API.

The HTTP side is the subset of Mailpit's ``/api/v1`` that tests and people use (list, read, search,
delete), with Mailpit's JSON field names, so a Mailpit client works against it and the harness can
be pointed at a real Mailpit instead. One addition: ``wait=<seconds>`` on search, a bounded
server-side long poll, so tests wait for a message without sleeping. Thin views over
:class:`mocks.mailbox.service.MailboxService`, registered with one route table (``/openapi.json``
is built from it).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, request

from koppeling.harness.errors import invalid, not_found
from koppeling.harness.routes import Route, add_routes
from koppeling.harness.schemas import validate_body
from koppeling.harness.service import Core, create_service_app, json_body
from mocks.mailbox.service import SERVICE, MailboxService, Page
from mocks.mailbox.smtp import SmtpSink
from mocks.mailbox.store import Query

TITLE = "koppeling mailbox (Mailpit subset)"
MAX_WAIT_SECONDS = 30.0
MAX_LIMIT = 1000


def create_app(config: dict[str, Any] | None = None, *, core: Core) -> Flask:
    """The mailbox HTTP API on the shared core."""
    app = create_service_app(SERVICE, core)
    service = MailboxService(core.db, core.clock, core.journal)
    add_routes(app, TITLE, _routes(service))
    return app


def create_worker(core: Core, options: dict[str, Any]) -> SmtpSink | None:
    """The embedded SMTP sink, unless the harness sends mail to another server."""
    if not options.get("embedded_smtp", True):
        return None
    return SmtpSink(core, str(options.get("host", "127.0.0.1")), int(options.get("smtp_port", 0)))


def _routes(service: MailboxService) -> list[Route]:
    """The REST surface: one table for the Flask views and ``/openapi.json``."""

    def list_messages() -> Any:
        """Messages, newest first (``start``, ``limit``)."""
        start, limit = _paging()
        return _listing(service.messages(start, limit), start)

    def delete_messages() -> Any:
        """Delete the messages in ``{"IDs": [...]}``, or all of them without a body."""
        body = validate_body("mailbox_delete", json_body(required=False))
        service.delete(body.get("IDs") or None)
        return Response("ok", content_type="text/plain")

    # ``ID``: the path parameter as Mailpit's document names it.
    def get_message(ID: str) -> Any:
        """One message with ``Text`` and ``HTML`` (``latest`` for the newest)."""
        message = service.get(ID)
        if message is None:
            raise not_found("Bericht", f"no message with ID {ID!r}")
        return message.detail()

    def get_raw(ID: str) -> Any:
        """The message source exactly as received over SMTP."""
        raw = service.raw(ID)
        if raw is None:
            raise not_found("Bericht", f"no message with ID {ID!r}")
        # message/rfc822, not text/plain: the journal then records only the size. A body encoded
        # quoted-printable may split a key over two lines, which the journal's masker cannot see.
        return Response(raw, content_type="message/rfc822")

    def search() -> Any:
        """Messages matching ``query`` (``to:``, ``from:``, ``subject:``, words); ``wait`` polls."""
        query = Query.parse(_query_text())
        start, limit = _paging()
        return _listing(service.search(query, start, limit, _wait_seconds()), start)

    def delete_search() -> Any:
        """Delete the messages matching ``query`` (leaves other tests' mail alone)."""
        service.delete_matching(Query.parse(_query_text()))
        return Response("ok", content_type="text/plain")

    not_found_responses = {"200": "OK", "404": "No such message"}
    return [
        Route(
            "GET",
            "/api/v1/messages",
            list_messages,
            summary="List messages, newest first (start, limit)",
        ),
        Route(
            "DELETE",
            "/api/v1/messages",
            delete_messages,
            summary="Delete the given IDs, or every message",
            request_schema="mailbox_delete",
        ),
        Route(
            "GET",
            "/api/v1/message/{ID}",
            get_message,
            summary="One message with Text and HTML",
            responses=not_found_responses,
        ),
        Route(
            "GET",
            "/api/v1/message/{ID}/raw",
            get_raw,
            summary="The message source",
            responses=not_found_responses,
        ),
        Route(
            "GET",
            "/api/v1/search",
            search,
            summary="Search (query=to:addr subject:x word; wait=seconds)",
            responses={"200": "OK", "400": "Bad query"},
        ),
        Route(
            "DELETE",
            "/api/v1/search",
            delete_search,
            summary="Delete the messages matching query",
        ),
    ]


def _listing(page: Page, start: int) -> dict[str, Any]:
    """A page as Mailpit lists one."""
    return {
        "total": page.total,
        "unread": page.total,
        "count": len(page.messages),
        "messages_count": page.matched,
        "start": start,
        "tags": [],
        "messages": [m.summary() for m in page.messages],
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
