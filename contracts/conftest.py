"""Fixtures of the contract suite: a real mock with one field of its answers broken."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack

import pytest

from contracts.pactkit import quiet
from koppeling.harness.process import Harness
from koppeling.harness.server import ServerThread

quiet()

WsgiApp = Callable[..., Iterable[bytes]]


class FieldBreaker:
    """WSGI middleware around a real mock app: rewrites bytes in the answers under ``path``."""

    def __init__(self, app: WsgiApp, path: str, old: bytes, new: bytes) -> None:
        self.app, self.path, self.old, self.new = app, path, old, new

    def __call__(
        self, environ: dict[str, object], start_response: Callable[..., object]
    ) -> Iterable[bytes]:
        captured: dict[str, object] = {}

        def capture(
            status: str, headers: list[tuple[str, str]], exc_info: object = None
        ) -> Callable[[bytes], object]:
            captured.update(status=status, headers=headers)
            return lambda data: None

        result = self.app(environ, capture)
        try:
            body = b"".join(result)
        finally:
            getattr(result, "close", lambda: None)()
        if str(environ.get("PATH_INFO", "")).startswith(self.path):
            body = body.replace(self.old, self.new)
        headers = [
            (k, v)
            for k, v in captured["headers"]  # type: ignore[attr-defined]
            if k.lower() != "content-length"
        ]
        start_response(captured["status"], [*headers, ("Content-Length", str(len(body)))])
        return [body]


@pytest.fixture
def break_field(live: Harness) -> Iterator[Callable[[str, str, bytes, bytes], str]]:
    """Serve a harness mock on a free port with ``old`` replaced by ``new`` in answers under
    ``path``; returns its base URL (its setup API still works, unbroken)."""
    with ExitStack() as stack:

        def serve(service: str, path: str, old: bytes, new: bytes) -> str:
            breaker = FieldBreaker(live.apps[service].wsgi_app, path, old, new)
            return stack.enter_context(ServerThread(breaker)).url

        yield serve
