"""The klantenservice's decisions: the three checks, automatic and manual mode, and exactly one
e-mail per decision under retries, outages and races."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from koppeling.harness.service import Core
from koppeling.harness.store import Database
from mocks.klantenservice.service import (
    AFZENDER,
    BesluitConflict,
    IdempotencyConflict,
    KlantenserviceService,
)
from mocks.klantenservice.store import NieuweAanvraag
from tests.klantenservice.conftest import GOOD_KEY, Las, Outbox, Sleutels


def service(
    core: Core, sleutels: Sleutels, las: Las, modus: str = "automatisch"
) -> KlantenserviceService:
    return KlantenserviceService(
        core.db,
        now=lambda b, d: core.clock.now(b, d),
        sleutels=lambda: sleutels,
        las=lambda: las,
        send_mail=lambda mail, school: core.send_mail("klantenservice", mail, school=school),
        default_modus=modus,
    )


def nieuw(
    key: str = GOOD_KEY,
    *,
    type_dashboard: str = "SchoolKr8",
    brin: str = "99AB",
    email: str = "beheer@klimop.test",
) -> NieuweAanvraag:
    return NieuweAanvraag(brin, "00", type_dashboard, key, email)


def test_all_fields_correct_is_approved_with_one_mail(
    core: Core, sleutels: Sleutels, las: Las, outbox: Outbox
) -> None:
    at = datetime(2027, 3, 28, 1, 59, 59, tzinfo=UTC)
    core.clock.set(at, brincode="99AB", dependancecode="00")
    ks = service(core, sleutels, las)
    aanvraag, created = ks.dien_in(nieuw())
    assert created and aanvraag.status == "goedgekeurd" and aanvraag.reden is None
    assert aanvraag.besloten_op == at  # the school's clock
    [mail] = outbox.sent
    assert mail.sender == AFZENDER == "klantenservice@boomtestonderwijs.nl"
    assert mail.to == ["beheer@klimop.test"]
    assert "Schoolkr8" in mail.subject and "OBS De Klimop" in mail.subject
    assert "99AB" in mail.text and "goedgekeurd" in mail.text
    assert GOOD_KEY not in mail.text
    assert aanvraag.as_json()["autorisatiesleutel"] == "sk8_Good…"
    assert aanvraag.as_json()["mail_verzonden"] is True


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"key": "sk8_" + "W" * 32}, "niet geldig voor school 99AB"),
        ({"type_dashboard": "Focus PO"}, "Onbekend type dashboard 'Focus PO'"),
        ({"brin": "99ZZ", "key": GOOD_KEY}, "geen actieve koppeling met ParnasSys of ESIS"),
    ],
)
def test_a_wrong_field_is_rejected_with_the_reason(
    core: Core, sleutels: Sleutels, las: Las, outbox: Outbox, kwargs: dict[str, str], reason: str
) -> None:
    aanvraag, _ = service(core, sleutels, las).dien_in(nieuw(**kwargs))
    assert aanvraag.status == "afgewezen"
    assert reason in (aanvraag.reden or "")
    [mail] = outbox.sent
    assert "afgewezen" in mail.subject and reason in mail.text


def test_key_of_another_school_is_rejected(core: Core, sleutels: Sleutels, las: Las) -> None:
    sleutels.valid["99CD-00"] = "sk8_" + "C" * 32
    las.active.add("99CD-00")
    aanvraag, _ = service(core, sleutels, las).dien_in(nieuw("sk8_" + "C" * 32))
    assert aanvraag.status == "afgewezen"


def test_same_request_twice_is_one_aanvraag_and_one_mail(
    core: Core, sleutels: Sleutels, las: Las, outbox: Outbox
) -> None:
    ks = service(core, sleutels, las)
    first, created = ks.dien_in(nieuw())
    again, created_again = ks.dien_in(nieuw(email="BEHEER@klimop.test"))
    assert created and not created_again and again.id == first.id
    assert len(outbox.sent) == 1


def test_idempotency_key_replays_even_a_rejection(
    core: Core, sleutels: Sleutels, las: Las, outbox: Outbox
) -> None:
    ks = service(core, sleutels, las)
    bad = nieuw("sk8_" + "W" * 32)
    first, _ = ks.dien_in(bad, idempotency_key="k1")
    again, created = ks.dien_in(bad, idempotency_key="k1")
    assert not created and again.id == first.id and again.status == "afgewezen"
    assert len(outbox.sent) == 1
    with pytest.raises(IdempotencyConflict, match="Idempotency-Key"):
        ks.dien_in(nieuw(), idempotency_key="k1")
    fresh, created = ks.dien_in(bad)  # without the key, after a rejection: a new decision
    assert created and fresh.id != first.id and len(outbox.sent) == 2


def test_partner_outage_postpones_the_decision(
    core: Core, sleutels: Sleutels, las: Las, outbox: Outbox
) -> None:
    sleutels.down = True
    ks = service(core, sleutels, las)
    aanvraag, _ = ks.dien_in(nieuw())
    assert aanvraag.status == "in_behandeling" and outbox.sent == []
    assert [c.geslaagd for c in aanvraag.controles] == [True, None, True]
    assert ks.bekijk(aanvraag.id).status == "in_behandeling"
    sleutels.down = False
    assert ks.bekijk(aanvraag.id).status == "goedgekeurd"
    assert ks.bekijk(aanvraag.id).status == "goedgekeurd"
    assert len(outbox.sent) == 1


def test_smtp_outage_sends_the_mail_later_once(
    core: Core, sleutels: Sleutels, las: Las, outbox: Outbox
) -> None:
    outbox.fail = True
    ks = service(core, sleutels, las)
    aanvraag, _ = ks.dien_in(nieuw())
    assert aanvraag.status == "goedgekeurd" and not aanvraag.as_json()["mail_verzonden"]
    outbox.fail = False
    ks.verwerk_open()
    ks.bekijk(aanvraag.id)
    assert len(outbox.sent) == 1
    assert ks.bekijk(aanvraag.id).as_json()["mail_verzonden"] is True


def test_manual_mode_records_checks_and_waits(
    core: Core, sleutels: Sleutels, las: Las, outbox: Outbox
) -> None:
    ks = service(core, sleutels, las, modus="handmatig")
    aanvraag, _ = ks.dien_in(nieuw("sk8_" + "W" * 32))
    assert aanvraag.status == "in_behandeling"
    assert [c.geslaagd for c in aanvraag.controles] == [True, False, True]
    assert ks.verwerk_open() == 0 and outbox.sent == []
    approved = ks.goedkeuren(aanvraag.id)  # a human may overrule a failed check
    assert approved.status == "goedgekeurd"
    assert ks.goedkeuren(aanvraag.id).status == "goedgekeurd"
    with pytest.raises(BesluitConflict):
        ks.afwijzen(aanvraag.id, "te laat")
    assert len(outbox.sent) == 1


def test_manual_rejection_and_per_school_mode(
    core: Core, sleutels: Sleutels, las: Las, outbox: Outbox
) -> None:
    ks = service(core, sleutels, las)
    ks.set_modus("99AB-00", "handmatig")
    aanvraag, _ = ks.dien_in(nieuw())
    assert aanvraag.modus == "handmatig" and aanvraag.status == "in_behandeling"
    rejected = ks.afwijzen(aanvraag.id, "Beheerder onbekend bij ons")
    assert rejected.status == "afgewezen" and rejected.reden == "Beheerder onbekend bij ons"
    ks.afwijzen(aanvraag.id, "Beheerder onbekend bij ons")
    [mail] = outbox.sent
    assert "Beheerder onbekend bij ons" in mail.text


def test_withdrawn_approval_makes_the_same_request_new(
    core: Core, sleutels: Sleutels, las: Las, outbox: Outbox
) -> None:
    ks = service(core, sleutels, las)
    first, _ = ks.dien_in(nieuw())
    assert ks.intrekken(first.id).status == "ingetrokken"
    second, created = ks.dien_in(nieuw())
    assert created and second.id != first.id and second.status == "goedgekeurd"
    assert len(outbox.sent) == 2


def test_racing_retries_send_one_mail(tmp_path: Path, sleutels: Sleutels, las: Las) -> None:
    outbox = Outbox()
    db = Database.file(tmp_path / "state.sqlite")
    core = Core.create(db, mailer=outbox)
    sleutels.down = True
    ks = service(core, sleutels, las)
    aanvraag, _ = ks.dien_in(nieuw(), idempotency_key="race")
    sleutels.down = False
    barrier = threading.Barrier(6)

    def look() -> None:
        barrier.wait()
        ks.bekijk(aanvraag.id)
        ks.dien_in(nieuw(), idempotency_key="race")

    threads = [threading.Thread(target=look) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert ks.bekijk(aanvraag.id).status == "goedgekeurd"
    assert len(outbox.sent) == 1
    db.dispose()


def test_reads_do_not_wait_for_a_writer(tmp_path: Path, sleutels: Sleutels, las: Las) -> None:
    """get, recent and modus never take SQLite's write lock: they answer while a writer holds it."""
    db = Database.file(tmp_path / "state.sqlite")
    core = Core.create(db, mailer=Outbox())
    ks = service(core, sleutels, las)
    ks.set_modus("99AB-00", "handmatig")
    aanvraag, _ = ks.dien_in(nieuw())
    answers: list[object] = []

    def read() -> None:
        answers.append(ks.get(aanvraag.id).status)
        answers.append([a.id for a in ks.recent(school="99AB-00")])
        answers.append(ks.modus("99AB-00"))

    try:
        with db.begin():
            reader = threading.Thread(target=read)
            reader.start()
            reader.join(timeout=10)
            assert not reader.is_alive(), "a read waited for the write lock"
        assert answers == ["in_behandeling", [aanvraag.id], "handmatig"]
    finally:
        db.dispose()
