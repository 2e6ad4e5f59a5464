"""The mailbox: the SMTP sink every mock mails through, read back over a Mailpit-exact API.

The HTTP side serves the part of Mailpit's ``/api/v1`` that reading mail needs — list, read
(marking read), headers, parts, source, search with Mailpit's operators, read status, delete,
``/info`` — with Mailpit's fields, semantics and status codes, so a Mailpit client (ours, or the
npm ``mailpit-api``) works against it and the harness can be pointed at a real Mailpit instead.
``latest`` works wherever Mailpit takes an ID, with ``?query=`` picking the newest match. Error
bodies are problem details (our pages read them); their status is Mailpit's (400, 404). One
addition: ``wait=<seconds>`` on search, a bounded server-side long poll, so tests wait for a
message without sleeping. Thin views over :class:`mocks.mailbox.service.MailboxService`,
registered with one route table (``/openapi.json`` is built from it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from flask import Flask, Response, request

from koppeling.harness.errors import ApiError, invalid, not_found
from koppeling.harness.routes import QueryParam, Route, add_routes
from koppeling.harness.schemas import validate_body
from koppeling.harness.service import Core, create_service_app, parse_json_object
from mocks.mailbox.search import Query, parse_date, zone
from mocks.mailbox.service import SERVICE, MailboxService, Page

TITLE = "koppeling mailbox (Mailpit API)"
MAX_WAIT_SECONDS = 30.0
MAX_LIMIT = 1000


def create_app(config: dict[str, Any] | None = None, *, core: Core) -> Flask:
    """The mailbox HTTP API on the shared core."""
    app = create_service_app(SERVICE, core)
    service = MailboxService(core.db, core.clock, core.journal)
    add_routes(app, TITLE, _message_routes(service) + _mailbox_routes(service))
    return app


def _message_routes(service: MailboxService) -> list[Route]:
    """One message by ``ID`` (``latest`` = the newest, or the newest ``?query=`` match)."""

    # ``ID``/``PartID``: the path parameters as Mailpit's document names them.
    def get_message(ID: str) -> Any:
        """One message with Text, HTML and its parts; marks it read (as Mailpit)."""
        message = service.read(_resolve(service, ID))
        if message is None:
            raise _missing(ID)
        return message

    def get_headers(ID: str) -> Any:
        """The message's headers, unfolded, by canonical name (keys sorted)."""
        headers = service.headers(_resolve(service, ID))
        if headers is None:
            raise _missing(ID)
        return headers

    def get_part(ID: str, PartID: str) -> Any:
        """One attachment or inline part, with its own content type."""
        part = service.part(_resolve(service, ID), PartID)
        if part is None:
            raise not_found("Bijlage", f"no part {PartID!r} in message {ID!r}")
        disposition = f'inline; filename="{quote(part.filename or part.content_id, safe="")}"'
        # Streamed: the journal records no body (an attachment may hold anything).
        return Response(
            iter([part.content]),
            content_type=part.content_type,
            headers={"Content-Disposition": disposition},
        )

    def get_raw(ID: str) -> Any:
        """The message source as stored (as received, plus Mailpit's added headers)."""
        ident = _resolve(service, ID)
        raw = service.raw(ident)
        if raw is None:
            raise _missing(ID)
        headers = {}
        if request.args.get("dl") == "1":
            headers["Content-Disposition"] = f'attachment; filename="{ident}.eml"'
        # Streamed, so the journal keeps no copy: quoted-printable may split a key over two
        # lines, where the journal's masker cannot see it.
        return Response(iter([raw]), content_type="text/plain; charset=utf-8", headers=headers)

    found = {"200": "OK", "404": "No such message"}
    return [
        Route("GET", "/api/v1/message/{ID}", get_message, responses=found),
        Route("GET", "/api/v1/message/{ID}/headers", get_headers, responses=found),
        Route("GET", "/api/v1/message/{ID}/part/{PartID}", get_part, responses=found),
        Route("GET", "/api/v1/message/{ID}/raw", get_raw, responses=found),
    ]


#: ``?query=``: required where a search is the point, some text that is not only spaces.
QUERY = QueryParam("query", {"type": "string", "pattern": "\\S"}, required=True)


def _mailbox_routes(service: MailboxService) -> list[Route]:
    """The mailbox as a whole: list, search, read status, delete, info."""

    def list_messages() -> Any:
        """Messages, newest first (``start``, ``limit``, ``before``)."""
        start, limit = _paging()
        page = service.messages(start, limit, _before())
        return _listing(page, start, searched=False)

    def search() -> Any:
        """Messages matching ``query`` (Mailpit's operators); ``wait`` long-polls."""
        query = _required_query()
        start, limit = _paging()
        page = service.search(query, start, limit, _wait_seconds(), _before())
        return _listing(page, start, searched=True)

    def set_read_status() -> Any:
        """Mark ``IDs``, the ``Search`` matches, or every message read or unread."""
        body = _body("mailbox_read_status")
        ids, text = body.get("IDs") or None, str(body.get("Search") or "").strip()
        if ids and text:
            raise invalid("Search", "You may specify either IDs or a search query, not both", 400)
        query = Query.parse(text, request.args.get("tz", "")) if text else None
        service.set_read(bool(body.get("Read", False)), ids, query)
        return _ok()

    def delete_messages() -> Any:
        """Delete the messages in ``{"IDs": [...]}``, or all of them without IDs."""
        service.delete(_body("mailbox_delete").get("IDs") or None)
        return _ok()

    def delete_search() -> Any:
        """Delete the messages matching ``query`` (leaves other tests' mail alone)."""
        service.delete_matching(_required_query())
        return _ok()

    def info() -> Any:
        """Mailpit's application information: version, message totals, tags, runtime stats."""
        return service.info()

    bad = {"200": "OK", "400": "Bad request"}
    return [
        Route("GET", "/api/v1/messages", list_messages, responses=bad),
        Route(
            "PUT",
            "/api/v1/messages",
            set_read_status,
            request_schema="mailbox_read_status",
            responses=bad,
        ),
        Route(
            "DELETE",
            "/api/v1/messages",
            delete_messages,
            request_schema="mailbox_delete",
            responses=bad,
        ),
        Route("GET", "/api/v1/search", search, responses=bad, query=(QUERY,)),
        Route("DELETE", "/api/v1/search", delete_search, responses=bad, query=(QUERY,)),
        Route("GET", "/api/v1/info", info),
    ]


def _listing(page: Page, start: int, *, searched: bool) -> dict[str, Any]:
    """Mailpit's ``MessagesSummary``; a plain listing counts the whole mailbox as matched."""
    return {
        "total": page.total,
        "unread": page.unread,
        "count": len(page.messages),
        "messages_count": page.matched if searched else page.total,
        "messages_unread": page.matched_unread if searched else page.unread,
        "start": start,
        "tags": page.tags,
        "messages": [m.summary() for m in page.messages],
    }


def _resolve(service: MailboxService, ident: str) -> str:
    """``latest`` as the newest message's ID (of the ``query`` matches); 404 if there is none."""
    resolved = service.resolve(ident, _query())
    if resolved is None:
        raise not_found("Bericht", "Message not found")
    return resolved


def _missing(ident: str) -> ApiError:
    return not_found("Bericht", f"no message with ID {ident!r}")


def _ok() -> Response:
    return Response("ok", content_type="text/plain")


def _body(schema: str) -> dict[str, Any]:
    """The JSON body (any content type, as Mailpit reads it; none is ``{}``), checked against
    ``schema``; bad input is a 400, Mailpit's status for it."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    data = parse_json_object(raw)
    try:
        return validate_body(schema, data)
    except ApiError as exc:
        raise invalid(exc.field or "body", exc.detail, 400) from None


def _query() -> Query | None:
    """``?query=`` (with ``tz``) parsed, or None without one."""
    text = request.args.get("query", "").strip()
    return Query.parse(text, request.args.get("tz", "")) if text else None


def _required_query() -> Query:
    query = _query()
    if query is None:
        raise invalid("query", "Error: no search query", 400)
    return query


def _before() -> datetime | None:
    """``before=``: only messages received before that date (an unreadable one is ignored)."""
    text = request.args.get("before", "").strip()
    return parse_date(text.upper(), zone(request.args.get("tz", ""))) if text else None


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
