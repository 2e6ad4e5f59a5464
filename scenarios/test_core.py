"""The four checks this project exists for (docs/architecture.md): key issuance, the approval
e-mail, pupil-number mapping, and forwarding that never applies to tests normed before activation.
"""

from __future__ import annotations

import pytest

from koppeling.client.flows import SCHOOLKR8_SLEUTEL
from scenarios.support import flows
from scenarios.support.checks import (
    assert_exactly_once_at_sk8,
    assert_never_at_sk8,
    assert_not_at_pupil,
    key_leaks,
)
from scenarios.support.steps import Scenario
from scenarios.support.waits import stays

pytestmark = pytest.mark.scenario

KLANTENSERVICE = "klantenservice@boomtestonderwijs.nl"


def test_key_issuance(scenario: Scenario) -> None:
    """Schoolkr8 issues the autorisatiesleutel only after activating, only by e-mail, for one
    school."""
    sc = scenario
    with sc.step("a fresh school asks Schoolkr8 for the koppeling"):
        school = sc.new_school()
        school.koppeling_id = sc.partners.schoolkr8.aanvragen(school.ref, school.contact_email)
    with sc.step("no key is sent before Schoolkr8 activates"):
        stays(
            lambda: flows.mails_to(sc, school.contact_email),
            lambda ms: not ms,
            what=f"no mail to {school.contact_email} before activation",
            duration=0.2,
        )
    key = flows.issue_sk8_key(sc, school)
    with sc.step("the key: long, random, in exactly one e-mail to the contact"):
        assert len(key) >= 20, f"key too short ({len(key)} characters)"
        mails = flows.mails_to(sc, school.contact_email)
        assert len(mails) == 1, f"expected exactly 1 key mail, got {len(mails)}"
    flows.las_koppeling(sc, school)
    flows.activate_dashboard(sc, school)
    with sc.step(
        "the key, having travelled testcentrum -> klantenservice -> Schoolkr8, never "
        "appears in full in the journal"
    ):
        leaks = key_leaks(sc, school, key)
        assert not leaks, f"the key appears in full in journal entries: {leaks}"


def test_approval_email(scenario: Scenario) -> None:
    """An approved AANVRAGEN gives exactly one confirmation, from klantenservice, to the beheerder,
    naming the school and the dashboard."""
    sc = scenario
    with sc.step("a fresh school with LAS koppeling and a Schoolkr8 key"):
        school = sc.new_school()
    flows.las_koppeling(sc, school)
    flows.issue_sk8_key(sc, school)
    flows.activate_dashboard(sc, school)
    with sc.step("exactly one confirmation mail from klantenservice to the beheerder"):
        mail = flows.wait_for_mail(sc, school.beheerder_email)
        stays(
            lambda: flows.mails_to(sc, school.beheerder_email),
            lambda ms: len(ms) == 1,
            what=f"exactly one mail to {school.beheerder_email}",
            duration=0.4,
        )
        assert mail.sender.lower() == KLANTENSERVICE, f"sender is {mail.sender!r}"
        assert school.beheerder_email in mail.to, f"sent to {mail.to}"
        body = mail.subject + "\n" + mail.text
        assert school.ref.brincode in body, f"the mail does not name BRIN {school.ref.brincode}"
        assert "schoolkr8" in body.lower(), "the mail does not name the dashboard (Schoolkr8)"
        assert not SCHOOLKR8_SLEUTEL.search(body), "the confirmation mail contains the key"
        sc.note(f"{mail.subject!r}")
    with sc.step("no confirmation went to the Schoolkr8 contact address"):
        senders = [m.sender.lower() for m in flows.mails_to(sc, school.contact_email)]
        assert KLANTENSERVICE not in senders, "klantenservice also mailed the Schoolkr8 contact"


@pytest.mark.parametrize("las", ["parnassys", "esis"])
def test_pupil_number_mapping(scenario: Scenario, las: str) -> None:
    """A result lands on the pupil whose leerlingnummer equals the UWLR leerlingid, never on
    another."""
    sc = scenario
    school = flows.ready_school(sc, las=las, pupils=3)
    numbers = school.numbers()
    with sc.step("one afname normed per pupil, each with its own ruwe score"):
        afnames = {}
        for i, number in enumerate(numbers):
            afnames[number] = flows.norm(sc, school, number, ruwe_score=20 + 5 * i).afname_id
    with sc.step("every afname is sent"):
        flows.wait_settled(sc, school, list(afnames.values()))
        for number, afname in afnames.items():
            status = flows.forwarding_of(sc, school)[afname].status
            assert status == "verzonden", f"afname of {number}: {status}"
    with sc.step("each result sits on exactly its own pupil at Schoolkr8"):
        for number, afname in afnames.items():
            assert_exactly_once_at_sk8(sc, school, number, afname)
            others = [n for n in numbers if n != number]
            for other in others:
                assert_not_at_pupil(sc, school, other, afname)
        assert not sc.partners.schoolkr8.niet_gekoppeld(school.ref), "results parked as unmapped"


def test_not_retroactive(scenario: Scenario) -> None:
    """An afname first normed before activation is never forwarded (not on re-norming either);
    one normed after activation arrives exactly once."""
    sc = scenario
    with sc.step("a fresh school with LAS koppeling, pupils numbered at Schoolkr8"):
        school = sc.new_school(pupils=2)
    flows.las_koppeling(sc, school)
    flows.register_pupils(sc, school)
    before_pupil, after_pupil = school.numbers()[:2]
    with sc.step("an afname normed BEFORE the koppeling is active"):
        before = flows.norm(sc, school, before_pupil).afname_id
    flows.issue_sk8_key(sc, school)
    flows.activate_dashboard(sc, school)
    with sc.step("an afname normed AFTER activation; the early one re-normed"):
        after = flows.norm(sc, school, after_pupil).afname_id
        sc.driver.norm(before)
    with sc.step("the later afname arrives exactly once"):
        flows.wait_forwarding(sc, school, after, "verzonden")
        assert_exactly_once_at_sk8(sc, school, after_pupil, after)
    with sc.step("the early afname is niet_van_toepassing and never reached Schoolkr8"):
        status = flows.wait_settled(sc, school, [before])[before]
        assert status.status == "niet_van_toepassing", (
            f"afname {before} was normed before activation but its forwarding status is "
            f"{status.status!r} (must be 'niet_van_toepassing')"
        )
        assert_never_at_sk8(sc, school, before_pupil, before)
