"""gunicorn responses whose head and first body bytes leave in one ``sendall``.

gunicorn's :class:`~gunicorn.http.wsgi.Response` writes the status line and headers with one
``sendall`` and each body chunk with another. Every ``sendall`` lets go of the GIL, and a
request thread that let go of it waits to get it back until the thread holding it does (up to
the switch interval, 5 ms, when that thread is busy in Python): under load, a worker's request
threads queue on each other at every such call. A mock's answer is one body chunk (Flask hands
gunicorn the whole body at once), so holding the head back until that chunk comes halves the
writes of an answer; the client sees the same bytes.

The head still goes out on its own where it must: before a file sent with ``sendfile``, before
chunked framing, and in :meth:`OneWriteResponse.close` for an answer without body bytes.
"""

from __future__ import annotations

from typing import Any

from gunicorn import util
from gunicorn.http import wsgi


class OneWriteResponse(wsgi.Response):  # type: ignore[misc]
    """gunicorn's response, its head held back and sent with the first body bytes."""

    _head = b""
    headers_sent: bool  # gunicorn's, set in its __init__

    def send_headers(self) -> None:
        if self.headers_sent:
            return
        lines = self.default_headers()
        lines.extend(f"{name}: {value}\r\n" for name, value in self.headers)
        self._head = util.to_bytestring("{}\r\n".format("".join(lines)), "latin-1")
        self.headers_sent = True

    def _flush_head(self) -> None:
        head, self._head = self._head, b""
        if head:
            util.write(self.sock, head)

    def _emit_body(self, data: bytes) -> None:
        if self._head and not self.chunked:
            head, self._head = self._head, b""
            util.write(self.sock, head + data)
            return
        self._flush_head()
        super()._emit_body(data)

    def sendfile(self, respiter: Any) -> bool:
        self.send_headers()
        self._flush_head()
        return bool(super().sendfile(respiter))

    def close(self) -> None:
        self.send_headers()
        self._flush_head()
        super().close()


_gunicorn_create = wsgi.create


def _create(
    req: Any,
    sock: Any,
    client: Any,
    server: Any,
    cfg: Any,
    response_class: Any = None,
    response_args: tuple[Any, ...] = (),
) -> Any:
    """gunicorn's ``wsgi.create`` with :class:`OneWriteResponse` unless a protocol brings its
    own response class (HTTP/2 does)."""
    return _gunicorn_create(
        req, sock, client, server, cfg, response_class or OneWriteResponse, response_args
    )


def install() -> None:
    """Make this process's gunicorn answer with :class:`OneWriteResponse` (a worker calls this
    when it starts; the gthread worker looks ``wsgi.create`` up per request)."""
    wsgi.create = _create
