"""The hot writes on the driver's own cursor (:class:`DriverStatement`) store exactly what
SQLAlchemy's own execute path stores, on both engines: SQLite (a file) and a real PostgreSQL
server. Each statement is run both ways on the same values and the rows are compared as the
driver reads them back (the stored text of a time or a date, not a converted value)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from koppeling.harness.clock import clock_table
from koppeling.harness.journal import INSERT_ROWS, Entry, _bind, _values, journal_table
from koppeling.harness.store import Database, DriverStatement
from mocks.schoolkr8.store import (
    NieuwResultaat,
    Schoolkr8Store,
    _upsert_resultaat,
    leerlingen_table,
    resultaten_table,
)
from mocks.schoolkr8.store import (
    _values as resultaat_values,
)

SCHOOL = "98ZZ-00"
# not UTC on the way in: the bind processing must turn it into UTC as SQLAlchemy's does
NOW = datetime(2026, 11, 2, 10, 30, 15, 123456, tzinfo=timezone(timedelta(hours=1)))


@pytest.fixture
def db(both_engines: Database) -> Database:
    return both_engines


def _stored(db: Database, table: str, where: str) -> list[tuple[Any, ...]]:
    """Rows as the driver returns them (no SQLAlchemy type processing)."""
    with db.read() as conn:
        return [tuple(row) for row in conn.exec_driver_sql(f"SELECT * FROM {table} WHERE {where}")]


def test_a_journal_batch_is_stored_as_sqlalchemy_stores_it(db: Database) -> None:
    entry = Entry(
        service="schoolkr8",
        kind="soap",
        at=NOW,
        method="POST",
        path="/uwlr/leerresultaten",
        status=200,
        operation="BrengLeerresultaten",
        school=SCHOOL,
        correlation_id="c-1",
        summary="nul \x00 in een samenvatting",
        request="<x/>",
        response=None,
        data={"resultaten": 1},
    )
    row = _values(entry)
    count = sum(INSERT_ROWS) + 2  # a statement of each size, then two single rows
    core_rows = [{**row, "correlation_id": "core", "path": f"/p/{i}"} for i in range(count)]
    driver_rows = [{**row, "correlation_id": "driver", "path": f"/p/{i}"} for i in range(count)]
    with db.begin() as conn:
        conn.execute(journal_table.insert(), core_rows)
        statements = _bind(conn.dialect, driver_rows)
        assert len(statements) == len(INSERT_ROWS) + 2  # 32, 8, 1, then 1 and 1
        for stmt, bound in statements:
            stmt.execute(conn, bound)
    core = _stored(db, "journal", "correlation_id = 'core' ORDER BY id")
    driver = _stored(db, "journal", "correlation_id = 'driver' ORDER BY id")
    assert len(core) == len(driver) == count
    assert [r[5] for r in driver] == [f"/p/{i}" for i in range(count)]  # in order

    def same(r: tuple[Any, ...]) -> tuple[Any, ...]:  # without id and correlation_id
        return r[1:9] + r[10:]

    assert [same(r) for r in driver] == [same(r) for r in core]
    kept = "\x00" if db.dialect == "sqlite" else "\ufffd"
    assert driver[0][10] == driver[-1][10] == f"nul {kept} in een samenvatting"


def test_a_new_pupil_is_returned_and_stored_as_before(db: Database) -> None:
    store = Schoolkr8Store()
    with db.begin() as conn:
        made = store.add_leerling(conn, SCHOOL, "Ay\x00la", "de Vries", date(2017, 3, 4), "5", NOW)
        conn.execute(
            leerlingen_table.insert(),
            {
                "school": SCHOOL,
                "voornaam": "Ay\x00la",
                "achternaam": "de Vries",
                "geboortedatum": date(2017, 3, 4),
                "groep": "5",
                "leerlingnummer": None,
                "aangemaakt_op": NOW,
            },
        )
    with db.read() as conn:
        assert store.leerling(conn, made.id) == made  # the answer is the row as stored
        ids = list(conn.execute(select(leerlingen_table.c.id).order_by(leerlingen_table.c.id)))
    driver, core = _stored(db, "sk8_leerlingen", "1=1 ORDER BY id")
    assert [r[0] for r in ids] == [made.id, made.id + 1]
    assert driver[1:] == core[1:]
    assert made.voornaam == ("Ay\x00la" if db.dialect == "sqlite" else "Ay\ufffdla")


def test_a_result_upsert_is_stored_as_sqlalchemy_stores_it(db: Database) -> None:
    item = NieuwResultaat(
        "k1", " 42 ", "RW", None, date(2026, 10, 30), json.dumps({"percentiel": 71})
    )
    store = Schoolkr8Store()
    with db.begin() as conn:
        pupil = store.add_leerling(conn, SCHOOL, "A", "B", date(2017, 1, 1), "5", NOW).id
        upsert = _upsert_resultaat(conn.dialect.name)
        first = upsert.rows(conn, resultaat_values(SCHOOL, item, {"42": pupil}, NOW))
        resent = upsert.rows(conn, resultaat_values(SCHOOL, item, {}, NOW + timedelta(hours=1)))
        conn.execute(upsert.stmt, resultaat_values("97YY-00", item, {"42": pupil}, NOW))
    assert (first, resent) == ([(1,)], [(2,)])
    driver = _stored(db, "sk8_resultaten", f"school = '{SCHOOL}'")
    core = _stored(db, "sk8_resultaten", "school = '97YY-00'")
    assert len(driver) == len(core) == 1
    # the resend moved bijgewerkt_op and parked the result (no pupil 42 given)
    cols = [c.key for c in resultaten_table.c]
    d, c = dict(zip(cols, driver[0], strict=True)), dict(zip(cols, core[0], strict=True))
    assert d["leerling_id"] is None and c["leerling_id"] == pupil
    assert d["aantal_ontvangen"] == 2 and c["aantal_ontvangen"] == 1
    assert d["ontvangen_op"] == c["ontvangen_op"] and d["afnamedatum"] == c["afnamedatum"]
    for name in ("key", "leerlingid", "leerlingid_norm", "toetscode", "toetsnaam", "gegevens"):
        assert d[name] == c[name]
    with db.read() as conn:
        back = store.niet_gekoppeld(conn, SCHOOL)
    assert [(r.key, r.ontvangen_op, r.bijgewerkt_op) for r in back] == [
        ("k1", NOW.astimezone(UTC), (NOW + timedelta(hours=1)).astimezone(UTC))
    ]


@pytest.mark.parametrize("count", [1, 2, 3, 5, 9])
def test_pupils_by_number_for_every_message_size(db: Database, count: int) -> None:
    store = Schoolkr8Store()
    with db.begin() as conn:
        pupils = {
            str(n): store.add_leerling(conn, SCHOOL, "A", "B", date(2017, 1, 1), "5", NOW).id
            for n in range(count)
        }
        for number, pupil in pupils.items():
            conn.execute(
                leerlingen_table.update()
                .where(leerlingen_table.c.id == pupil)
                .values(leerlingnummer=number)
            )
    asked = set(pupils) | {"onbekend"}
    with db.read() as conn:
        assert store.pupils_by_number(conn, SCHOOL, asked) == pupils
        assert store.pupils_by_number(conn, "97YY-00", asked) == {}


def test_a_driver_error_is_sqlalchemys_and_rolls_back(db: Database) -> None:
    insert = DriverStatement(leerlingen_table.insert(), [c.key for c in leerlingen_table.c])
    row = {
        "id": 1,
        "school": SCHOOL,
        "voornaam": "A",
        "achternaam": "B",
        "geboortedatum": date(2017, 1, 1),
        "groep": "5",
        "leerlingnummer": "1",
        "aangemaakt_op": NOW,
    }
    with pytest.raises(IntegrityError), db.begin() as conn:
        insert.execute(conn, insert.bind(conn.dialect, row))
        insert.execute(conn, insert.bind(conn.dialect, {**row, "id": 2}))  # the same number
    assert _stored(db, "sk8_leerlingen", "1=1") == []


def test_a_watched_table_is_refused(db: Database) -> None:
    stmt = DriverStatement(clock_table.delete())
    with db.begin() as conn, pytest.raises(ValueError, match="watched"):
        stmt.execute(conn, stmt.bind(conn.dialect, {}))
    with db.read() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1


def test_a_big_message_is_stored_as_one_result_at_a_time(db: Database) -> None:
    """73 results (statements of 64, 8 and 1 rows) store what 73 single upserts store, and
    count new and resent keys alike."""
    store = Schoolkr8Store()
    items = [
        NieuwResultaat(
            f"k{i}", str(i % 5), "RW", "Rekenen", date(2026, 10, 30), json.dumps({"p": i})
        )
        for i in range(73)
    ]
    with db.begin() as conn:
        pupils = {"1": store.add_leerling(conn, SCHOOL, "A", "B", date(2017, 1, 1), "5", NOW).id}
        assert store.upsert_resultaten(conn, SCHOOL, items, pupils, NOW) == (73, 0)
        assert store.upsert_resultaten(conn, SCHOOL, items[:9], pupils, NOW) == (0, 9)
        for item in items:
            conn.execute(
                _upsert_resultaat(conn.dialect.name).stmt,
                resultaat_values("97YY-00", item, pupils, NOW),
            )
    cols = [c.key for c in resultaten_table.c]

    def by_key(school: str) -> dict[str, tuple[Any, ...]]:
        rows = _stored(db, "sk8_resultaten", f"school = '{school}'")
        keep = [i for i, c in enumerate(cols) if c not in ("id", "school", "aantal_ontvangen")]
        return {r[cols.index("key")]: tuple(r[i] for i in keep) for r in rows}

    assert by_key(SCHOOL) == by_key("97YY-00") and len(by_key(SCHOOL)) == 73
    with db.read() as conn:
        counts = conn.execute(
            select(resultaten_table.c.aantal_ontvangen).where(resultaten_table.c.school == SCHOOL)
        ).scalars()
        assert sorted(counts) == [1] * 64 + [2] * 9
