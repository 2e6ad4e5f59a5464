"""The background follow-up of open aanvragen: a school's dashboard koppeling becomes ``actief``
(or ``afgewezen``) without anyone looking at it, as klantenservice decides."""

from __future__ import annotations

import logging
import threading
import uuid

from koppeling.harness.leases import Lease
from mocks.testcentrum.beheer.service import BeheerService

log = logging.getLogger("koppeling.testcentrum")
LEASE_NAME = "testcentrum.aanvraag-poller"


class AanvraagPoller:
    """Asks klantenservice about open aanvragen every ``interval`` seconds (and resubmits ones
    that could not be sent). Of several harness processes on one store only the holder of the
    poller's lease polls."""

    def __init__(self, beheer: BeheerService, interval: float) -> None:
        self.beheer = beheer
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.lease = Lease(
            beheer.db, LEASE_NAME, f"poller-{uuid.uuid4().hex[:12]}", ttl=max(15.0, 5 * interval)
        )

    def start(self) -> AanvraagPoller:
        self._thread = threading.Thread(target=self._run, name="testcentrum-poller", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            if not self._thread.is_alive():
                try:
                    self.lease.release()
                except Exception:  # the store is gone: the lease runs out by itself
                    log.warning("could not release the poller lease", exc_info=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                if not self.lease.acquire():  # another harness process polls
                    continue
                self.beheer.volg_op()
            except Exception as exc:  # keep polling; the next pass may succeed
                log.warning("poller: %s", exc)
