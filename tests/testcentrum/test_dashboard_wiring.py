"""How the stand-in is put together: both domains' route tables in one app and one OpenAPI
document, the poller and the forwarder started and stopped as one worker."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from koppeling.harness.service import Core
from koppeling.harness.store import Database
from mocks.testcentrum.afnames.forwarder import Forwarder
from mocks.testcentrum.app import create_app
from mocks.testcentrum.beheer.poller import AanvraagPoller
from mocks.testcentrum.workers import Workers, build_afnames, build_beheer, create_worker
from tests.testcentrum import support


@pytest.fixture
def core() -> Iterator[Core]:
    """A core on an in-memory store."""
    db = Database.memory()
    yield Core.create(db)
    db.dispose()


def test_openapi_has_las_dashboard_and_afname_routes(core: Core) -> None:
    paths = create_app({}, core=core).test_client().get("/openapi.json").json["paths"]
    school = "/api/scholen/{brincode}/{dependancecode}"
    assert {"put"} <= set(paths[f"{school}/las-koppeling"])
    assert {"get", "post", "delete"} <= set(paths[f"{school}/dashboard-koppeling"])
    assert "post" in paths[f"{school}/dashboard-koppeling/deactiveren"]
    assert "post" in paths[f"{school}/afnames"]
    assert "post" in paths["/api/afnames/{afname_id}/normeren"]


def test_openapi_lists_exactly_the_routes_that_exist(core: Core) -> None:
    app = create_app({}, core=core)
    paths = app.test_client().get("/openapi.json").json["paths"]
    documented = {(method.upper(), path) for path, ops in paths.items() for method in ops}
    served = {
        (method, rule.rule.replace("<", "{").replace(">", "}"))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }
    assert served == documented
    assert len(documented) == 16


def test_worker_is_poller_plus_forwarder(core: Core) -> None:
    worker = create_worker(core, {"poll_interval": 0.05})
    assert isinstance(worker, Workers)
    kinds = [type(w) for w in worker.workers]
    assert kinds == [AanvraagPoller, Forwarder]
    worker.start()
    worker.stop()


def test_poller_can_be_switched_off(core: Core) -> None:
    worker = create_worker(core, {"poll_interval": 0})
    assert worker is not None
    assert [type(w) for w in worker.workers] == [Forwarder]


def test_unknown_route_is_problem_json(core: Core) -> None:
    resp = create_app({}, core=core).test_client().get("/api/bestaat-niet")
    assert resp.status_code == 404 and resp.content_type == "application/problem+json"


def test_beheer_reads_never_take_the_write_lock(
    core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Beheer screens read through ``db.read()``; only an account's first use writes."""
    at = datetime(2027, 1, 18, 9, 30, tzinfo=UTC)
    support.activate(core.db, "99WL-00", at)
    beheer = build_beheer(core, {}, build_afnames(core))

    def no_write_lock() -> None:
        raise AssertionError("a pure read opened db.begin()")

    monkeypatch.setattr(core.db, "begin", no_write_lock)
    koppeling = beheer.dashboard_koppeling("99WL-00")
    assert koppeling is not None and koppeling.geactiveerd_op == at
    assert [(p.start, p.eind) for p in beheer.perioden("99WL-00")] == [(at, None)]
    assert beheer.las_koppeling("99WL-00") is None
    assert beheer.school_naam("99WL-00") is None
    assert beheer.volg_op() == 0
