"""One controllable clock for the whole harness, with an optional clock per school.

The clock lives in the store so every worker process and every service sees the same time.
A scope is either the whole harness (``""``) or one school (``"99AB-00"``). A scope is *frozen*
at an instant or *running* with an offset from real time. A school without its own scope follows
the harness scope, so scenarios that move time can still run in parallel on their own schools.
All instants are timezone-aware UTC; show them in Europe/Amsterdam at the edges.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Boolean, Column, Float, String, Table, bindparam, delete, select

from koppeling.harness.schools import school_key
from koppeling.harness.store import Database, UtcDateTime, metadata, watch

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
HARNESS = ""
#: the sane range of instants: a clock set outside it could not be shown in Amsterdam time, and
#: no school year of a test harness lies there
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2199, 12, 31, 23, 59, 59, tzinfo=UTC)

clock_table = Table(
    "clock",
    metadata,
    Column("scope", String(32), primary_key=True),
    Column("frozen", Boolean, nullable=False),
    Column("frozen_at", UtcDateTime()),
    Column("offset_seconds", Float, nullable=False, default=0.0),
)
#: every write to the clock moves this generation: each process re-reads a scope only then
GENERATION = "clock"
watch(GENERATION, clock_table)


def utc(value: datetime) -> datetime:
    """``value`` in UTC; a naive datetime is refused (times must say their zone)."""
    if value.tzinfo is None:
        raise ValueError(f"expected a timezone-aware datetime, got naive {value.isoformat()}")
    return value.astimezone(UTC)


def iso(value: datetime | None) -> str | None:
    """An instant as ISO-8601 in UTC for a JSON answer (None stays None)."""
    return None if value is None else utc(value).isoformat()


def parse_instant(text: str) -> datetime:
    """An ISO-8601 instant with a zone (``Z`` allowed) as UTC; ValueError otherwise."""
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"expected an ISO-8601 date-time with zone, got {text!r}") from exc
    try:
        return in_range(utc(value))
    except OverflowError:  # 9999-12-31T23:59:59-01:00 has no UTC
        raise ValueError(f"instant {text!r} outside the sane range") from None


def in_range(value: datetime) -> datetime:
    """``value`` if it lies between :data:`EARLIEST` and :data:`LATEST`; ValueError otherwise."""
    if not EARLIEST <= value <= LATEST:
        raise ValueError(
            f"instant {value.isoformat()} outside {EARLIEST.year}..{LATEST.year} (the sane range)"
        )
    return value


@dataclass(frozen=True)
class ClockState:
    """What one scope of the clock says, for ``GET /__admin/clock``."""

    scope: str
    now: datetime
    frozen: bool
    own: bool

    def as_json(self) -> dict[str, object]:
        return {
            "scope": self.scope or "harness",
            "now": self.now.isoformat(),
            "now_local": self.now.astimezone(AMSTERDAM).isoformat(),
            "frozen": self.frozen,
            "own_clock": self.own,
        }


class Clock:
    """The harness clock: ``now()``, ``set()``, ``advance()``, ``run()``, ``reset()``."""

    def __init__(self, db: Database, real: Callable[[], datetime] | None = None) -> None:
        self._db = db
        self._real = real or (lambda: datetime.now(UTC))
        # Read once per clock generation and scope: built once, one cached statement.
        self._read_scopes = select(clock_table).where(
            clock_table.c.scope.in_([bindparam("scope"), bindparam("harness")])
        )
        # (generation, scope -> its row or None): what this process read at that generation
        self._seen: tuple[int, dict[str, Any]] = (-1, {})

    def now(self, brincode: str | None = None, dependancecode: str | None = None) -> datetime:
        """The current instant for a school (its own clock if it has one) or the harness."""
        return self.state(brincode, dependancecode).now

    def state(self, brincode: str | None = None, dependancecode: str | None = None) -> ClockState:
        scope = _scope(brincode, dependancecode)
        rows = self._rows(scope)
        row = rows.get(scope) or rows.get(HARNESS)
        real = self._real()
        if row is None:
            return ClockState(scope, real, False, False)
        now = row.frozen_at if row.frozen else real + timedelta(seconds=row.offset_seconds)
        return ClockState(scope, now, bool(row.frozen), rows.get(scope) is not None)

    def _rows(self, scope: str) -> dict[str, Any]:
        """The rows of ``scope`` and the harness scope (None: no row), read from the store
        only when the clock's generation moved since this process last read them: a change
        made by any process applies to the very next request."""
        generation = self._db.generation(GENERATION)
        seen_generation, seen = self._seen
        if seen_generation != generation or len(seen) > 4096:
            seen = {}
        if scope not in seen or HARNESS not in seen:
            with self._db.read() as conn:
                result = conn.execute(self._read_scopes, {"scope": scope, "harness": HARNESS})
                found = {r.scope: r for r in result}
            seen = {**seen, scope: found.get(scope), HARNESS: found.get(HARNESS)}
            self._seen = (generation, seen)
        return seen

    def set(
        self,
        now: datetime,
        *,
        frozen: bool = True,
        brincode: str | None = None,
        dependancecode: str | None = None,
    ) -> ClockState:
        """Put a scope at ``now``: frozen there (the default) or running on from there.

        ``now`` outside the sane range is a ValueError, and nothing is stored."""
        scope = _scope(brincode, dependancecode)
        now = in_range(utc(now))
        offset = (now - self._real()).total_seconds()
        self._write(scope, frozen, now if frozen else None, offset)
        return self.state(brincode, dependancecode)

    def advance(
        self, seconds: float, *, brincode: str | None = None, dependancecode: str | None = None
    ) -> ClockState:
        """Move a scope forward (or back, if negative) by ``seconds``, keeping it frozen or not.

        A step that is not finite or leaves the sane range is a ValueError, and nothing moves."""
        current = self.state(brincode, dependancecode)
        try:
            target = current.now + timedelta(seconds=seconds)
        except (OverflowError, ValueError):
            raise ValueError(f"advance of {seconds!r} seconds leaves the sane range") from None
        return self.set(
            target,
            frozen=current.frozen,
            brincode=brincode,
            dependancecode=dependancecode,
        )

    def reset(self, brincode: str | None = None, dependancecode: str | None = None) -> None:
        """Back to real time: one school's own clock, or (no school) every scope."""
        with self._db.begin() as conn:
            stmt = delete(clock_table)
            if brincode is not None:
                stmt = stmt.where(clock_table.c.scope == _scope(brincode, dependancecode))
            conn.execute(stmt)

    def _write(self, scope: str, frozen: bool, at: datetime | None, offset: float) -> None:
        with self._db.begin() as conn:
            conn.execute(delete(clock_table).where(clock_table.c.scope == scope))
            conn.execute(
                clock_table.insert().values(
                    scope=scope, frozen=frozen, frozen_at=at, offset_seconds=offset
                )
            )


def _scope(brincode: str | None, dependancecode: str | None) -> str:
    if brincode is None:
        return HARNESS
    return school_key(brincode, dependancecode)
