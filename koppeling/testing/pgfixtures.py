"""pytest fixtures for the store backend of the suite: a throwaway PostgreSQL cluster.

Imported by the root ``conftest.py`` and ``scenarios/conftest.py``. ``KOPPELING_TEST_STORE``
(``sqlite``, the default, or ``postgres``) picks the store of the session harnesses; the
PostgreSQL tests in ``tests/postgres/`` use the cluster whatever it says.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator

import pytest

from koppeling.testing.pgcluster import PgCluster, PostgresMissing

STORE_ENV = "KOPPELING_TEST_STORE"
_names = itertools.count(1)


def store_backend() -> str:
    """``sqlite`` or ``postgres``, from KOPPELING_TEST_STORE (read here, at the edge)."""
    backend = os.environ.get(STORE_ENV, "sqlite").strip().lower() or "sqlite"
    if backend not in ("sqlite", "postgres"):
        raise pytest.UsageError(f"{STORE_ENV} must be sqlite or postgres, got {backend!r}")
    return backend


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    """A PostgreSQL cluster of this session (of this xdist worker), stopped at the end; fails
    with what to install when the server binaries are missing."""
    try:
        cluster = PgCluster().start()
    except PostgresMissing as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def pg_database(pg_cluster: PgCluster) -> Callable[[], str]:
    """A factory: each call makes a new empty database in the cluster and gives its URL."""

    def make() -> str:
        return pg_cluster.create_database(f"koppeling_{os.getpid()}_{next(_names)}")

    return make


@pytest.fixture(scope="session")
def store_under_test(request: pytest.FixtureRequest) -> str | None:
    """The store URL of the session harnesses: None (in-memory SQLite) or, with
    KOPPELING_TEST_STORE=postgres, a fresh database in :func:`pg_cluster`."""
    if store_backend() != "postgres":
        return None
    make: Callable[[], str] = request.getfixturevalue("pg_database")
    return make()
