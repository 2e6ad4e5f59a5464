"""The durable outbox across a testcentrum restart: the partners keep running on a file-backed
store; the testcentrum is stopped (cleanly with a pending outbox, or killed with SIGKILL in the
middle of a delivery) and a new one started on the same file. Nothing is lost, and nothing is
duplicated at Schoolkr8 (a resend carries the same ``resultaat@key``)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from koppeling.harness.config import HarnessConfig
from koppeling.harness.process import Harness
from tests.testcentrum.test_forwarder_e2e import FAST_FORWARDING, T0, Flow, eventually, key

PARTNERS = ["parnassys", "esis", "schoolkr8", "klantenservice", "mailbox"]
REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def tc_config(state_dir: Path, partners: Harness, **forwarder: float) -> HarnessConfig:
    """Only the testcentrum, on ``state_dir``'s store, with the partners' URLs."""
    options = {**FAST_FORWARDING, "forwarder": {**FAST_FORWARDING["forwarder"], **forwarder}}
    return HarnessConfig(
        port_base=0,
        state_dir=state_dir,
        services=["testcentrum"],
        urls={n: partners.url(n) for n in PARTNERS},
        options={"testcentrum": options},
    )


@pytest.fixture
def partners(tmp_path: Path) -> Iterator[Harness]:
    """Every partner but the testcentrum, on a SQLite file in ``tmp_path``."""
    config = HarnessConfig(port_base=0, state_dir=tmp_path, services=PARTNERS)
    with Harness(config) as running:
        yield running


def connect(flow: Flow, partners: Harness, testcentrum_url: str) -> None:
    """Point the flow and the klantenservice at the (new) testcentrum."""
    assert partners.core is not None
    flow.urls["testcentrum"] = testcentrum_url
    partners.core.urls["testcentrum"] = testcentrum_url


def test_a_pending_outbox_is_delivered_after_a_restart(tmp_path: Path, partners: Harness) -> None:
    flow = Flow({n: partners.url(n) for n in PARTNERS})
    first = Harness(tc_config(tmp_path, partners)).start()
    try:
        connect(flow, partners, first.url("testcentrum"))
        school = flow.school(T0)
        activated = flow.activate(school)
        flow.fault("http_503", 100_000)  # Schoolkr8 is down
        ids = [
            flow.norm_at(school, activated + timedelta(minutes=i + 1), nummer)
            for i, nummer in enumerate(school.pupils)
        ]
        eventually(
            lambda: flow.doorsturing(school),
            lambda d: all(d[i]["status"] == "wachtend" and d[i]["attempts"] >= 1 for i in ids),
            "failed attempts while Schoolkr8 is down",
        )
    finally:
        first.stop()
    flow.call("schoolkr8", "DELETE", "/__admin/faults")  # Schoolkr8 is back
    with Harness(tc_config(tmp_path, partners)) as second:
        connect(flow, partners, second.url("testcentrum"))
        status = flow.settled(school, ids)
        assert {status[i]["status"] for i in ids} == {"verzonden"}
    results = flow.results(school)
    assert set(results) == {key(i) for i in ids}
    assert {r["aantal_ontvangen"] for r in results.values()} == {1}


def test_a_testcentrum_killed_mid_send_loses_nothing_and_duplicates_nothing(
    tmp_path: Path, partners: Harness
) -> None:
    flow = Flow({n: partners.url(n) for n in PARTNERS})
    log = (tmp_path / "testcentrum.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            _SERVE,
            tc_config(tmp_path, partners, lease=1.0, worker_lease=1.0, timeout=30.0).to_json(),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    try:
        assert proc.stdout is not None
        connect(flow, partners, proc.stdout.readline().strip())
        school = flow.school(T0)
        activated = flow.activate(school)
        flow.fault("delay", 1, delay_ms=2500)  # the next delivery hangs at Schoolkr8 ...
        ids = [
            flow.norm_at(school, activated + timedelta(minutes=1), nummer)
            for nummer in school.pupils
        ]
        eventually(
            lambda: flow.call("schoolkr8", "GET", "/__admin/faults")["faults"],
            lambda faults: faults == [],
            "a delivery to reach Schoolkr8",
        )
        proc.kill()  # ... and the testcentrum dies while waiting for the answer
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
        log.close()
    landed = eventually(
        lambda: flow.results(school),
        lambda r: len(r) >= 1,
        "the hung delivery to land at Schoolkr8 after all",
    )
    with Harness(tc_config(tmp_path, partners, lease=1.0, worker_lease=1.0)) as restarted:
        connect(flow, partners, restarted.url("testcentrum"))
        status = flow.settled(school, ids)
        assert {status[i]["status"] for i in ids} == {"verzonden"}
    results = flow.results(school)
    assert set(results) == {key(i) for i in ids}  # nothing lost, each key once
    for landed_key in landed:  # delivered by the dead testcentrum AND resent by the new one
        assert results[landed_key]["aantal_ontvangen"] == 2


_SERVE = """
import sys, time
from koppeling.harness.config import HarnessConfig
from koppeling.harness.process import Harness
harness = Harness(HarnessConfig.from_json(sys.argv[1])).start()
print(harness.url("testcentrum"), flush=True)
time.sleep(600)
"""
