"""What the SOAP lane tests of every service share (``tests/las/test_soap_lane.py``,
``tests/schoolkr8/test_soap_lane.py``): a WSGI call as a server makes it, the same request to
the app (lane in front) and to the Flask app behind the lane compared, and raw HTTP exchanges.
"""

from __future__ import annotations

import io
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask

from koppeling.harness.service import Core, SoapLane
from koppeling.uwlr.soap import MAX_REQUEST_BYTES, SOAP_CONTENT_TYPE

CORRELATION = "0123456789abcdef0123456789abcdef"


@dataclass
class Answer:
    status: str
    headers: list[tuple[str, str]]
    body: bytes


def call(
    app: Callable[..., Any],
    path: str,
    body: bytes,
    *,
    action: str | None,
    method: str = "POST",
    query: str = "",
    headers: dict[str, str | None] | None = None,
    stream: Any = None,
) -> Answer:
    """One WSGI call as a server makes it (a Content-Length, the body on ``wsgi.input``, the
    SOAPAction ``action`` unless None); ``headers`` add, change (None: remove) headers."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8401",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1:8401",
        "CONTENT_TYPE": SOAP_CONTENT_TYPE,
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_X_CORRELATION_ID": CORRELATION,
        "wsgi.input": stream if stream is not None else io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
        "REMOTE_ADDR": "127.0.0.1",
    }
    if action is not None:
        environ["HTTP_SOAPACTION"] = action
    for name, value in (headers or {}).items():
        key = name.upper().replace("-", "_")
        if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            environ[key] = value
        elif value is None:
            environ.pop(f"HTTP_{key}", None)
        else:
            environ[f"HTTP_{key}"] = value
    captured: dict[str, Any] = {}

    def start_response(status: str, hdrs: list[tuple[str, str]], exc_info: Any = None) -> Any:
        captured.update(status=status, headers=list(hdrs))
        return lambda data: None

    result = app(environ, start_response)
    try:
        data = b"".join(result)
    finally:
        getattr(result, "close", lambda: None)()
    return Answer(captured["status"], captured["headers"], data)


def lane_in_front(app: Flask) -> SoapLane:
    lane = app.wsgi_app
    assert isinstance(lane, SoapLane)
    return lane


def journal_of(core: Core, service: str) -> list[dict[str, Any]]:
    """The service's journal entries, oldest first, without what differs between two requests."""
    entries = []
    for entry in core.journal.entries(service=service):
        seen = entry.as_json()
        del seen["id"]
        seen["data"] = {k: v for k, v in (seen["data"] or {}).items() if k != "duration_ms"}
        entries.append(seen)
    return entries


def compare(
    app: Flask, body: bytes, *, action: str | None, **kwargs: Any
) -> tuple[Answer, Answer, int]:
    """The answer through ``app``, the answer of the Flask app behind its lane alone, and how
    many the lane served; also checks that each request left at most one journal entry and the
    two entries agree."""
    lane = lane_in_front(app)
    lane.core.journal.clear(lane.name)
    served = lane.served
    through_app = call(app, lane.path, body, action=action, **kwargs)
    by_lane = lane.served - served
    entries = journal_of(lane.core, lane.name)
    flask_alone = call(lane.flask, lane.path, body, action=action, **kwargs)
    assert lane.served - served == by_lane  # Flask alone never reaches the lane
    assert len(entries) <= 1  # one entry per request (none for a refused Host)
    assert journal_of(lane.core, lane.name) == entries + entries
    return through_app, flask_alone, by_lane


#: requests that are not plain: the lane leaves them to Flask, unseen (:func:`not_plain`)
NOT_PLAIN = [
    "query",
    "origin",
    "referer",
    "foreign host",
    "chunked",
    "no length",
    "too large",
    "get",
]


def not_plain(kind: str, body: bytes) -> tuple[bytes, dict[str, Any]]:
    """``body`` and the arguments of :func:`call` that make a request of that kind of
    :data:`NOT_PLAIN`: a query string, an Origin or Referer, a foreign Host, a chunked body, no
    Content-Length, a body over the lane's limit, a GET (of the WSDL)."""
    kwargs: dict[str, Any] = {}
    if kind == "query":
        kwargs["query"] = "x=1"
    elif kind == "origin":
        kwargs["headers"] = {"Origin": "http://127.0.0.1:8401"}
    elif kind == "referer":
        kwargs["headers"] = {"Referer": "http://127.0.0.1:8401/"}
    elif kind == "foreign host":
        kwargs["headers"] = {"Host": "evil.example"}
    elif kind == "chunked":
        kwargs["headers"] = {"Transfer-Encoding": "chunked"}
    elif kind == "no length":
        kwargs["headers"] = {"Content-Length": ""}
    elif kind == "too large":
        body = body.replace(b"<soap:Header>", b"<soap:Header>" + b" " * MAX_REQUEST_BYTES)
    else:
        kwargs["method"] = "GET"
        kwargs["query"] = "wsdl"
    return body, kwargs


def without_soap_header(body: bytes) -> bytes:
    """The request without its ``soap:Header`` (and so without its autorisatie)."""
    start, end = body.index(b"<soap:Header>"), body.index(b"</soap:Header>") + 14
    return body[:start] + body[end:]


class Unreadable(io.RawIOBase):
    """A request body whose reading fails (the client went away)."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        raise ConnectionResetError("peer went away")


# --- on the wire -------------------------------------------------------------------------------


def raw_exchange(url: str, request: bytes) -> bytes:
    """Send ``request`` as is and read the answer until the server closes the connection."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def http_request(path: str, port: str, body: bytes, action: str | None) -> bytes:
    """A SOAP POST of ``body`` to ``path`` as a client sends it, closing the connection."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: {SOAP_CONTENT_TYPE}\r\nSOAPAction: {action}\r\n"
        f"X-Correlation-ID: {CORRELATION}\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode() + body


def without_date(answer: bytes) -> bytes:
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = [line for line in head.split(b"\r\n") if not line.lower().startswith(b"date:")]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


#: what granian adds to every answer (gunicorn sends the first as well, with another value)
SERVER_HEADERS = (b"server", b"date")


def as_heard(answer: bytes) -> tuple[bytes, list[tuple[bytes, bytes]], bytes]:
    """An HTTP/1.1 answer as a client reads it: the status line in lower case, the headers as
    (lower-case name, value) in name order without those a server adds of its own (``Server``,
    ``Date``), the body. granian writes header names in lower case and in an order of its own,
    and hyper's reason phrase ("500 Internal Server Error") where gunicorn sends the app's
    ("500 INTERNAL SERVER ERROR"); what a client can tell apart is this."""
    head, _, body = answer.partition(b"\r\n\r\n")
    status, *lines = head.split(b"\r\n")
    status = status.lower()
    headers = []
    for line in lines:
        name, _, value = line.partition(b":")
        if name.lower() not in SERVER_HEADERS:
            headers.append((name.lower(), value.strip()))
    return status, sorted(headers), body
