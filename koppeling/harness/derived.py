"""Values derived from the store once per change, not once per request.

A :class:`Derived` keeps, per process, what was computed from some tables (an answer's bytes, a
school with its keys) until the generation of their scope moves (:func:`koppeling.harness.store
.watch`): every write to those tables, by any process, moves it in the writer's transaction, and
each request reads the generations once (:meth:`Database.pin`), so a change applies to the very
next request on every worker.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from koppeling.harness.store import Database

T = TypeVar("T")


class Derived(Generic[T]):
    """At most ``size`` values by key, valid while the generation of ``scope`` stays put."""

    def __init__(self, db: Database, scope: str, size: int = 256) -> None:
        self._db = db
        self.scope = scope
        self.size = size
        self._state: tuple[int, dict[Hashable, T]] = (-1, {})

    def get(self, key: Hashable, make: Callable[[], T]) -> T:
        """The value kept for ``key`` at the current generation, else ``make()`` (kept).

        ``make`` reads the store after the generation was read, so a value is never older than
        the generation it is kept under; a value made at an older generation lands in a dict
        nobody reads any more."""
        generation = self._db.generation(self.scope)
        seen, items = self._state
        if seen != generation:
            items = {}
            self._state = (generation, items)
        try:
            return items[key]
        except KeyError:
            pass
        value = make()
        if len(items) >= self.size:  # bounded: start over (keys are few: schools x requests)
            items.clear()
        items[key] = value
        return value
