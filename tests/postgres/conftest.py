"""The store on both engines, for the tests that must hold on each."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from koppeling.harness.store import Database


@pytest.fixture(params=["sqlite", "postgres"])
def both_engines(
    request: pytest.FixtureRequest, tmp_path: Path, pg_database: Callable[[], str]
) -> Iterator[Database]:
    """A fresh store with every table, on SQLite (a file) or a real PostgreSQL server."""
    url = pg_database() if request.param == "postgres" else f"sqlite:///{tmp_path}/s.sqlite"
    database = Database(url)
    database.create_all()
    yield database
    database.dispose()
