"""gunicorn's responses with the head held back until the first body bytes
(:mod:`koppeling.harness.one_write`): the same bytes on the wire as gunicorn's own response,
in one write where the answer is one body chunk."""

from __future__ import annotations

import re
import socket
import tempfile
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from gunicorn.config import Config
from gunicorn.http import wsgi
from gunicorn.http.parser import RequestParser

from koppeling.harness import one_write

App = Callable[[dict[str, Any], Any], Iterable[bytes]]
DATE = re.compile(rb"\r\nDate: [^\r]*\r\n")


class CountingSocket:
    """A real socket that counts the writes made on it."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.writes = 0

    def sendall(self, data: bytes) -> None:
        self.writes += 1
        self.sock.sendall(data)

    def sendfile(self, *args: Any, **kwargs: Any) -> int:
        self.writes += 1
        return self.sock.sendfile(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sock, name)


def exchange(raw: bytes, app: App, response_class: Any) -> tuple[int, bytes]:
    """One request through gunicorn's parser and ``wsgi.create`` with ``response_class``:
    the writes made and the bytes the client got (its Date header blanked)."""
    server, client = socket.socketpair()
    with server, client:
        client.sendall(raw)
        cfg = Config()
        req = next(iter(RequestParser(cfg, server, ("127.0.0.1", 1))))
        counting = CountingSocket(server)
        resp, environ = wsgi.create(  # as gunicorn's HTTP/2 path calls it: keywords
            req,
            counting,
            ("127.0.0.1", 1),
            ("127.0.0.1", 2),
            cfg,
            response_class=response_class,
            response_args=(),
        )
        body = app(environ, resp.start_response)
        if isinstance(body, environ["wsgi.file_wrapper"]):
            resp.write_file(body)
        else:
            for chunk in body:
                resp.write(chunk)
        resp.close()
        server.shutdown(socket.SHUT_WR)
        received = b""
        while data := client.recv(65536):
            received += data
    return counting.writes, DATE.sub(b"\r\nDate: -\r\n", received)


def answer(status: str, headers: list[tuple[str, str]], chunks: list[bytes]) -> App:
    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        start_response(status, headers)
        return chunks

    return app


GET = b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n"
HEAD = b"HEAD /x HTTP/1.1\r\nHost: a\r\n\r\n"
BODY = b"<soap:Envelope>" + b"x" * 30_000 + b"</soap:Envelope>"


@pytest.mark.parametrize(
    ("raw", "app", "writes"),
    [
        (GET, answer("200 OK", [("Content-Length", str(len(BODY)))], [BODY]), 1),
        (HEAD, answer("200 OK", [("Content-Length", str(len(BODY)))], [BODY]), 1),
        (GET, answer("204 No Content", [], []), 1),
        (GET, answer("200 OK", [("Content-Length", "0")], [b""]), 1),
        (GET, answer("200 OK", [("Content-Length", "6")], [b"abc", b"def"]), 2),
        (GET, answer("200 OK", [], [b"streamed ", b"in chunks"]), 4),  # chunked
    ],
    ids=["one-chunk", "head", "no-content", "empty", "two-chunks", "chunked"],
)
def test_the_same_bytes_as_gunicorns_own_response_in_fewer_writes(
    raw: bytes, app: App, writes: int
) -> None:
    ours = exchange(raw, app, one_write.OneWriteResponse)
    theirs = exchange(raw, app, wsgi.Response)
    assert ours[1] == theirs[1] and ours[1].startswith(b"HTTP/1.1 ")
    assert ours[0] == writes < theirs[0] or ours[0] == theirs[0] == writes


def test_a_file_sent_with_sendfile_comes_after_its_head() -> None:
    with tempfile.TemporaryFile() as file:
        file.write(BODY)
        file.seek(0)

        def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
            start_response("200 OK", [("Content-Length", str(len(BODY)))])
            return environ["wsgi.file_wrapper"](file)  # type: ignore[no-any-return]

        ours = exchange(GET, app, one_write.OneWriteResponse)
        file.seek(0)
        theirs = exchange(GET, app, wsgi.Response)
    assert ours == theirs and ours[1].endswith(BODY)


def test_a_worker_answers_with_it_unless_a_protocol_brings_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(wsgi, "create", wsgi.create)  # undone after the test
    one_write.install()
    writes, data = exchange(GET, answer("200 OK", [("Content-Length", "2")], [b"ok"]), None)
    assert writes == 1 and data.endswith(b"\r\n\r\nok")
    writes, _ = exchange(GET, answer("200 OK", [("Content-Length", "2")], [b"ok"]), wsgi.Response)
    assert writes == 2
