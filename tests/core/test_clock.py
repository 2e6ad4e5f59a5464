"""The harness clock: frozen, running, advanced, per school, across DST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from koppeling.harness.clock import AMSTERDAM, Clock, parse_instant
from koppeling.harness.store import Database


@pytest.fixture
def clock() -> Clock:
    """A clock over a fresh in-memory store, with a fake real time."""
    real = [datetime(2026, 10, 1, 12, 0, tzinfo=UTC)]
    c = Clock(_db(), real=lambda: real[0])
    c.real_time = real  # type: ignore[attr-defined]
    return c


def _db() -> Database:
    db = Database.memory()
    db.create_all()
    return db


def test_follows_real_time_until_set(clock: Clock) -> None:
    assert clock.now() == datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
    clock.real_time[0] += timedelta(seconds=5)  # type: ignore[attr-defined]
    assert clock.now() == datetime(2026, 10, 1, 12, 0, 5, tzinfo=UTC)


def test_set_freezes_and_advance_moves(clock: Clock) -> None:
    clock.set(datetime(2026, 3, 29, 0, 30, tzinfo=UTC))
    clock.real_time[0] += timedelta(hours=1)  # type: ignore[attr-defined]
    assert clock.now() == datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    state = clock.advance(3600)
    assert state.frozen
    # 00:30Z is 01:30 CET; an hour later is 03:30 CEST (the DST jump)
    assert state.now.astimezone(AMSTERDAM).strftime("%H:%M %Z") == "03:30 CEST"


def test_running_clock_keeps_offset(clock: Clock) -> None:
    clock.set(datetime(2030, 1, 1, tzinfo=UTC), frozen=False)
    clock.real_time[0] += timedelta(seconds=10)  # type: ignore[attr-defined]
    assert clock.now() == datetime(2030, 1, 1, 0, 0, 10, tzinfo=UTC)


def test_school_clock_is_its_own(clock: Clock) -> None:
    clock.set(datetime(2026, 1, 1, tzinfo=UTC))
    clock.set(datetime(2027, 6, 1, tzinfo=UTC), brincode="99AB", dependancecode="01")
    assert clock.now("99AB", "01") == datetime(2027, 6, 1, tzinfo=UTC)
    assert clock.now("99AB", "00") == datetime(2026, 1, 1, tzinfo=UTC)  # follows the harness
    assert clock.now() == datetime(2026, 1, 1, tzinfo=UTC)
    clock.reset("99AB", "01")
    assert clock.now("99AB", "01") == datetime(2026, 1, 1, tzinfo=UTC)


def test_advance_of_school_starts_from_harness_time(clock: Clock) -> None:
    clock.set(datetime(2026, 1, 1, tzinfo=UTC))
    state = clock.advance(60, brincode="99CD", dependancecode="00")
    assert state.now == datetime(2026, 1, 1, 0, 1, tzinfo=UTC)
    assert state.own


def test_naive_datetimes_are_refused(clock: Clock) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        clock.set(datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="ISO-8601"):
        parse_instant("gisteren")
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_instant("2026-01-01T10:00:00")
