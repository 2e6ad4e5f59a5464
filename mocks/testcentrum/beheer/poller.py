"""The background follow-up of open aanvragen: a school's dashboard koppeling becomes ``actief``
(or ``afgewezen``) without anyone looking at it, as klantenservice decides."""

from __future__ import annotations

import logging
import threading

from mocks.testcentrum.beheer.service import BeheerService

log = logging.getLogger("koppeling.testcentrum")


class AanvraagPoller:
    """Asks klantenservice about open aanvragen every ``interval`` seconds (and resubmits ones
    that could not be sent)."""

    def __init__(self, beheer: BeheerService, interval: float) -> None:
        self.beheer = beheer
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> AanvraagPoller:
        self._thread = threading.Thread(target=self._run, name="testcentrum-poller", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.beheer.volg_op()
            except Exception as exc:  # keep polling; the next pass may succeed
                log.warning("poller: %s", exc)
