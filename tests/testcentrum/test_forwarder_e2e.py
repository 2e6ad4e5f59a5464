"""The forwarding rule end to end, over real HTTP across every mock: LAS import, Schoolkr8 key by
e-mail, AANVRAGEN approved by klantenservice, norming at the school's (frozen) clock, and what
arrives at the Schoolkr8 pupil. Exact boundaries, DST, re-norming, deactivation, Schoolkr8 down or
slow, a revoked key. Each test uses its own school and its own school clock."""

from __future__ import annotations

import itertools
import json
import string
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests

from koppeling.client import ApiClient, Clients, SchoolRef
from koppeling.client.flows import activate_dashboard, prepare_school
from koppeling.harness.config import HarnessConfig
from koppeling.harness.process import Harness
from koppeling.harness.schools import schooljaar_of

AMS = ZoneInfo("Europe/Amsterdam")
LEERRESULTATEN = "/uwlr/leerresultaten"
FAST_FORWARDING = {
    "poll_interval": 0.05,
    "forwarder": {
        "backoff_base": 0.05,
        "backoff_max": 0.4,
        "poll_interval": 0.05,
        "timeout": 1.0,
        "lease": 3.0,
        "hold_interval": 0.1,
    },
}
_BRINS = (f"96{a}{b}" for a, b in itertools.product(string.ascii_uppercase, repeat=2))


def fast_config(**extra: Any) -> HarnessConfig:
    """Free ports, quick polling and backoff (tests wait for the worker, not for minutes)."""
    return HarnessConfig(
        port_base=0, state_dir=None, options={"testcentrum": FAST_FORWARDING}, **extra
    )


@pytest.fixture(scope="module")
def harness() -> Iterator[Harness]:
    """Every mock on free ports with fast forwarding, for this module only."""
    with Harness(fast_config()) as running:
        yield running


@pytest.fixture
def flow(harness: Harness) -> Iterator[Flow]:
    """The manual's steps over HTTP; faults cleared and server errors re-raised after the test."""
    assert harness.core is not None
    harness.core.faults.clear()
    harness.core.errors.clear()
    yield Flow(
        {
            n: harness.url(n)
            for n in ("testcentrum", "parnassys", "schoolkr8", "klantenservice", "mailbox")
        }
    )
    harness.core.faults.clear()
    errors = list(harness.core.errors)
    if errors:
        raise errors[0]


@dataclass
class School:
    """One test school: its BRIN + vestiging and what the flow learnt about it."""

    brin: str
    dep: str = "00"
    pupils: list[str] = field(default_factory=list)
    sk8_ids: dict[str, str] = field(default_factory=dict)
    sk8_key: str = ""
    koppeling_id: str = ""

    @property
    def ref(self) -> SchoolRef:
        return SchoolRef(self.brin, self.dep)


class Flow:
    """Drives the partners over their public HTTP APIs, as a QA engineer would."""

    def __init__(self, urls: dict[str, str]) -> None:
        self.urls = urls  # a restart may point a service elsewhere
        self.http = requests.Session()

    @property
    def clients(self) -> Clients:
        return Clients(self.urls, session=self.http, timeout=20)

    def call(self, service: str, method: str, path: str, body: Any = None, **params: Any) -> Any:
        """Any other call to a service's API (its JSON answer; a refusal is a ProblemError)."""
        api = ApiClient(self.urls[service], session=self.http, timeout=20, service=service)
        return api.call(method, path, body=body, params=params or None)

    # -- set-up: steps 0-3 of the manual -----------------------------------------------------

    def school(self, at: datetime, pupils: int = 3) -> School:
        """A fresh school, its clock frozen at ``at``, with LAS import, Schoolkr8 key and every
        pupil's number typed into Schoolkr8 (not yet AANVRAGEN)."""
        school = School(next(_BRINS))
        self.set_clock(school, at)
        prepared = prepare_school(
            self.clients,
            school.ref,
            schooljaar=schooljaar_of(at.year, at.month),
            contact_email=f"contact-{school.brin.lower()}@school.test",
            naam=f"Testschool {school.brin}",
            aantal_leerlingen=pupils,
            seed=7,
        )
        school.pupils = prepared.leerlingnummers
        school.sk8_ids = prepared.schoolkr8_ids
        school.sk8_key = prepared.sleutel.sleutel
        school.koppeling_id = prepared.sleutel.koppeling_id
        return school

    def activate(self, school: School) -> datetime:
        """AANVRAGEN; klantenservice approves; returns ``geactiveerd_op``."""
        state = activate_dashboard(
            self.clients.testcentrum,
            school.ref,
            sleutel=school.sk8_key,
            beheerder_email=f"beheerder-{school.brin.lower()}@school.test",
            timeout=15,
        )
        return datetime.fromisoformat(state["geactiveerd_op"])

    def deactivate(self, school: School) -> None:
        self.clients.testcentrum.deactiveren(school.ref)

    def set_clock(self, school: School, at: datetime) -> None:
        """Freeze this school's own clock at ``at`` (other schools are not affected)."""
        self.clients.admin("testcentrum").set_clock(school.ref, at)

    # -- afnames ---------------------------------------------------------------------------

    def score(
        self, school: School, nummer: str, toets: str = "LVS RW 2019", ruwe_score: int = 30
    ) -> str:
        return self.clients.testcentrum.score(
            school.ref,
            leerlingnummer=nummer,
            toets=toets,
            ruwe_score=ruwe_score,
            afnamedatum="2027-01-15",
        )

    def norm(self, afname_id: str) -> dict[str, Any]:
        return self.clients.testcentrum.normeren(afname_id)

    def norm_at(self, school: School, at: datetime, nummer: str, **kw: Any) -> str:
        self.set_clock(school, at)
        afname_id = self.score(school, nummer, **kw)
        normed = self.norm(afname_id)
        assert datetime.fromisoformat(normed["genormeerd_op"]) == at
        return afname_id

    def doorsturing(self, school: School) -> dict[str, dict[str, Any]]:
        return {i["afname_id"]: i for i in self.clients.testcentrum.doorsturing(school.ref)}

    def settled(self, school: School, ids: list[str], timeout: float = 15) -> dict[str, Any]:
        """Wait until no given afname is ``wachtend`` any more."""
        return eventually(
            lambda: self.doorsturing(school),
            lambda d: all(d[i]["status"] != "wachtend" for i in ids),
            f"afnames {ids} settled",
            timeout,
        )

    def results(self, school: School) -> dict[str, dict[str, Any]]:
        """Every result Schoolkr8 shows on the school's pupils, by resultaat key (each key
        asserted to appear once)."""
        found: dict[str, dict[str, Any]] = {}
        for pupil_id in school.sk8_ids.values():
            for r in self.clients.schoolkr8.resultaten(pupil_id):
                assert r["key"] not in found, f"result {r['key']} twice at Schoolkr8"
                found[r["key"]] = r
        return found

    def fault(self, fault: str, times: int, **extra: Any) -> None:
        admin = self.clients.admin("schoolkr8")
        admin.add_fault(LEERRESULTATEN, fault, method="POST", times=times, **extra)


def eventually(
    get: Callable[[], Any], ok: Callable[[Any], bool], what: str, timeout: float = 15
) -> Any:
    """Poll ``get`` until ``ok`` holds; fail naming ``what`` and the last value."""
    deadline = time.monotonic() + timeout
    value = get()
    while not ok(value):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; last: {value!r}")
        time.sleep(0.05)
        value = get()
    return value


def key(afname_id: str) -> str:
    return f"boom-tc-{afname_id}"


T0 = datetime(2027, 1, 18, 8, 30, tzinfo=UTC)


def test_normed_at_the_activation_instant_arrives_and_one_microsecond_before_never(
    flow: Flow,
) -> None:
    school = flow.school(T0)
    activated = flow.activate(school)
    assert activated == T0
    at = flow.norm_at(school, activated, school.pupils[0])
    before = flow.norm_at(school, activated - timedelta(microseconds=1), school.pupils[1])
    status = flow.settled(school, [at, before])
    assert (status[at]["status"], status[before]["status"]) == ("verzonden", "niet_van_toepassing")
    flow.set_clock(school, activated + timedelta(hours=1))
    flow.norm(before)  # re-norming after activation changes nothing for it
    time.sleep(0.3)  # give the worker every chance to (wrongly) send it
    assert flow.doorsturing(school)[before]["status"] == "niet_van_toepassing"
    assert set(flow.results(school)) == {key(at)}
    assert flow.results(school)[key(at)]["aantal_ontvangen"] == 1


@pytest.mark.parametrize(
    ("activation", "after", "before"),
    [
        # spring forward: 02:00 CET becomes 03:00 CEST on 28 March 2027
        (
            datetime(2027, 3, 28, 1, 59, 59, 999999, tzinfo=AMS),
            datetime(2027, 3, 28, 3, 0, 0, tzinfo=AMS),
            datetime(2027, 3, 28, 1, 59, 59, 999998, tzinfo=AMS),
        ),
        # fall back: 03:00 CEST becomes 02:00 CET on 31 October 2027; 02:10 CET is later than
        # 02:30 CEST although the wall clock reads earlier
        (
            datetime(2027, 10, 31, 2, 30, tzinfo=AMS, fold=0),
            datetime(2027, 10, 31, 2, 10, tzinfo=AMS, fold=1),
            datetime(2027, 10, 31, 2, 20, tzinfo=AMS, fold=0),
        ),
    ],
    ids=["spring-forward", "fall-back"],
)
def test_the_rule_compares_instants_across_a_dst_change(
    flow: Flow, activation: datetime, after: datetime, before: datetime
) -> None:
    activation, after, before = (t.astimezone(UTC) for t in (activation, after, before))
    assert before < activation < after
    school = flow.school(activation)
    assert flow.activate(school) == activation
    late = flow.norm_at(school, after, school.pupils[0])
    early = flow.norm_at(school, before, school.pupils[1])
    status = flow.settled(school, [late, early])
    assert status[late]["status"] == "verzonden"
    assert status[early]["status"] == "niet_van_toepassing"
    assert set(flow.results(school)) == {key(late)}


def test_renorming_after_activation_updates_the_same_result(flow: Flow) -> None:
    school = flow.school(T0)
    activated = flow.activate(school)
    first = flow.norm_at(school, activated + timedelta(minutes=5), school.pupils[0])
    flow.settled(school, [first])
    flow.set_clock(school, activated + timedelta(days=2))
    flow.norm(first)
    eventually(
        lambda: flow.results(school).get(key(first), {}).get("aantal_ontvangen"),
        lambda n: n == 2,
        "the re-norming to arrive",
    )
    status = flow.settled(school, [first])[first]
    assert (status["status"], status["berichten"]) == ("verzonden", 2)
    assert list(flow.results(school)) == [key(first)]


def test_deactivation_and_reactivation_never_send_what_was_normed_while_inactive(
    flow: Flow,
) -> None:
    school = flow.school(T0)
    activated = flow.activate(school)
    a = flow.norm_at(school, activated + timedelta(hours=1), school.pupils[0])
    flow.settled(school, [a])
    flow.set_clock(school, activated + timedelta(hours=2))
    flow.deactivate(school)
    b = flow.norm_at(school, activated + timedelta(hours=3), school.pupils[1])
    flow.set_clock(school, activated + timedelta(hours=4))
    reactivated = flow.activate(school)
    assert reactivated == activated + timedelta(hours=4)
    c = flow.norm_at(school, activated + timedelta(hours=5), school.pupils[2])
    flow.norm(b)
    flow.norm(a)
    status = flow.settled(school, [a, b, c])
    assert [status[x]["status"] for x in (a, b, c)] == [
        "verzonden",
        "niet_van_toepassing",
        "verzonden",
    ]
    eventually(
        lambda: flow.results(school).get(key(a), {}).get("aantal_ontvangen"),
        lambda n: n == 2,
        "the re-norming of a to arrive",
    )
    assert set(flow.results(school)) == {key(a), key(c)}


def test_schoolkr8_down_then_slow_then_back_delivers_exactly_once(flow: Flow) -> None:
    school = flow.school(T0)
    activated = flow.activate(school)
    flow.fault("http_503", 2)
    flow.fault("connection_reset", 1)
    flow.fault("soap_fault", 1, code="Server.TijdelijkNietBeschikbaar")
    flow.fault("delay", 1, delay_ms=1500)  # longer than the forwarder's 1 s time-out
    afname = flow.norm_at(school, activated + timedelta(minutes=1), school.pupils[0])
    status = flow.settled(school, [afname], timeout=30)[afname]
    assert status["status"] == "verzonden"
    assert status["attempts"] == 6
    results = eventually(
        lambda: flow.results(school),
        lambda r: r.get(key(afname), {}).get("aantal_ontvangen") == 2,
        "the slow delivery and its retry both to land",
    )
    assert list(results) == [key(afname)]  # twice received, one result: idempotent by key


def test_a_client_fault_stops_with_mislukt_and_the_reason(flow: Flow) -> None:
    school = flow.school(T0)
    activated = flow.activate(school)
    flow.call("schoolkr8", "POST", f"/api/koppelingen/{school.koppeling_id}/intrekken")
    afname = flow.norm_at(school, activated + timedelta(minutes=1), school.pupils[0])
    status = flow.settled(school, [afname])[afname]
    assert status["status"] == "mislukt"
    assert status["attempts"] == 1
    assert status["reden"].startswith("Client.AutorisatieOngeldig")
    assert school.sk8_key not in str(status)
    assert flow.results(school) == {}
    journal = flow.call(
        "testcentrum", "GET", "/__admin/requests", all=1, school=f"{school.brin}-{school.dep}"
    )
    assert any(e["operation"] == "BrengLeerresultaten" for e in journal["requests"])
    assert school.sk8_key not in json.dumps(journal)  # the key travels; the journal masks it


def test_an_injected_client_fault_is_not_retried(flow: Flow) -> None:
    school = flow.school(T0)
    activated = flow.activate(school)
    flow.fault("soap_fault", 1, code="Client.ScoreOngeldig")
    afname = flow.norm_at(school, activated + timedelta(minutes=1), school.pupils[0])
    status = flow.settled(school, [afname])[afname]
    assert (status["status"], status["attempts"]) == ("mislukt", 1)
    assert "Client.ScoreOngeldig" in status["reden"]
    time.sleep(0.3)
    assert flow.doorsturing(school)[afname]["attempts"] == 1
