"""The forwarder against canned Schoolkr8 answers (``responses``), driven synchronously with
``run_once``: delivery, backoff, permanent faults, batch splitting, holding while inactive, lease
takeover after a crashed worker, batching, and no key in the logs."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
import responses

from koppeling.harness.errors import SoapFault
from koppeling.harness.service import Core
from koppeling.harness.store import Database
from koppeling.uwlr.leerresultaten import leerresultaten_bevestiging, parse_verzoek
from koppeling.uwlr.soap import envelope, fault_envelope, parse_envelope
from mocks.testcentrum.afnames.forwarder import Forwarder, ForwarderOptions
from mocks.testcentrum.afnames.service import AfnamesService
from mocks.testcentrum.afnames.store import AfnamesStore
from mocks.testcentrum.beheer.service import DashboardKoppelingen
from mocks.testcentrum.workers import build_afnames
from tests.testcentrum import support

BASE = "http://schoolkr8.forwarder.test"
URL = BASE + "/uwlr/leerresultaten"
BRIN, DEP = "99FW", "00"
SCHOOL = f"{BRIN}-{DEP}"
KEY = "sk8_" + "K" * 32
ACTIVATED = datetime(2027, 1, 18, 9, 0, tzinfo=UTC)


@pytest.fixture
def core() -> Iterator[Core]:
    """A throwaway core on an in-memory store, the school's clock after activation."""
    db = Database.memory()
    core = Core.create(db, urls={"schoolkr8": BASE})
    core.clock.set(ACTIVATED + timedelta(hours=1), brincode=BRIN, dependancecode=DEP)
    yield core
    db.dispose()


@pytest.fixture
def service(core: Core) -> AfnamesService:
    """Score invoeren / normeren on the same store; the school's koppeling active since
    ACTIVATED."""
    support.activate(core.db, SCHOOL, ACTIVATED, key=KEY)
    return build_afnames(core)


def forwarder(core: Core, **options: Any) -> Forwarder:
    opts = {"backoff_base": 0.0, "timeout": 1.0, **options}
    return Forwarder(core, DashboardKoppelingen(core.db), ForwarderOptions(**opts))


def normed(service: AfnamesService, nummer: str = "4866010819", toets: str = "LVS BL") -> str:
    made = service.score(
        BRIN,
        DEP,
        {
            "leerlingnummer": nummer,
            "toets": toets,
            "ruwe_score": 20,
            "afnamedatum": "2027-01-15",
            "groep": 5,
        },
    )
    service.normeer(made.id)
    return made.id


def status(service: AfnamesService, afname_id: str) -> Any:
    return next(d for d in service.doorsturing(BRIN, DEP) if d.afname_id == afname_id)


def ok() -> None:
    responses.post(URL, body=envelope(leerresultaten_bevestiging()), content_type="text/xml")


def fault(code: str, http: int = 500) -> None:
    responses.post(
        URL, body=fault_envelope(SoapFault(code, "nee")), status=http, content_type="text/xml"
    )


def sent_keys(call_index: int) -> list[str]:
    body = responses.calls[call_index].request.body
    env = parse_envelope(body if isinstance(body, bytes) else str(body).encode())
    return [r.key for _, r in parse_verzoek(env.body).resultaten()]


@responses.activate
def test_an_eligible_afname_is_delivered_once_and_a_renorming_updates_the_same_key(
    core: Core, service: AfnamesService
) -> None:
    ok()
    afname_id = normed(service)
    fw = forwarder(core)
    assert fw.run_once().sent == 1
    assert fw.run_once().claimed == 0
    item = status(service, afname_id)
    assert (item.status, item.attempts, item.berichten) == ("verzonden", 1, 1)
    service.normeer(afname_id)
    assert status(service, afname_id).status == "wachtend"
    fw.run_until_idle()
    assert len(responses.calls) == 2
    assert sent_keys(0) == sent_keys(1) == [f"boom-tc-{afname_id}"]
    assert status(service, afname_id).status == "verzonden"


@responses.activate
def test_an_afname_normed_before_activation_never_reaches_the_outbox(
    core: Core, service: AfnamesService
) -> None:
    core.clock.set(ACTIVATED - timedelta(microseconds=1), brincode=BRIN, dependancecode=DEP)
    afname_id = normed(service)
    core.clock.set(ACTIVATED + timedelta(days=1), brincode=BRIN, dependancecode=DEP)
    service.normeer(afname_id)
    assert forwarder(core).run_until_idle().claimed == 0
    assert len(responses.calls) == 0
    assert status(service, afname_id).status == "niet_van_toepassing"


@pytest.mark.parametrize(
    "answer",
    [
        lambda: fault("Server.TijdelijkNietBeschikbaar"),
        lambda: responses.post(URL, status=503),
        lambda: responses.post(URL, body=requests.ConnectionError("reset")),
        lambda: responses.post(URL, body=requests.ReadTimeout("slow")),
    ],
    ids=["server-fault", "http-503", "connection-reset", "timeout"],
)
@responses.activate
def test_transient_failures_wait_with_backoff_then_deliver(
    core: Core, service: AfnamesService, answer: Callable[[], None]
) -> None:
    answer()
    ok()
    afname_id = normed(service)
    t0 = datetime.now(UTC)
    fw = Forwarder(
        core,
        DashboardKoppelingen(core.db),
        ForwarderOptions(backoff_base=3600.0, backoff_max=7200.0, timeout=1.0),
        real_now=lambda: t0,
    )
    report = fw.run_once()
    assert (report.retried, report.sent) == (1, 0)
    item = status(service, afname_id)
    assert (item.status, item.attempts) == ("wachtend", 1)
    assert item.reden
    assert item.volgende_poging == t0 + timedelta(hours=1)
    assert fw.run_once().claimed == 0  # not due yet
    later = Forwarder(
        core,
        DashboardKoppelingen(core.db),
        ForwarderOptions(backoff_base=0.0),
        real_now=lambda: t0 + timedelta(hours=2),
    )
    assert later.run_once().sent == 1
    item = status(service, afname_id)
    assert (item.status, item.attempts) == ("verzonden", 2)


def test_backoff_doubles_and_is_capped() -> None:
    options = ForwarderOptions(backoff_base=0.5, backoff_max=3.0)
    assert [options.backoff(n).total_seconds() for n in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]


@responses.activate
def test_a_client_fault_about_the_key_fails_the_whole_batch_at_once(
    core: Core, service: AfnamesService
) -> None:
    fault("Client.AutorisatieOngeldig")
    ids = [normed(service, nummer=f"10000000{i:02d}") for i in range(3)]
    report = forwarder(core).run_until_idle()
    assert (report.failed, report.requests) == (3, 1)
    for afname_id in ids:
        item = status(service, afname_id)
        assert item.status == "mislukt"
        assert item.reden is not None and item.reden.startswith("Client.AutorisatieOngeldig")


@responses.activate
def test_a_client_fault_about_one_result_is_found_by_splitting_the_batch(
    core: Core, service: AfnamesService
) -> None:
    def answer(request: Any) -> tuple[int, dict[str, str], bytes]:
        body = request.body if isinstance(request.body, bytes) else str(request.body).encode()
        if b"<lr:leerlingid>BAD</lr:leerlingid>" in body:
            return 500, {}, fault_envelope(SoapFault("Client.LeerlingOngeldig", "onbekend"))
        return 200, {}, envelope(leerresultaten_bevestiging())

    responses.add_callback(responses.POST, URL, callback=answer, content_type="text/xml")
    good = [normed(service, nummer="1000000001"), normed(service, nummer="1000000002")]
    bad = normed(service, nummer="BAD")
    report = forwarder(core).run_until_idle()
    assert (report.sent, report.failed, report.requests) == (2, 1, 4)
    assert [status(service, a).status for a in good] == ["verzonden", "verzonden"]
    assert status(service, bad).status == "mislukt"
    assert "Client.LeerlingOngeldig" in (status(service, bad).reden or "")


@responses.activate
def test_messages_wait_while_the_koppeling_is_inactive_and_go_once_it_is_active_again(
    core: Core, service: AfnamesService
) -> None:
    ok()
    afname_id = normed(service)  # eligible: normed while active
    support.deactivate(core.db, SCHOOL, ACTIVATED + timedelta(hours=2))
    core.clock.set(ACTIVATED + timedelta(hours=3), brincode=BRIN, dependancecode=DEP)
    fw = forwarder(core, hold_interval=0.0)
    assert fw.run_once().held == 1
    item = status(service, afname_id)
    assert (item.status, item.attempts, item.reden) == (
        "wachtend",
        0,
        "dashboard-koppeling niet actief",
    )
    assert len(responses.calls) == 0
    support.activate(core.db, SCHOOL, ACTIVATED + timedelta(hours=3), key=KEY)
    assert fw.run_until_idle().sent == 1
    assert status(service, afname_id).status == "verzonden"


@responses.activate
def test_a_crashed_workers_claim_is_taken_over_after_its_lease_and_sent_once(
    core: Core, service: AfnamesService
) -> None:
    ok()
    afname_id = normed(service)
    now = datetime.now(UTC)
    store = AfnamesStore()
    with core.db.begin() as conn:
        crashed = store.claim(
            conn, "dead-worker", now=now, lease=timedelta(seconds=30), per_school=10, limit=10
        )
    assert sum(len(b) for b in crashed.values()) == 1
    service.normeer(afname_id)  # a re-norming while the dead worker "sends": a second message
    koppelingen = DashboardKoppelingen(core.db)
    early = Forwarder(core, koppelingen, real_now=lambda: now + timedelta(seconds=10))
    assert early.run_once().claimed == 0  # the claim is still live: keep the order
    late = Forwarder(core, koppelingen, real_now=lambda: now + timedelta(seconds=31))
    report = late.run_until_idle()
    assert (report.claimed, report.sent, report.requests) == (2, 2, 1)
    assert sent_keys(0) == [f"boom-tc-{afname_id}"]
    with core.db.begin() as conn:
        held = [m for b in crashed.values() for m in b]
        assert store.mark_sent(conn, held, "dead-worker", now) == 0  # too late to count


@responses.activate
def test_the_summary_counts_each_normed_afname_once_by_its_latest_message(
    core: Core, service: AfnamesService
) -> None:
    fault("Client.ScoreOngeldig")
    ok()
    failed = normed(service, nummer="3000000001")
    forwarder(core).run_until_idle()
    sent = normed(service, nummer="3000000002")
    forwarder(core).run_until_idle()
    service.normeer(sent)  # a second message, waiting
    core.clock.set(ACTIVATED - timedelta(days=1), brincode=BRIN, dependancecode=DEP)
    normed(service, nummer="3000000003")
    assert status(service, failed).status == "mislukt"
    assert service.samenvatting(BRIN, DEP) == {
        "verzonden": 0,
        "wachtend": 1,
        "niet_van_toepassing": 1,
        "mislukt": 1,
        "totaal": 3,
    }
    forwarder(core).run_until_idle()
    assert service.samenvatting(BRIN, DEP)["verzonden"] == 1


@responses.activate
def test_pending_messages_are_batched_per_school(core: Core, service: AfnamesService) -> None:
    ok()
    for i in range(12):
        normed(service, nummer=f"20000000{i:02d}", toets="TTA" if i % 2 else "Spelling")
    report = forwarder(core, batch_size=5).run_until_idle()
    assert (report.sent, report.requests) == (12, 3)
    assert [len(sent_keys(i)) for i in range(3)] == [5, 5, 2]


@responses.activate
def test_max_attempts_gives_up_with_mislukt(core: Core, service: AfnamesService) -> None:
    responses.post(URL, status=503)
    afname_id = normed(service)
    fw = forwarder(core, max_attempts=3)
    fw.run_until_idle()
    item = status(service, afname_id)
    assert (item.status, item.attempts) == ("mislukt", 3)
    assert "opgegeven na 3 pogingen" in (item.reden or "")


@responses.activate
def test_the_key_is_never_logged(
    core: Core, service: AfnamesService, caplog: pytest.LogCaptureFixture
) -> None:
    fault("Client.AutorisatieOngeldig")
    normed(service)
    with caplog.at_level(logging.DEBUG):
        forwarder(core).run_until_idle()
    assert caplog.records
    assert all(KEY not in r.getMessage() for r in caplog.records)
    assert all(KEY not in d.reden for d in service.doorsturing(BRIN, DEP) if d.reden)


@responses.activate
def test_the_worker_thread_delivers_without_being_driven(
    core: Core, service: AfnamesService
) -> None:
    ok()
    afname_id = normed(service)
    fw = forwarder(core, poll_interval=0.02).start()
    try:
        deadline = datetime.now(UTC) + timedelta(seconds=5)
        while status(service, afname_id).status != "verzonden" and datetime.now(UTC) < deadline:
            fw.wake()
            fw._stop.wait(0.02)
    finally:
        fw.stop()
    assert status(service, afname_id).status == "verzonden"


def test_unknown_forwarder_options_are_a_clear_error() -> None:
    with pytest.raises(ValueError, match="backof"):
        ForwarderOptions.from_options({"forwarder": {"backof": 1}})
    assert ForwarderOptions.from_options({"forwarder": {"lease": 5}}).lease == 5
    assert ForwarderOptions.from_options(None) == ForwarderOptions()
