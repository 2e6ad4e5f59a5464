"""BrengLeerresultaten taken whole by the writer process (koppeling/harness/writer.py): the
worker sends the request body, the writer parses, checks and stores it at the school's clock;
what it refuses, the worker takes itself and meets the same fault.

A real SQLite file store, the writer's loop in a thread on a Database of its own (as the writer
process has its own connections), a real Unix socket between them."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from koppeling.harness.clock import Clock
from koppeling.harness.errors import SoapFault
from koppeling.harness.keys import key_hash, mask, new_key
from koppeling.harness.service import Core
from koppeling.harness.store import Database
from koppeling.harness.writer import Writer, WriterLink
from koppeling.uwlr.autorisatie import Autorisatie
from koppeling.uwlr.leerresultaten import build_verzoek, request_envelope
from koppeling.uwlr.soap import parse_envelope
from mocks.schoolkr8 import intake, service
from mocks.schoolkr8.service import Schoolkr8Service
from mocks.schoolkr8.store import Schoolkr8Store, resultaten_table
from tests.schoolkr8.conftest import make_verzoek

BRIN, SCHOOL = "93BW", "93BW-00"
FROZEN = datetime(2026, 11, 5, 9, 30, tzinfo=UTC)


@dataclass
class Linked:
    sk8: Schoolkr8Service  # a worker's service, its committer linked to the writer
    key: str
    db: Database


@pytest.fixture
def linked(tmp_path: Path) -> Iterator[Linked]:
    file = tmp_path / "state.sqlite"
    core = Core.create(Database.file(file))
    writer_db = Database.file(file)
    key = new_key("sk8")
    with core.db.begin() as conn:
        store = Schoolkr8Store()
        koppeling = store.add_koppeling(conn, SCHOOL, "ict@93bw.school.test", FROZEN)
        store.issue_key(conn, koppeling, key_hash(key), mask(key), FROZEN)
    writes, stop = Writer(), threading.Event()
    loop = threading.Thread(target=writes.serve, args=(writer_db, stop), daemon=True)
    loop.start()
    sk8 = Schoolkr8Service(core)
    sk8.commits.link = WriterLink(writes.path)
    try:
        yield Linked(sk8, key, core.db)
    finally:
        sk8.commits.link.close()
        sk8.commits.link = None
        stop.set()
        loop.join(timeout=5)
        writes.close()
        core.journal.close()
        core.db.dispose()
        writer_db.dispose()


def _body(key: str, result_key: str = "R1") -> bytes:
    verzoek = make_verzoek(BRIN, "00", ("0000000001", result_key))
    return request_envelope(build_verzoek(verzoek), Autorisatie(key, "K", "Klant"))


def _received(db: Database) -> list[tuple[str, datetime]]:
    r = resultaten_table
    with db.read() as conn:
        return [
            (row.key, row.ontvangen_op) for row in conn.execute(select(r.c.key, r.c.ontvangen_op))
        ]


def test_the_writer_takes_a_message_at_its_school_clock(linked: Linked) -> None:
    Clock(linked.db).set(FROZEN, brincode=BRIN, dependancecode="00")
    ontvangst = linked.sk8.breng_in_writer(_body(linked.key))
    assert ontvangst == intake.Ontvangst(SCHOOL, 1, 1, 0, 1)  # the pupil number is not in use
    assert _received(linked.db) == [("R1", FROZEN)]


def test_what_the_writer_refuses_the_worker_takes_and_meets_its_fault(linked: Linked) -> None:
    wrong = _body("sk8_" + "B" * 32, "R2")  # a key the school never had
    assert linked.sk8.breng_in_writer(wrong) is None
    assert linked.sk8.breng_in_writer(b"<kapot") is None  # no XML: refused before the write
    assert _received(linked.db) == []
    verzoek = intake.read(parse_envelope(wrong))  # as the handler does next
    with pytest.raises(SoapFault) as fault:
        linked.sk8.breng_leerresultaten(*verzoek)
    assert fault.value.code == "Client.AutorisatieOngeldig"
    assert _received(linked.db) == []


def test_a_large_message_is_parsed_where_it_came_in(
    linked: Linked, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A body over BODY_IN_WRITER never reaches the writer (its one thread serves every worker):
    the worker takes it, and stores it as ever."""
    body = _body(linked.key, "R3")
    monkeypatch.setattr(service, "BODY_IN_WRITER", len(body) - 1)
    assert linked.sk8.breng_in_writer(body) is None
    assert _received(linked.db) == []
    linked.sk8.breng_leerresultaten(*intake.read(parse_envelope(body)))
    assert [key for key, _ in _received(linked.db)] == ["R3"]
