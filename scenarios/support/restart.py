"""Restarting the stand-in testcentrum's background worker (the forwarder) in the harness.

A real restart loses whatever lived only in the process; what survives is the store. Stopping the
testcentrum's worker and starting a fresh one from its module's ``create_worker`` is exactly that
for the forwarder, whose outbox must be durable. In-process harness only.
"""

from __future__ import annotations

from typing import Any

from koppeling.harness.core import start_workers
from koppeling.harness.process import Harness
from koppeling.harness.services import spec

SERVICE = "testcentrum"


def _is_testcentrum(worker: Any) -> bool:
    return type(worker).__module__.startswith(f"mocks.{SERVICE}")


class Restarter:
    """``stop()`` / ``start()`` / ``restart()`` the testcentrum worker of a running harness."""

    def __init__(self, harness: Harness) -> None:
        self.harness = harness

    @property
    def running(self) -> bool:
        return any(_is_testcentrum(w) for w in self.harness.workers)

    def stop(self) -> None:
        """Stop the testcentrum's worker (as a crash or deploy would), keeping the store."""
        keep = []
        for worker in self.harness.workers:
            if _is_testcentrum(worker):
                worker.stop()
            else:
                keep.append(worker)
        self.harness.workers = keep

    def start(self) -> None:
        """Start a fresh testcentrum worker on the same store."""
        if self.running:
            return
        assert self.harness.core is not None, "harness not started"
        self.harness.workers += start_workers(
            self.harness.config, self.harness.core, [spec(SERVICE)]
        )

    def restart(self) -> None:
        self.stop()
        self.start()
