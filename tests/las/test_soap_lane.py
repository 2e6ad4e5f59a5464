"""The SOAP lane: a plain UWLR request is answered without Flask, exactly as Flask answers it.

Every comparison below sends the same request twice: once to the app (the lane in front) and
once to the Flask app behind the lane (``lane.flask``), with the clock frozen and the same
correlation id, and compares status, headers, body and journal entry. The lane's ``served``
count tells which of the two answered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack
from datetime import timedelta
from typing import Any

import pytest
import requests
from flask.signals import request_finished

from koppeling.harness.process import Harness
from koppeling.harness.server import ServerThread
from koppeling.harness.service import SoapLane
from koppeling.uwlr.soap import SOAP_CONTENT_TYPE, read_fault
from mocks.las.app import create_app
from mocks.las.service import FLAVOURS
from tests.las.conftest import SCHOOL_TIME, Las, action_for, issue_key, make_school
from tests.soap_lane import (
    CORRELATION,
    NOT_PLAIN,
    Answer,
    Unreadable,
    as_heard,
    compare,
    journal_of,
    lane_in_front,
    not_plain,
    raw_exchange,
    without_date,
    without_soap_header,
)
from tests.soap_lane import call as lane_call
from tests.soap_lane import http_request as wire_request

#: one worker: its first request (the clock below) opens the lane for every later one
ONE_WORKER = ("--memory", "--only", "parnassys", "--workers", "1")


def call(app: Callable[..., Any], path: str, body: bytes, **kwargs: Any) -> Answer:
    """One WSGI call as a server makes it, with the official SOAPAction of the body."""
    return lane_call(app, path, body, action=action_for(body), **kwargs)


def lane_of(las: Las) -> SoapLane:
    return lane_in_front(las.app)


def journal(las: Las) -> list[dict[str, Any]]:
    """This LAS's journal entries, oldest first, without what differs between two requests."""
    return journal_of(las.core, las.flavour)


def both(las: Las, body: bytes, **kwargs: Any) -> tuple[Answer, Answer, int]:
    """The answer through the app, the answer of Flask alone, and how many the lane served
    (:func:`tests.soap_lane.compare`)."""
    return compare(las.app, body, action=action_for(body), **kwargs)


@pytest.fixture
def frozen(las: Las) -> Las:
    """The LAS with its lane open (the app's first request went through Flask: the school)."""
    assert lane_of(las)._open is True
    return las


@pytest.mark.parametrize(
    "operation", ["HaalLeerlinggegevens", "HaalStructuur", "HaalLeerlingen", "HaalLeerkrachten"]
)
def test_a_plain_request_is_answered_by_the_lane_as_flask_answers_it(
    frozen: Las, operation: str
) -> None:
    """Same status, the same headers in the same order, the same bytes, the same journal entry."""
    through_app, flask_alone, by_lane = both(frozen, frozen.request(operation))
    assert by_lane == 1
    assert through_app == flask_alone
    assert through_app.status == "200 OK"
    assert dict(through_app.headers)["X-Correlation-ID"] == CORRELATION
    frozen.schemas.validate(through_app.body)


@pytest.mark.parametrize("answer", ["geengegevens", "geenwijzigingen"])
def test_the_lane_answers_no_data_as_flask_does(frozen: Las, answer: str) -> None:
    """An answer without data (another schooljaar; nothing changed since) is a plain answer too."""
    if answer == "geengegevens":
        body = frozen.request(schooljaar="2023-2024")
    else:
        body = frozen.request(laatstontvangengegevens=SCHOOL_TIME + timedelta(days=1))
    through_app, flask_alone, by_lane = both(frozen, body)
    assert by_lane == 1
    assert through_app == flask_alone
    assert answer.encode() in through_app.body


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Type": ""},
        {"Content-Type": "application/octet-stream"},
        {"Host": None},
        {"SOAPAction": None},
        {"SOAPAction": '""'},
    ],
)
def test_odd_but_plain_headers_are_answered_by_the_lane_as_flask_does(
    frozen: Las, headers: dict[str, str | None]
) -> None:
    """No or another Content-Type (the journal then keeps the body's size only), no Host
    (HTTP/1.0), no or an empty SOAPAction (each flavour's stack decides: a Fault goes to
    Flask): the same answer and journal entry either way."""
    through_app, flask_alone, by_lane = both(frozen, frozen.request(), headers=headers)
    assert through_app == flask_alone
    assert by_lane == (0 if through_app.status.startswith("500") else 1)


def test_a_request_without_correlation_id_gets_a_new_one(frozen: Las) -> None:
    """As the before-hook does: a fresh random id, on the answer and in the journal."""
    frozen.core.journal.clear(frozen.flavour)
    answer = call(frozen.app, frozen.path, frozen.request(), headers={"X-Correlation-ID": None})
    given = dict(answer.headers)["X-Correlation-ID"]
    assert len(given) == 32 and given != CORRELATION
    assert [e["correlation_id"] for e in journal(frozen)] == [given]


@pytest.mark.parametrize(
    "breaking",
    [
        "wrong key",
        "other klantcode",
        "no header",
        "broken xml",
        "wrong soapaction",
        "xsdversie",
        "unknown school",
        "bad brincode",
    ],
)
def test_a_request_that_gets_a_fault_is_answered_by_flask(frozen: Las, breaking: str) -> None:
    """The lane hands every SOAP Fault to Flask: the same Fault, one journal entry."""
    body = frozen.request()
    headers: dict[str, str | None] = {}
    if breaking == "wrong key":
        body = frozen.request(autorisatie=frozen.autorisatie(frozen.key[:-4] + "abcd"))
    elif breaking == "other klantcode":
        body = frozen.request(autorisatie=frozen.autorisatie(klantcode="ANDER"))
    elif breaking == "no header":
        body = without_soap_header(body)
    elif breaking == "broken xml":
        body = body[:-30]
    elif breaking == "wrong soapaction":
        headers["SOAPAction"] = '"HaalStructuur"'
    elif breaking == "xsdversie":
        body = frozen.request(xsdversie="2.3")
    elif breaking == "unknown school":
        body = frozen.request(brincode="99ZZ")
    else:
        body = frozen.request(brincode="9XAB")
    through_app, flask_alone, by_lane = both(frozen, body, headers=headers)
    assert by_lane == 0
    assert through_app == flask_alone
    assert through_app.status == "500 INTERNAL SERVER ERROR"
    assert read_fault(through_app.body) is not None


@pytest.mark.parametrize("kind", NOT_PLAIN)
def test_a_request_that_is_not_plain_goes_to_flask(frozen: Las, kind: str) -> None:
    """Whatever is not a plain POST of a SOAP body the lane leaves to Flask, unseen."""
    body, kwargs = not_plain(kind, frozen.request())
    through_app, flask_alone, by_lane = both(frozen, body, **kwargs)
    assert by_lane == 0
    assert through_app == flask_alone
    if kind == "foreign host":
        assert through_app.status.startswith("421")
    if kind == "query":  # the journal shows the query string as Flask gives it
        assert journal(frozen)[0]["path"] == frozen.path + "?x=1"


@pytest.mark.parametrize("fault", ["soap_fault", "http_503", "delay"])
def test_a_scripted_fault_is_taken_by_the_very_next_request(frozen: Las, fault: str) -> None:
    """A fault scripted for the service sends its requests to Flask, which takes it; once it is
    used up, the next request is the lane's again."""
    lane = lane_of(frozen)
    frozen.core.faults.add(
        frozen.flavour,
        {
            "path": frozen.path,
            "method": "POST",
            "fault": fault,
            "delay_ms": 1,
            "code": None,
            "remaining": 1,
        },
    )
    served = lane.served
    answer = call(frozen.app, frozen.path, frozen.request())
    assert lane.served == served
    if fault == "delay":
        assert answer.status == "200 OK"
    else:
        assert answer.status.startswith("503" if fault == "http_503" else "500")
        assert read_fault(answer.body) is not None
    assert journal(frozen)[-1]["summary"].endswith(f"[fault: {fault}]")
    assert call(frozen.app, frozen.path, frozen.request()).status == "200 OK"
    assert lane.served == served + 1


def test_a_fault_for_another_path_still_sends_requests_to_flask(frozen: Las) -> None:
    """Any fault scripted for the service: Flask decides whether it applies (here it does not)."""
    frozen.core.faults.add(
        frozen.flavour,
        {
            "path": "/api/*",
            "method": None,
            "fault": "http_503",
            "delay_ms": 0,
            "code": None,
            "remaining": None,
        },
    )
    through_app, flask_alone, by_lane = both(frozen, frozen.request())
    assert by_lane == 0
    assert through_app == flask_alone
    assert through_app.status == "200 OK"


def test_a_clock_change_applies_to_the_very_next_request(frozen: Las) -> None:
    """The answer's aanmaakdatum and the journal's time follow the clock at once."""
    later = SCHOOL_TIME + timedelta(hours=5)
    first = call(frozen.app, frozen.path, frozen.request())
    frozen.core.clock.set(later)
    frozen.core.journal.clear(frozen.flavour)
    served = lane_of(frozen).served
    second = call(frozen.app, frozen.path, frozen.request())
    assert lane_of(frozen).served == served + 1
    assert b"2024-10-01T13:00:00" in second.body and b"2024-10-01T13:00:00" not in first.body
    assert journal(frozen)[0]["at"] == later.isoformat()


def test_a_change_of_the_school_applies_to_the_very_next_request(frozen: Las) -> None:
    """A pupil added through the admin API is in the lane's next answer."""
    before = call(frozen.app, frozen.path, frozen.request())
    added = frozen.client.post(
        f"/api/scholen/{frozen.school['brincode']}/00/leerlingen",
        json={"seed": 7, "leerlingnummer": "LANE1"},
    )
    assert added.status_code == 201, added.json
    served = lane_of(frozen).served
    after = call(frozen.app, frozen.path, frozen.request())
    assert lane_of(frozen).served == served + 1
    assert b"LANE1" in after.body and b"LANE1" not in before.body


def test_the_key_never_shows_in_full_in_the_journal(frozen: Las) -> None:
    """The lane's entry is masked by the journal as Flask's is."""
    frozen.core.journal.clear(frozen.flavour)
    call(frozen.app, frozen.path, frozen.request())
    (entry,) = journal(frozen)
    assert frozen.key not in str(entry)
    assert frozen.key[:8] in entry["request"]  # the prefix and four characters stay


def test_a_body_that_cannot_be_read_fails_as_in_flask(frozen: Las) -> None:
    """A read error in the lane is handed to Flask, which meets it as it would have."""
    through_app, flask_alone, by_lane = both(frozen, frozen.request(), stream=Unreadable())
    assert by_lane == 0
    assert through_app == flask_alone
    assert read_fault(through_app.body) is not None
    frozen.core.errors.clear()


def test_an_unknown_hook_keeps_the_lane_closed(las: Las) -> None:
    """An app with a request hook the lane does not stand in for is served by Flask alone."""
    app = create_app({"flavour": las.flavour}, core=las.core)
    calls: list[str] = []

    def hook() -> None:
        calls.append("hook")

    app.before_request(hook)
    client = app.test_client()
    make_school(client, brincode="98AB")
    key = issue_key(client, "98AB")
    lane = app.wsgi_app
    assert isinstance(lane, SoapLane) and lane._open is False
    body = las.request(brincode="98AB", autorisatie=las.autorisatie(key))
    calls.clear()
    assert call(app, las.path, body).status == "200 OK"
    assert calls == ["hook"] and lane.served == 0


def test_a_listener_to_flasks_request_signals_gets_every_request(frozen: Las) -> None:
    """While anyone listens to Flask's request signals, every request goes through Flask, so
    the listener hears it."""
    heard: list[int] = []

    def listener(sender: Any, response: Any, **extra: Any) -> None:
        heard.append(response.status_code)

    served = lane_of(frozen).served
    with request_finished.connected_to(listener, frozen.app):
        assert call(frozen.app, frozen.path, frozen.request()).status == "200 OK"
    assert heard == [200] and lane_of(frozen).served == served
    assert call(frozen.app, frozen.path, frozen.request()).status == "200 OK"
    assert heard == [200] and lane_of(frozen).served == served + 1


def test_only_hooks_marked_lane_safe_keep_the_lane_open(las: Las) -> None:
    """A request hook another module adds closes the lane (it would skip the hook) unless the
    hook's module marked it with ``lane_safe``, as koppeling.web does for its two."""
    from koppeling.harness.service import lane_safe

    def other() -> None:
        pass

    for marked in (False, True):
        app = create_app({"flavour": las.flavour}, core=las.core)
        app.before_request(lane_safe(other) if marked else other)
        lane = app.extensions["koppeling.soap_lane"]
        body = las.request()
        call(app, las.path, body)  # the first request always goes to Flask
        assert call(app, las.path, body).status == "200 OK"
        assert lane.served == (1 if marked else 0)


def test_the_lane_can_be_turned_off(las: Las) -> None:
    """``soap_lane: false`` (``--service-option parnassys.soap_lane=false``): Flask only."""
    app = create_app({"flavour": las.flavour, "soap_lane": False}, core=las.core)
    assert not isinstance(app.wsgi_app, SoapLane)
    with pytest.raises(ValueError, match="soap_lane"):
        create_app({"flavour": las.flavour, "soap_lane": "nee"}, core=las.core)


def test_the_harness_serves_both_las_through_their_lane(live: Harness, parnassys: Las) -> None:
    """In the harness every test uses (each app with its pages, home and Pact endpoints, on a
    werkzeug server thread), a Haal over HTTP is the lane's: those apps' hooks do not close it."""
    for flavour in sorted(FLAVOURS):
        base = live.url(flavour)
        made = requests.post(
            base + "/api/scholen",
            json={"brincode": "97LN", "schooljaar": "2024-2025", "seed": 3, "aantal_leerlingen": 5},
            timeout=10,
        )
        assert made.status_code in (201, 409), made.text
        key = requests.post(
            base + "/api/scholen/97LN/00/sleutels",
            json={"klantcode": "K1", "klantnaam": "Klant"},
            timeout=10,
        ).json()["autorisatiesleutel"]
        lane = live.apps[flavour].wsgi_app
        assert isinstance(lane, SoapLane)
        served = lane.served
        body = parnassys.request(brincode="97LN", autorisatie=parnassys.autorisatie(key, "K1"))
        answer = requests.post(
            base + FLAVOURS[flavour].path,
            data=body,
            headers={"Content-Type": SOAP_CONTENT_TYPE, "SOAPAction": action_for(body) or ""},
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        assert lane.served == served + 1


# --- on the wire -------------------------------------------------------------------------------


def http_request(las: Las, port: str, body: bytes) -> bytes:
    return wire_request(las.path, port, body, action_for(body))


def test_the_same_bytes_on_the_wire_from_the_werkzeug_server(frozen: Las) -> None:
    """The in-process server (tests, ``--server werkzeug``) sends the lane's answer byte for
    byte as it sends Flask's (its Date header aside)."""
    lane = lane_of(frozen)
    with ServerThread(frozen.app) as with_lane, ServerThread(lane.flask) as flask_only:
        served = lane.served
        answers = [
            raw_exchange(
                server.url, http_request(frozen, server.url.rsplit(":", 1)[1], frozen.request())
            )
            for server in (with_lane, flask_only)
        ]
    assert lane.served == served + 1
    assert answers[0].startswith(b"HTTP/1.1 200 OK\r\n")
    assert without_date(answers[0]) == without_date(answers[1])


@pytest.fixture
def harnesses(
    koppeling_up: Callable[..., AbstractContextManager[dict[str, str]]],
) -> Iterator[dict[tuple[str, bool], str]]:
    """ParnasSys under `koppeling up` with gunicorn and with granian, each with its lane and
    without: (server, lane) -> base URL."""
    no_lane = ("--service-option", "parnassys.soap_lane=false")
    with ExitStack() as stack:
        found = {}
        for server in ("gunicorn", "granian"):
            for lane in (True, False):
                args = (*ONE_WORKER, "--server", server, *(() if lane else no_lane))
                found[server, lane] = stack.enter_context(koppeling_up(*args))["ParnasSys (LAS)"]
        yield found


def haal_on_the_wire(base: str, parnassys: Las) -> bytes:
    """A HaalLeerlinggegevens over a socket of its own, of a school made the same way on any
    harness (the same school, key and clock); the answer as it came, its Date header aside."""
    requests.post(base + "/__admin/clock", json={"now": SCHOOL_TIME.isoformat()}, timeout=10)
    made = requests.post(
        base + "/api/scholen",
        json={"brincode": "99AB", "schooljaar": "2024-2025", "seed": 5, "aantal_leerlingen": 40},
        timeout=10,
    )
    assert made.status_code == 201, made.text
    # the same key on all: each LAS issues its own, so the request names each one's
    key = requests.post(
        base + "/api/scholen/99AB/00/sleutels",
        json={"klantcode": "K1", "klantnaam": "Klant"},
        timeout=10,
    ).json()["autorisatiesleutel"]
    port = base.rsplit(":", 1)[1]
    body = parnassys.request(brincode="99AB", autorisatie=parnassys.autorisatie(key, "K1"))
    return without_date(raw_exchange(base, http_request(parnassys, port, body)))


def test_the_same_bytes_on_the_wire_from_gunicorn_and_granian(
    harnesses: dict[tuple[str, bool], str], parnassys: Las
) -> None:
    """`koppeling up` answers a Haal byte for byte alike with the lane and without (the Date
    header aside), under gunicorn and under granian; and granian sends what gunicorn sends: the
    same status, header values and body (granian writes the names in lower case, in an order
    of its own, with a Server and a Date header of its own)."""
    answers = {key: haal_on_the_wire(base, parnassys) for key, base in harnesses.items()}
    assert answers["gunicorn", True].startswith(b"HTTP/1.1 200 OK\r\n")
    assert answers["gunicorn", True] == answers["gunicorn", False]
    assert answers["granian", True] == answers["granian", False]
    assert as_heard(answers["granian", True]) == as_heard(answers["gunicorn", True])
