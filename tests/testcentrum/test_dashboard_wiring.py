"""How the stand-in is put together: the afnames part plugged into the app and its OpenAPI, the
poller and the forwarder started and stopped as one worker."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from koppeling.harness.service import Core
from koppeling.harness.store import Database
from mocks.testcentrum.app import AanvraagPoller, Workers, create_app, create_worker
from mocks.testcentrum.forwarder import Forwarder


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
