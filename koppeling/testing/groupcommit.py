"""A deterministic batch for tests of group commit (:mod:`koppeling.harness.commits`).

A first write holds the write transaction until the others have queued, so they share the next
one: no timing assumptions, only waits on :meth:`GroupCommit.waiting` (bounded, 10 s)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection

from koppeling.harness.commits import GroupCommit

#: ("ok", result) or ("error", exception): what one request got back
Outcome = tuple[str, Any]
Work = Callable[[Connection], Any]


def batch_behind_a_leader(
    group: GroupCommit,
    works: list[Work],
    leader: Work = lambda conn: "leader",
    *,
    in_order: bool = False,
) -> tuple[Outcome, list[Outcome]]:
    """Run ``works`` from threads while a first write (``leader``, run once the others queued)
    holds the write transaction; the leader's outcome and each work's, in order. ``in_order``
    queues the works one after the other (a batch then runs them in that order)."""
    running, release = threading.Event(), threading.Event()
    outcomes: list[Outcome] = [("", None)] * (len(works) + 1)

    def held(conn: Connection) -> Any:
        running.set()
        assert release.wait(10)
        return leader(conn)

    def call(i: int, work: Work) -> None:
        try:
            outcomes[i] = ("ok", group.run(work))
        except Exception as exc:
            outcomes[i] = ("error", exc)

    first = threading.Thread(target=call, args=(0, held))
    first.start()
    assert running.wait(10), "the leader never ran its write"
    threads = [threading.Thread(target=call, args=(i + 1, w)) for i, w in enumerate(works)]
    for queued, thread in enumerate(threads, 1):
        thread.start()
        if in_order:
            _wait(lambda: group.waiting() >= queued, "a write never queued")  # noqa: B023 (waited for here)
    _wait(lambda: group.waiting() >= len(works), "the writes never queued")
    release.set()
    for thread in [first, *threads]:
        thread.join(10)
    return outcomes[0], outcomes[1:]


def _wait(done: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 10
    while not done():
        assert time.monotonic() < deadline, what
        time.sleep(0.001)
