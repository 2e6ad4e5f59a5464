"""AANVRAGEN → klantenservice → status at the testcentrum, over real HTTP between the testcentrum,
the klantenservice and the LAS mocks (server threads on one core); Schoolkr8's key check is a
stand-in typed by the klantenservice's Protocol (the Schoolkr8 mock has its own tests)."""

from __future__ import annotations

import itertools
import json
import string
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import requests
from flask import Flask

from koppeling.harness.mail import Mail
from koppeling.harness.server import ServerThread
from koppeling.harness.service import Core
from koppeling.harness.store import Database
from mocks.klantenservice.app import create_app as create_klantenservice
from mocks.las.app import create_app as create_las
from mocks.testcentrum.app import create_app as create_testcentrum
from mocks.testcentrum.beheer.service import DashboardKoppelingen
from mocks.testcentrum.beheer.store import BeheerStore
from mocks.testcentrum.workers import create_worker
from tests.klantenservice.conftest import Outbox, Sleutels

_brins = (f"98{a}{b}" for a, b in itertools.product(string.ascii_uppercase, repeat=2))
T0 = datetime(2027, 1, 18, 9, 30, tzinfo=UTC)


@dataclass
class World:
    core: Core
    tc: str
    ks: str
    ks_app: Flask
    sleutels: Sleutels
    outbox: Outbox


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    """Testcentrum, klantenservice and ParnasSys on free ports, sharing one in-memory core."""
    outbox = Outbox()
    core = Core.create(Database.memory(), mailer=outbox)
    sleutels = Sleutels()
    ks_app = create_klantenservice({}, core=core)
    ks_app.extensions["klantenservice"].sleutels = lambda: sleutels
    apps = {
        "testcentrum": create_testcentrum({}, core=core),
        "klantenservice": ks_app,
        "parnassys": create_las({"flavour": "parnassys"}, core=core),
    }
    servers = {name: ServerThread(app).start() for name, app in apps.items()}
    core.urls.update({name: s.url for name, s in servers.items()})
    yield World(core, core.url("testcentrum"), core.url("klantenservice"), ks_app, sleutels, outbox)
    for server in servers.values():
        server.stop()
    core.db.dispose()


@pytest.fixture
def brin(world: World) -> str:
    """A fresh school with a valid Schoolkr8 key, its own clock frozen at T0."""
    brin = next(_brins)
    world.sleutels.valid[f"{brin}-00"] = f"sk8_{brin}SchoolkrSleutel000000000"
    world.core.clock.set(T0, brincode=brin, dependancecode="00")
    return brin


def key_of(world: World, brin: str) -> str:
    return world.sleutels.valid[f"{brin}-00"]


def url(world: World, brin: str, tail: str = "dashboard-koppeling") -> str:
    return f"{world.tc}/api/scholen/{brin}/00/{tail}"


def las_ready(world: World, brin: str) -> None:
    """WIJZIGINGEN OPSLAAN + GEGEVENS IMPORTEREN against the ParnasSys mock."""
    las = world.core.url("parnassys")
    requests.post(
        f"{las}/api/scholen",
        json={"brincode": brin, "schooljaar": "2026-2027", "aantal_leerlingen": 3, "seed": 1},
        timeout=10,
    )
    key = requests.post(
        f"{las}/api/scholen/{brin}/00/sleutels",
        timeout=10,
        json={"klantcode": "boom-testcentrum", "klantnaam": "Boom testcentrum"},
    ).json()
    requests.put(
        url(world, brin, "las-koppeling"),
        timeout=10,
        json={
            "las": "parnassys",
            "schooljaar": "2026-2027",
            "autorisatiesleutel": key["autorisatiesleutel"],
            "schoolnaam": f"OBS {brin}",
        },
    )
    assert requests.post(url(world, brin, "las-koppeling/import"), timeout=10).ok


def aanvragen(world: World, brin: str, key: str | None = None, **extra: str) -> requests.Response:
    body = {
        "type_dashboard": "SchoolKr8",
        "autorisatiesleutel": key or key_of(world, brin),
        "beheerder_email": f"beheer@{brin.lower()}.test",
        **extra,
    }
    return requests.post(url(world, brin), json=body, timeout=10)


def mails_to(world: World, brin: str) -> list[Mail]:
    return [m for m in world.outbox.sent if m.to == [f"beheer@{brin.lower()}.test"]]


def test_request_is_approved_and_active_from_processing_time(world: World, brin: str) -> None:
    las_ready(world, brin)
    resp = aanvragen(world, brin)
    assert resp.status_code == 202, resp.text
    body = resp.json()
    assert body["status"] == "actief"
    assert datetime.fromisoformat(body["geactiveerd_op"]) == T0
    assert body["autorisatiesleutel"].endswith("…") and key_of(world, brin) not in resp.text
    [mail] = mails_to(world, brin)
    assert mail.sender == "klantenservice@boomtestonderwijs.nl"
    assert f"OBS {brin}" in mail.subject and "Schoolkr8" in mail.subject
    store = DashboardKoppelingen(world.core.db)
    school = f"{brin}-00"
    assert store.active_at(school, T0)
    assert not store.active_at(school, T0 - timedelta(microseconds=1))
    assert store.schoolkr8_key(school) == key_of(world, brin)
    with world.core.db.read() as conn:
        settings = BeheerStore().las_koppeling(conn, school)
    assert settings is not None and settings.klantcode == "boom-testcentrum"
    assert settings.autorisatiesleutel not in repr(settings)
    assert requests.get(url(world, brin), timeout=10).json()["status"] == "actief"


def test_without_las_koppeling_it_is_rejected_with_reason(world: World, brin: str) -> None:
    body = aanvragen(world, brin).json()
    assert body["status"] == "afgewezen"
    assert "geen actieve koppeling met ParnasSys of ESIS" in body["reden"]
    assert body["geactiveerd_op"] is None
    [mail] = mails_to(world, brin)
    assert "afgewezen" in mail.subject
    assert not DashboardKoppelingen(world.core.db).active_at(f"{brin}-00", T0)


def test_wrong_key_is_rejected_and_a_fixed_request_approved(world: World, brin: str) -> None:
    las_ready(world, brin)
    wrong = aanvragen(world, brin, key="sk8_" + "W" * 32).json()
    assert wrong["status"] == "afgewezen" and "niet geldig" in wrong["reden"]
    assert aanvragen(world, brin).json()["status"] == "actief"
    assert [("afgewezen" in m.subject) for m in mails_to(world, brin)] == [True, False]


def test_manual_approval_is_learned_by_polling(world: World, brin: str) -> None:
    las_ready(world, brin)
    requests.put(f"{world.ks}/api/scholen/{brin}/00/modus", json={"modus": "handmatig"}, timeout=10)
    body = aanvragen(world, brin).json()
    assert body["status"] == "aangevraagd" and body["aanvraag_id"]
    again = aanvragen(world, brin)
    assert again.status_code == 202 and again.json()["nieuw"] is False
    other = aanvragen(world, brin, beheerder_email="ander@x.test")
    assert other.status_code == 409
    approved_at = T0 + timedelta(minutes=5)
    world.core.clock.set(approved_at, brincode=brin, dependancecode="00")
    requests.post(f"{world.ks}/api/aanvragen/{body['aanvraag_id']}/goedkeuren", timeout=10)
    processed_at = T0 + timedelta(minutes=7)
    world.core.clock.set(processed_at, brincode=brin, dependancecode="00")
    status = requests.get(url(world, brin), timeout=10).json()
    assert status["status"] == "actief"
    assert datetime.fromisoformat(status["geactiveerd_op"]) == processed_at
    assert len(mails_to(world, brin)) == 1


def test_deactivate_and_reactivate_keep_the_periods(world: World, brin: str) -> None:
    las_ready(world, brin)
    first = aanvragen(world, brin).json()
    assert (
        requests.post(
            url(world, brin),
            json={
                "type_dashboard": "Schoolkr8",
                "autorisatiesleutel": key_of(world, brin),
                "beheerder_email": "b@x.test",
            },
            timeout=10,
        ).status_code
        == 409
    )
    off_at = T0 + timedelta(days=1)
    world.core.clock.set(off_at, brincode=brin, dependancecode="00")
    off = requests.post(url(world, brin, "dashboard-koppeling/deactiveren"), timeout=10).json()
    assert off["status"] == "gedeactiveerd" and off["geactiveerd_op"] is None
    ks = requests.get(f"{world.ks}/api/aanvragen/{first['aanvraag_id']}", timeout=10).json()
    assert ks["status"] == "ingetrokken"
    assert requests.delete(url(world, brin), timeout=10).status_code == 409
    on_at = T0 + timedelta(days=2)
    world.core.clock.set(on_at, brincode=brin, dependancecode="00")
    again = aanvragen(world, brin).json()
    assert again["status"] == "actief"
    assert datetime.fromisoformat(again["geactiveerd_op"]) == on_at
    assert [(p["start"], p["eind"]) for p in again["perioden"]] == [
        (T0.isoformat(), off_at.isoformat()),
        (on_at.isoformat(), None),
    ]
    store, school = DashboardKoppelingen(world.core.db), f"{brin}-00"
    assert store.active_at(school, off_at - timedelta(microseconds=1))
    assert not store.active_at(school, off_at)
    assert not store.active_at(school, on_at - timedelta(microseconds=1))
    assert store.active_at(school, on_at)
    assert len(mails_to(world, brin)) == 2


def test_activation_across_dst_compares_instants(world: World, brin: str) -> None:
    las_ready(world, brin)
    switch = datetime(2027, 3, 28, 1, 0, tzinfo=UTC)  # 02:00 CET becomes 03:00 CEST
    world.core.clock.set(switch, brincode=brin, dependancecode="00")
    aanvragen(world, brin)
    store, school = DashboardKoppelingen(world.core.db), f"{brin}-00"
    amsterdam = ZoneInfo("Europe/Amsterdam")
    assert store.active_at(school, datetime(2027, 3, 28, 3, 0, tzinfo=amsterdam))
    assert not store.active_at(school, datetime(2027, 3, 28, 1, 59, 59, 999999, tzinfo=amsterdam))
    with pytest.raises(ValueError, match="tz-aware"):
        store.active_at(school, datetime(2027, 3, 28, 3, 0))


def test_klantenservice_down_then_back(world: World, brin: str) -> None:
    las_ready(world, brin)
    dead = create_testcentrum({"klantenservice_url": "http://127.0.0.1:9"}, core=world.core)
    resp = dead.test_client().post(
        f"/api/scholen/{brin}/00/dashboard-koppeling",
        json={
            "type_dashboard": "Schoolkr8",
            "autorisatiesleutel": key_of(world, brin),
            "beheerder_email": f"beheer@{brin.lower()}.test",
        },
    )
    assert resp.status_code == 202
    assert resp.json["status"] == "aangevraagd" and "klantenservice" in resp.json["laatste_fout"]
    world.core.faults.add(
        "klantenservice",
        {
            "path": "/api/aanvragen",
            "method": "POST",
            "fault": "http_503",
            "delay_ms": 0,
            "code": None,
            "remaining": 1,
        },
    )
    assert requests.get(url(world, brin), timeout=10).json()["status"] == "aangevraagd"
    assert requests.get(url(world, brin), timeout=10).json()["status"] == "actief"
    assert len(mails_to(world, brin)) == 1


def test_poller_processes_a_decision_nobody_looks_at(world: World, brin: str) -> None:
    las_ready(world, brin)
    requests.put(f"{world.ks}/api/scholen/{brin}/00/modus", json={"modus": "handmatig"}, timeout=10)
    body = aanvragen(world, brin).json()
    worker = create_worker(world.core, {"poll_interval": 0.05})
    assert worker is not None
    worker.start()
    try:
        requests.post(
            f"{world.ks}/api/aanvragen/{body['aanvraag_id']}/afwijzen",
            json={"reden": "Beheerder niet bekend"},
            timeout=10,
        )
        store = DashboardKoppelingen(world.core.db)
        deadline = time.monotonic() + 5
        while store.current(f"{brin}-00").status == "aangevraagd":  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "poller did not pick up the decision"
            time.sleep(0.02)
    finally:
        worker.stop()
    current = store.current(f"{brin}-00")
    assert current is not None and current.status == "afgewezen"
    assert current.reden == "Beheerder niet bekend"


def test_a_mail_that_cannot_be_built_leaves_one_decision_on_both_sides(
    world: World, brin: str
) -> None:
    las_ready(world, brin)
    world.outbox.unbuildable = True
    try:
        body = aanvragen(world, brin).json()
    finally:
        world.outbox.unbuildable = False
    assert body["status"] == "actief"
    assert "e-mail" in body["laatste_fout"]
    besluit = requests.get(f"{world.ks}/api/aanvragen/{body['aanvraag_id']}", timeout=10).json()
    assert besluit["status"] == "goedgekeurd"
    assert besluit["mail_verzonden"] is False and besluit["mail_status"] == "mislukt"
    assert mails_to(world, brin) == []


def test_validation_and_unknown(world: World, brin: str) -> None:
    assert requests.get(url(world, brin), timeout=10).status_code == 404
    resp = requests.post(
        url(world, brin),
        json={"type_dashboard": "Schoolkr8", "autorisatiesleutel": "x"},
        timeout=10,
    )
    assert resp.status_code == 422 and resp.json()["field"] == "beheerder_email"
    assert (
        requests.post(url(world, brin, "dashboard-koppeling/deactiveren"), timeout=10).status_code
        == 409
    )


def test_keys_never_in_journal(world: World, brin: str) -> None:
    las_ready(world, brin)
    aanvragen(world, brin)
    requests.get(url(world, brin), timeout=10)
    entries = [e.as_json() for e in world.core.journal.entries(school=f"{brin}-00")]
    text = json.dumps(entries, ensure_ascii=False)
    assert entries and key_of(world, brin) not in text
    assert any(e["service"] == "klantenservice" for e in entries)
