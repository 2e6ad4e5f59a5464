"""One server-thread helper for every WSGI app (pytest-httpserver's model).

Binds 127.0.0.1 on the given port (0 picks a free one), reads the port back, serves in a daemon
thread, and ``stop()`` shuts down and joins. A context manager. Never ``app.run`` in a thread.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Self

from werkzeug.serving import BaseWSGIServer, make_server

from koppeling.harness.core import StartStop
from koppeling.harness.early_errors import ProblemRequestHandler

logging.getLogger("werkzeug").setLevel(logging.WARNING)


class ServerThread(StartStop):
    """Serve a WSGI app on a thread: ``start()``, ``url``, ``stop()``."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.host = host
        self.requested_port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("server not started")
        return int(self._server.server_port)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> Self:
        if self._server is not None:
            raise RuntimeError("server already started")
        self._server = make_server(
            self.host,
            self.requested_port,
            self.app,
            threaded=True,
            request_handler=ProblemRequestHandler,
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"koppeling-http-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None
