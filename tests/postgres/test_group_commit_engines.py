"""Group commit and the Schoolkr8 intake's one-statement upsert on both engines: SQLite (a file)
and a real PostgreSQL server (a throwaway cluster). A batch with a refused write keeps the
others; a resent ``resultaat@key`` updates its row and is counted, never duplicated."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Connection, select

from koppeling.harness.commits import GroupCommit
from koppeling.harness.store import Database
from koppeling.testing.groupcommit import batch_behind_a_leader
from mocks.schoolkr8.store import NieuwResultaat, Schoolkr8Store, resultaten_table

SCHOOL = "98ZZ-00"
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def db(both_engines: Database) -> Database:
    return both_engines


def _result(key: str, percentiel: int) -> NieuwResultaat:
    return NieuwResultaat(
        key, "42", "RW", "Rekenen", date(2026, 10, 30), json.dumps({"p": percentiel})
    )


def _store(keys: list[tuple[str, int]], refuse: bool = False) -> Callable[[Connection], object]:
    store = Schoolkr8Store()

    def work(conn: Connection) -> tuple[int, int]:
        counts = store.upsert_resultaten(conn, SCHOOL, [_result(k, p) for k, p in keys], {}, NOW)
        if refuse:
            raise ValueError("refused after writing")
        return counts

    return work


def _rows(db: Database) -> dict[str, tuple[str, int]]:
    r = resultaten_table
    with db.read() as conn:
        rows = conn.execute(select(r.c.key, r.c.gegevens, r.c.aantal_ontvangen))
        return {row.key: (row.gegevens, row.aantal_ontvangen) for row in rows}


def test_upsert_counts_new_and_resent_keys(db: Database) -> None:
    group = GroupCommit(db)
    assert group.run(_store([("a", 1), ("b", 2)])) == (2, 0)
    assert group.run(_store([("b", 3), ("c", 4)])) == (1, 1)
    assert _rows(db) == {"a": ('{"p": 1}', 1), "b": ('{"p": 3}', 2), "c": ('{"p": 4}', 1)}


def test_a_refused_write_in_a_batch_leaves_the_others(db: Database) -> None:
    group = GroupCommit(db)
    works = [_store([("x", 1)]), _store([("y", 1)], refuse=True), _store([("z", 1)])]
    _, (x, y, z) = batch_behind_a_leader(group, works, in_order=True)
    outcomes = {"x": x[1], "y": y[1], "z": z[1]}
    assert outcomes["x"] == (1, 0) and outcomes["z"] == (1, 0)
    assert isinstance(outcomes["y"], ValueError)
    assert set(_rows(db)) == {"x", "z"}
    assert group.batches == 1 and group.grouped == 2
