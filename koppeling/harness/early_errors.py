"""Errors a server answers before any Flask app sees the request, as problem details.

Every answer of a service is problem+json or a SOAP Fault, but a request line too long to read
(414) is refused by the HTTP server itself, before routing: werkzeug's dev server (Python's
``BaseHTTPRequestHandler``, above 64 KiB) and gunicorn (above ``--limit-request-line``, 4094
bytes by default) both answer with an HTML page of their own. The request is not read, so its
path — and with it the SOAP-or-REST dialect — is unknown: the answer is problem details.

- werkzeug: :class:`ProblemRequestHandler` answers every error of the server itself so.
- gunicorn: :class:`ProblemThreadWorker` (``--worker-class``) answers the two size limits so
  (414 request line, 431 headers); its other parse errors (a malformed request line or header,
  400) keep gunicorn's own HTML answer, which no hook reaches without replacing gunicorn's code.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from gunicorn import util
from gunicorn.http.errors import LimitRequestHeaders, LimitRequestLine
from gunicorn.workers.gthread import ThreadWorker
from werkzeug.serving import WSGIRequestHandler

from koppeling.harness import one_write
from koppeling.harness.errors import PROBLEM_TYPE, problem_body

NO_BODY = (HTTPStatus.NO_CONTENT, HTTPStatus.RESET_CONTENT, HTTPStatus.NOT_MODIFIED)


class ProblemRequestHandler(WSGIRequestHandler):
    """werkzeug's request handler, answering the server's own errors as problem details."""

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        short, long = self.responses.get(code, ("Error", ""))
        self.log_error("code %d, message %s", code, message or short)
        self.send_response(code, message)
        self.send_header("Connection", "close")
        body = b"" if code < 200 or code in NO_BODY else problem_body(code, explain or long)
        if body:
            self.send_header("Content-Type", PROBLEM_TYPE)
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and body:
            self.wfile.write(body)


#: gunicorn's size limits: exception, status, reason phrase.
LIMITS = (
    (LimitRequestLine, 414, "URI Too Long"),
    (LimitRequestHeaders, 431, "Request Header Fields Too Large"),
)


class ProblemThreadWorker(ThreadWorker):  # type: ignore[misc]
    """gunicorn's gthread worker, answering a request line or headers too large as problem
    details instead of gunicorn's HTML page."""

    def init_process(self) -> None:
        one_write.install()
        super().init_process()

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        limit = next((lim for lim in LIMITS if isinstance(exc, lim[0])), None)
        if limit is None:
            super().handle_error(req, client, addr, exc)
            return
        _, status, reason = limit
        self.log.warning("Invalid request from ip=%s: %s", (addr or ("",))[0], exc)
        body = problem_body(status, f"{reason}: {exc}")
        head = (
            f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\n"
            f"Content-Type: {PROBLEM_TYPE}\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        try:
            util.write_nonblock(client, head.encode("latin-1") + body)
        except OSError:
            self.log.debug("Failed to send error message.")
