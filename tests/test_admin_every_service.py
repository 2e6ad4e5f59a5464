"""The /__admin surface of docs/architecture.md answers the same way on every service of the
harness."""

from __future__ import annotations

import pytest
import requests

from koppeling.harness.process import Harness
from koppeling.harness.services import SERVICES

NAMES = [s.name for s in SERVICES]


@pytest.mark.parametrize("name", NAMES)
def test_health(live: Harness, name: str) -> None:
    resp = requests.get(f"{live.url(name)}/__admin/health", timeout=5)
    assert resp.status_code == 200
    assert resp.json() == {"status": "ok", "service": name}


@pytest.mark.parametrize("name", NAMES)
def test_fault_journal_and_reset(live: Harness, name: str) -> None:
    base = live.url(name)
    added = requests.post(
        f"{base}/__admin/faults",
        json={"path": "/__probe/*", "fault": "http_503", "times": 1},
        timeout=5,
    )
    assert added.status_code == 201
    assert requests.get(f"{base}/__probe/x", timeout=5).status_code == 503
    assert requests.get(f"{base}/__probe/x", timeout=5).status_code == 404  # fault used up
    journal = requests.get(f"{base}/__admin/requests", timeout=5).json()["requests"]
    assert [e["status"] for e in journal if e["path"] == "/__probe/x"] == [503, 404]
    assert all(e["service"] == name for e in journal)
    requests.post(f"{base}/__admin/faults", json={"path": "/x", "fault": "delay"}, timeout=5)
    assert requests.post(f"{base}/__admin/reset", timeout=5).status_code == 200
    assert requests.get(f"{base}/__admin/faults", timeout=5).json()["faults"] == []
    assert requests.get(f"{base}/__admin/requests", timeout=5).json()["requests"] == []


def test_one_clock_for_the_whole_harness(live: Harness) -> None:
    school = {"brincode": "98ZZ", "dependancecode": "42"}
    try:
        for i, name in enumerate(NAMES):
            now = f"2030-0{i + 1}-01T08:00:00+00:00"
            set_ = requests.post(
                f"{live.url(name)}/__admin/clock", json={"now": now, **school}, timeout=5
            )
            assert set_.status_code == 200
            for other in NAMES:  # setting it on one service sets it for all
                got = requests.get(f"{live.url(other)}/__admin/clock", params=school, timeout=5)
                assert got.json()["now"] == now
        moved = requests.post(
            f"{live.url('mailbox')}/__admin/clock",
            json={"advance_seconds": 90, **school},
            timeout=5,
        ).json()
        assert moved["now"] == f"2030-0{len(NAMES)}-01T08:01:30+00:00"
    finally:
        requests.post(
            f"{live.url('testcentrum')}/__admin/clock", json={"reset": True, **school}, timeout=5
        )


@pytest.mark.parametrize("name", NAMES)
def test_services_names_the_harness_and_its_mailbox(live: Harness, name: str) -> None:
    """Any service tells where the others of its harness are (``koppeling verify`` finds the
    mailbox this way)."""
    resp = requests.get(f"{live.url(name)}/__admin/services", timeout=5)
    assert resp.status_code == 200
    services = resp.json()["services"]
    assert set(services) == set(NAMES)
    assert services["mailbox"] == live.url("mailbox")
