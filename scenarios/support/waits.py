"""Waiting without sleeping blindly: poll until a condition holds, else fail saying what was seen.

The forwarder and klantenservice work in the background, so scenarios poll. On timeout the message
names what was awaited and the last value observed, so a red scenario reads as a sentence.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

DEFAULT_TIMEOUT = 15.0


class WaitTimeout(AssertionError):
    """The awaited condition did not hold in time."""


def eventually(
    probe: Callable[[], T],
    until: Callable[[T], bool],
    *,
    what: str,
    timeout: float = DEFAULT_TIMEOUT,
    interval: float = 0.05,
) -> T:
    """Call ``probe`` until ``until(value)`` holds; return that value, or fail with the last one."""
    deadline = time.monotonic() + timeout
    value = probe()
    while not until(value):
        if time.monotonic() >= deadline:
            raise WaitTimeout(
                f"timed out after {timeout:.0f}s waiting for {what}; last seen: {value!r}"
            )
        time.sleep(interval)
        interval = min(interval * 1.5, 0.15)
        value = probe()
    return value


def stays(
    probe: Callable[[], T],
    holds: Callable[[T], bool],
    *,
    what: str,
    duration: float = 0.5,
    interval: float = 0.1,
) -> T:
    """Check that ``holds(probe())`` stays true for ``duration`` seconds (a bounded 'never')."""
    deadline = time.monotonic() + duration
    while True:
        value = probe()
        if not holds(value):
            raise AssertionError(f"{what} no longer holds; seen: {value!r}")
        if time.monotonic() >= deadline:
            return value
        time.sleep(interval)
