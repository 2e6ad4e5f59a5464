"""The standard Pact provider endpoints every provider mock offers (``/__admin/pact/state``,
``/__admin/pact/messages``), called as any verifier calls them, on the session harness."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import requests

from contracts.beheerder import BeheerderMail, read_decision, read_key
from contracts.consumer_cases import APPROVAL_MAIL, KEY_MAIL, REJECTION_MAIL
from contracts.state_names import KS_BY_HAND, LAS_SCHOOL
from koppeling.client import LasAdmin, SchoolRef
from koppeling.harness.process import Harness

pytestmark = pytest.mark.contract

LAS_PARAMS = {
    "brincode": "99AB",
    "dependancecode": "00",
    "schooljaar": "2024-2025",
    "klantcode": "boom-testcentrum",
    "klantnaam": "Boom testcentrum",
}


def post(url: str, body: Any) -> requests.Response:
    return requests.post(url, json=body, timeout=30)


def state_url(live: Harness, service: str) -> str:
    return f"{live.url(service)}/__admin/pact/state"


def messages_url(live: Harness, service: str) -> str:
    return f"{live.url(service)}/__admin/pact/messages"


def test_the_las_state_is_the_same_after_the_quick_start_and_on_every_run(live: Harness) -> None:
    """docs/las.md's quick start made 99AB for 2026-2027: the state (asked twice) gives the
    contract's school for 2024-2025 each time, never a 409."""
    las = LasAdmin(live.url("parnassys"))
    school = SchoolRef("99AB")
    las.delete_school(school)
    las.create_school(school, schooljaar="2026-2027", aantal_leerlingen=60, seed=42)
    answers = [
        post(state_url(live, "parnassys"), {"state": LAS_SCHOOL, "params": LAS_PARAMS})
        for _ in range(2)
    ]
    assert [a.status_code for a in answers] == [200, 200], answers[-1].text
    keys = [a.json()["autorisatiesleutel"] for a in answers]
    assert all(k.startswith("pns_") for k in keys) and keys[0] != keys[1]
    assert las.school(school)["schooljaar"] == "2024-2025"


def test_teardown_and_the_older_states_form(live: Harness) -> None:
    """``action: teardown`` is a no-op 200; ``{"states": [...]}`` sets each state up."""
    url = state_url(live, "klantenservice")
    params = {"brincode": "99AC", "dependancecode": "00"}
    teardown = post(url, {"state": KS_BY_HAND, "params": params, "action": "teardown"})
    assert (teardown.status_code, teardown.json()) == (200, {})
    older = post(url, {"states": [KS_BY_HAND], "params": params})
    assert (older.status_code, older.json()) == (200, {})
    modus = requests.get(f"{live.url('klantenservice')}/api/scholen/99AC/00/modus", timeout=5)
    assert modus.json()["modus"] == "handmatig"
    none = post(url, {"state": "", "params": {}, "action": "setup"})  # an interaction without
    assert (none.status_code, none.json()) == (200, {})  # states: nothing to do


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ([], "body"),
        ({}, "state"),
        ({"state": 3}, "state"),
        ({"states": "one"}, "states"),
        ({"state": KS_BY_HAND, "params": ["99AB"]}, "params"),
        ({"state": KS_BY_HAND, "action": "undo"}, "action"),
        ({"state": "the klantenservice is closed"}, "state"),
    ],
)
def test_a_bad_state_request_is_400_naming_the_field(live: Harness, body: Any, field: str) -> None:
    """problem+json 400 with the field, never a 5xx (a verifier retries those for minutes)."""
    resp = post(state_url(live, "klantenservice"), body)
    assert resp.status_code == 400, resp.text
    assert resp.headers["Content-Type"] == "application/problem+json"
    assert resp.json()["field"] == field


def test_a_state_that_cannot_be_set_up_is_400_with_the_cause(live: Harness) -> None:
    """A handler that fails (a parameter missing) answers 400 naming the state and the error."""
    params = {k: v for k, v in LAS_PARAMS.items() if k != "klantcode"}
    resp = post(state_url(live, "esis"), {"state": LAS_SCHOOL, "params": params})
    assert resp.status_code == 400
    assert resp.json()["title"] == "Provider state failed"
    assert LAS_SCHOOL in resp.json()["detail"] and "klantcode" in resp.json()["detail"]


def _delivered(resp: requests.Response) -> BeheerderMail:
    assert resp.status_code == 200, resp.text
    assert resp.headers["Content-Type"] == "application/json"
    metadata = json.loads(base64.b64decode(resp.headers["Pact-Message-Metadata"]))
    assert metadata == {"contentType": "application/json"}
    body = resp.json()
    assert set(body) == {"from", "to", "subject", "text"}
    return BeheerderMail.from_message(body)


def test_the_key_mail_is_answered_as_delivered_and_masked_in_the_journal(live: Harness) -> None:
    """The message endpoint sends the real key mail; its answer is the mail in the mailbox, the
    only place the key shows in full — the journal keeps it masked."""
    mail = _delivered(post(messages_url(live, "schoolkr8"), {"description": KEY_MAIL}))
    key = read_key(mail)
    inbox = requests.get(f"{live.url('mailbox')}/api/v1/messages", timeout=5).json()
    assert any(m["To"][0]["Address"] == mail.to[0] for m in inbox["messages"])
    journal = requests.get(f"{live.url('schoolkr8')}/__admin/requests?all=1", timeout=5).text
    assert key not in journal and key[:8] in journal


@pytest.mark.parametrize(
    ("description", "approved"), [(APPROVAL_MAIL, True), (REJECTION_MAIL, False)]
)
def test_the_decision_mails_are_answered_as_delivered(
    live: Harness, description: str, approved: bool
) -> None:
    """Approval and rejection mail, each from the klantenservice's address."""
    resp = post(
        messages_url(live, "klantenservice"), {"description": description, "providerStates": []}
    )
    mail = _delivered(resp)
    assert mail.sender == "klantenservice@boomtestonderwijs.nl"
    assert read_decision(mail).approved is approved


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "description"),
        ({"description": "a postcard"}, "description"),
        ({"description": APPROVAL_MAIL, "providerStates": "none"}, "providerStates"),
    ],
)
def test_a_bad_message_request_is_400_naming_the_field(
    live: Harness, body: dict[str, Any], field: str
) -> None:
    resp = post(messages_url(live, "klantenservice"), body)
    assert resp.status_code == 400, resp.text
    assert resp.json()["field"] == field


@pytest.mark.parametrize(
    ("service", "path"),
    [
        ("testcentrum", "/__admin/pact/state"),
        ("mailbox", "/__admin/pact/state"),
        ("parnassys", "/__admin/pact/messages"),
    ],
)
def test_only_providers_have_the_endpoints(live: Harness, service: str, path: str) -> None:
    """The testcentrum and the mailbox play no provider; a LAS sends no e-mail."""
    assert post(f"{live.url(service)}{path}", {"state": ""}).status_code == 404


def test_the_message_endpoint_is_on_every_provider_of_e_mails() -> None:
    """The endpoints module names the e-mail providers itself (it imports the state table only
    on the first call); they are exactly the providers of the state table's messages."""
    from contracts.provider_endpoints import MESSAGE_PROVIDERS
    from contracts.states import MESSAGES

    assert set(MESSAGE_PROVIDERS) == set(MESSAGES)
