"""Schoolkr8's SOAP lane: a plain BrengLeerresultaten is answered without Flask, exactly as
Flask answers it, and its write happens once per request.

As in ``tests/las/test_soap_lane.py``, a comparison sends the same request twice, to the app
(the lane in front) and to the Flask app behind the lane (``lane.flask``), with the clock frozen
and the same correlation id, and compares status, headers, body and journal entry. Unlike the
LAS's Haal, the intake writes: the lane runs it once per request and answers its faults itself,
so a refused message must change nothing and an accepted one must be counted once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text

from koppeling.client.flows import schoolkr8_sleutel
from koppeling.client.mailbox import MailboxClient
from koppeling.client.school import SchoolRef
from koppeling.client.schoolkr8 import Schoolkr8Admin
from koppeling.harness.process import Harness
from koppeling.harness.server import ServerThread
from koppeling.harness.service import Core, SoapLane
from koppeling.harness.store import Database
from koppeling.uwlr.autorisatie import Autorisatie
from koppeling.uwlr.leerresultaten import build_verzoek, request_envelope
from koppeling.uwlr.soap import read_fault
from mocks.schoolkr8 import intake
from mocks.schoolkr8.app import LEERRESULTATEN_PATH, create_app
from tests.klantenservice.conftest import Outbox
from tests.schoolkr8.conftest import KEY_RE, make_verzoek
from tests.soap_lane import (
    CORRELATION,
    NOT_PLAIN,
    Answer,
    Unreadable,
    as_heard,
    call,
    compare,
    http_request,
    journal_of,
    lane_in_front,
    not_plain,
    raw_exchange,
    without_date,
    without_soap_header,
)

ACTION = '"BrengLeerresultaten"'
NOW = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
BRIN = "97LN"
NUMMER = "4866010819"
FAULT = "500 INTERNAL SERVER ERROR"
#: one worker: its first request (the clock below) opens the lane for every later one
ONE_WORKER = ("--memory", "--only", "schoolkr8", "--only", "mailbox", "--workers", "1")


@dataclass
class Sk8Lane:
    """Schoolkr8 on a private core, clock frozen, a school 97LN-00 with a live key and one
    pupil numbered ``NUMMER``; its lane open (the set-up's requests went through Flask)."""

    app: Flask
    client: FlaskClient
    core: Core
    key: str
    pupil: int

    @property
    def lane(self) -> SoapLane:
        return lane_in_front(self.app)

    def body(self, *afnames: tuple[str, str], key: str | None = None, **kwargs: Any) -> bytes:
        """A BrengLeerresultaten with one result per (leerlingid, key), under this key."""
        verzoek = make_verzoek(kwargs.pop("brin", BRIN), "00", *afnames, **kwargs)
        return request_envelope(
            build_verzoek(verzoek), Autorisatie(key or self.key, "boom-testcentrum", "Boom")
        )

    def post(self, body: bytes, **kwargs: Any) -> Answer:
        return call(self.app, LEERRESULTATEN_PATH, body, action=ACTION, **kwargs)

    def both(self, body: bytes, **kwargs: Any) -> tuple[Answer, Answer, int]:
        return compare(self.app, body, action=kwargs.pop("action", ACTION), **kwargs)

    def counts(self) -> dict[str, int]:
        """Every stored result of the school: its key -> aantal_ontvangen."""
        with self.core.db.read() as conn:
            rows = conn.execute(
                text("SELECT key, aantal_ontvangen FROM sk8_resultaten WHERE school = :s"),
                {"s": f"{BRIN}-00"},
            )
            return {row[0]: row[1] for row in rows}

    def stored(self) -> dict[str, list[str]]:
        """Every table of the store but the journal, row by row: what a refusal must not move."""
        with self.core.db.read() as conn:
            names = conn.execute(
                text("SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'journal'")
            )
            return {
                name: sorted(
                    repr(tuple(row)) for row in conn.execute(text(f'SELECT * FROM "{name}"'))
                )
                for (name,) in list(names)
            }


@pytest.fixture
def sk8() -> Iterator[Sk8Lane]:
    mails = Outbox()  # the key leaves only by mail
    core = Core.create(Database.memory(), journal_limit=200, mailer=mails)
    core.clock.set(NOW)
    app = create_app({}, core=core)
    client = app.test_client()
    made = client.post(
        "/api/koppelingen",
        json={"brincode": BRIN, "dependancecode": "00", "contact_email": "b@97ln.school.test"},
    )
    assert made.status_code == 201, made.json
    assert client.post(f"/api/koppelingen/{made.json['id']}/activeren").status_code == 200
    (key,) = KEY_RE.findall(mails.sent[-1].text)
    pupil = client.post(
        f"/api/scholen/{BRIN}/00/leerlingen",
        json={
            "voornaam": "Sanne",
            "achternaam": "Jansen",
            "geboortedatum": "2016-03-14",
            "groep": "Dolfijnen",
        },
    ).json["id"]
    numbered = client.put(
        f"/api/leerlingen/{pupil}/leerlingnummer", json={"leerlingnummer": NUMMER}
    )
    assert numbered.status_code == 200, numbered.json
    handle = Sk8Lane(app, client, core, key, pupil)
    assert handle.lane._open is True and handle.lane.writes
    yield handle
    errors = list(core.errors)
    core.journal.flush()
    core.db.dispose()
    if errors:
        raise errors[0]


@pytest.mark.parametrize("kind", ["matched", "parked", "several"])
def test_an_accepted_message_is_answered_by_the_lane_as_flask_answers_it(
    sk8: Sk8Lane, kind: str
) -> None:
    """Same status, headers in the same order, the same bytes, the same journal entry."""
    afnames = {
        "matched": [(NUMMER, "m1")],
        "parked": [("onbekend-1", "p1")],
        "several": [(NUMMER, "s1"), (NUMMER, "s2"), ("onbekend-2", "s3")],
    }[kind]
    through_app, flask_alone, by_lane = sk8.both(sk8.body(*afnames))
    assert by_lane == 1
    assert through_app == flask_alone
    assert through_app.status == "200 OK"
    assert dict(through_app.headers)["X-Correlation-ID"] == CORRELATION
    assert read_fault(through_app.body) is None
    assert journal_of(sk8.core, "schoolkr8")[0]["school"] == f"{BRIN}-00"


def test_an_accepted_message_through_the_lane_is_stored_once(sk8: Sk8Lane) -> None:
    """One request, one write: aantal_ontvangen 1; the same message again (a resend) makes it 2."""
    served = sk8.lane.served
    assert sk8.post(sk8.body((NUMMER, "once"))).status == "200 OK"
    assert sk8.lane.served == served + 1
    assert sk8.counts() == {"once": 1}
    assert sk8.post(sk8.body((NUMMER, "once"))).status == "200 OK"
    assert sk8.counts() == {"once": 2}
    results = sk8.client.get(f"/api/leerlingen/{sk8.pupil}/resultaten").json["resultaten"]
    assert [(r["key"], r["aantal_ontvangen"]) for r in results] == [("once", 2)]


@pytest.mark.parametrize(
    ("breaking", "code"),
    [
        ("wrong key", "Client.AutorisatieOngeldig"),
        ("another school", "Client.AutorisatieOngeldig"),
        ("unknown pupil, school refuses", "Client.LeerlingOngeldig"),
        ("xsdversie", "Client.XsdVersieOngeldig"),
        ("no autorisatie", "Client.AutorisatieOngeldig"),
        ("broken xml", "Client.OngeldigBericht"),
        ("wrong soapaction", "Client.OngeldigBericht"),
        ("one key twice", "Client.OngeldigBericht"),
    ],
)
def test_a_refused_message_changes_nothing_and_gets_flasks_fault(
    sk8: Sk8Lane, breaking: str, code: str
) -> None:
    """The lane answers the intake's fault itself (the intake ran once), with Flask's status,
    headers, body and journal entry; neither of the two requests stored anything: no result,
    no parked result, no count, nothing in any table but the journal."""
    body = sk8.body((NUMMER, "r1"), ("onbekend-3", "r2"))
    action = ACTION
    if breaking == "wrong key":
        body = sk8.body((NUMMER, "r1"), key=sk8.key[:-4] + "abcd")
    elif breaking == "another school":
        body = sk8.body((NUMMER, "r1"), brin="97LM")
    elif breaking == "unknown pupil, school refuses":
        put = sk8.client.put(
            f"/api/scholen/{BRIN}/00/instellingen", json={"niet_gekoppeld": "weigeren"}
        )
        assert put.status_code == 200, put.json
    elif breaking == "xsdversie":
        body = sk8.body((NUMMER, "r1"), xsdversie="2.3")
    elif breaking == "no autorisatie":
        body = without_soap_header(body)
    elif breaking == "broken xml":
        body = body[:-30]
    elif breaking == "wrong soapaction":
        action = '"HaalLeerlinggegevens"'
    else:
        body = sk8.body((NUMMER, "r1"), (NUMMER, "r1"))
    before = sk8.stored()
    through_app, flask_alone, by_lane = sk8.both(body, action=action)
    assert by_lane == 1
    assert through_app == flask_alone
    assert through_app.status == FAULT
    fault = read_fault(through_app.body)
    assert fault is not None and fault.code == code
    (entry,) = journal_of(sk8.core, "schoolkr8")[:1]
    assert entry["status"] == 500 and entry["summary"] == f"BrengLeerresultaten -> {code}"
    assert sk8.stored() == before
    assert sk8.counts() == {}


def test_an_error_after_the_write_is_answered_once_by_the_lane(
    sk8: Sk8Lane, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unexpected error after the COMMIT (here: the log line) is answered by the lane as
    Flask's error hook answers it, Server.InterneFout, and kept in core.errors; the message was
    stored once, not again by Flask."""

    def broken(ontvangst: intake.Ontvangst) -> None:
        raise RuntimeError("after the commit")

    monkeypatch.setattr(intake, "log_ontvangst", broken)
    body = sk8.body((NUMMER, "late"))
    sk8.core.journal.clear("schoolkr8")
    served = sk8.lane.served
    through_app = sk8.post(body)
    assert sk8.lane.served == served + 1
    assert sk8.counts() == {"late": 1}
    entries = journal_of(sk8.core, "schoolkr8")
    flask_alone = call(sk8.lane.flask, LEERRESULTATEN_PATH, body, action=ACTION)
    assert sk8.counts() == {"late": 2}  # one more request, one more write
    assert through_app == flask_alone
    assert journal_of(sk8.core, "schoolkr8") == entries + entries
    fault = read_fault(through_app.body)
    assert through_app.status == FAULT and fault is not None and fault.code == "Server.InterneFout"
    assert [str(e) for e in sk8.core.errors] == ["after the commit"] * 2
    sk8.core.errors.clear()


@pytest.mark.parametrize("fault", ["soap_fault", "http_503", "delay"])
def test_a_scripted_fault_is_taken_by_the_very_next_request(sk8: Sk8Lane, fault: str) -> None:
    """A fault scripted for Schoolkr8 sends its requests to Flask, which takes it (nothing is
    stored for an injected fault); once it is used up, the next request is the lane's again."""
    sk8.core.faults.add(
        "schoolkr8",
        {
            "path": LEERRESULTATEN_PATH,
            "method": "POST",
            "fault": fault,
            "delay_ms": 1,
            "code": None,
            "remaining": 1,
        },
    )
    served = sk8.lane.served
    answer = sk8.post(sk8.body((NUMMER, "f1")))
    assert sk8.lane.served == served
    if fault == "delay":
        assert answer.status == "200 OK"
        assert sk8.counts() == {"f1": 1}
    else:
        assert answer.status.startswith("503" if fault == "http_503" else "500")
        assert read_fault(answer.body) is not None
        assert sk8.counts() == {}
    assert journal_of(sk8.core, "schoolkr8")[-1]["summary"].endswith(f"[fault: {fault}]")
    assert sk8.post(sk8.body((NUMMER, "f2"))).status == "200 OK"
    assert sk8.lane.served == served + 1
    assert sk8.counts()["f2"] == 1


@pytest.mark.parametrize("kind", NOT_PLAIN)
def test_a_request_that_is_not_plain_goes_to_flask(sk8: Sk8Lane, kind: str) -> None:
    """Whatever is not a plain POST of a SOAP body the lane leaves to Flask, unseen."""
    body, kwargs = not_plain(kind, sk8.body((NUMMER, "n1")))
    through_app, flask_alone, by_lane = sk8.both(body, **kwargs)
    assert by_lane == 0
    assert through_app == flask_alone
    if kind == "foreign host":
        assert through_app.status.startswith("421")
        assert sk8.counts() == {}


def test_a_body_that_cannot_be_read_fails_as_in_flask(sk8: Sk8Lane) -> None:
    """A read error comes before the intake: the lane hands it to Flask, which meets it again."""
    through_app, flask_alone, by_lane = sk8.both(sk8.body((NUMMER, "b1")), stream=Unreadable())
    assert by_lane == 0
    assert through_app == flask_alone
    assert read_fault(through_app.body) is not None
    assert sk8.counts() == {}
    sk8.core.errors.clear()


@pytest.mark.parametrize("accepted", [True, False])
def test_the_key_never_shows_in_full_in_the_journal(sk8: Sk8Lane, accepted: bool) -> None:
    """The lane's entries, an answer and a fault alike, are masked by the journal as Flask's."""
    sk8.core.journal.clear("schoolkr8")
    key = sk8.key if accepted else sk8.key[:-4] + "wxyz"
    answer = sk8.post(sk8.body((NUMMER, "k1"), key=key))
    assert answer.status == ("200 OK" if accepted else FAULT)
    (entry,) = journal_of(sk8.core, "schoolkr8")
    assert key not in str(entry)
    assert key[:8] in entry["request"]


def test_the_lane_can_be_turned_off(sk8: Sk8Lane) -> None:
    """``soap_lane: false`` (``--service-option schoolkr8.soap_lane=false``): Flask only."""
    app = create_app({"soap_lane": False}, core=sk8.core)
    assert not isinstance(app.wsgi_app, SoapLane)
    with pytest.raises(ValueError, match="soap_lane"):
        create_app({"soap_lane": "nee"}, core=sk8.core)


def key_by_mail(base: str, mailbox: str, brin: str) -> str:
    """A koppeling for ``brin``-00 at the Schoolkr8 at ``base``, activated; the key in its mail."""
    school = SchoolRef(brin, "00")
    mail_to = f"b@{brin.lower()}.school.test"
    return schoolkr8_sleutel(Schoolkr8Admin(base), MailboxClient(mailbox), school, mail_to).sleutel


def test_the_harness_serves_schoolkr8_through_its_lane(live: Harness) -> None:
    """In the harness every test uses (the app with its pages and Pact endpoints, on a werkzeug
    server thread), a Breng over HTTP is the lane's: those apps' hooks do not close it."""
    base = live.url("schoolkr8")
    key = key_by_mail(base, live.url("mailbox"), "97LP")
    lane = lane_in_front(live.apps["schoolkr8"])
    served = lane.served
    body = request_envelope(
        build_verzoek(make_verzoek("97LP", "00", ("onbekend", "h1"))),
        Autorisatie(key, "boom-testcentrum", "Boom"),
    )
    answer = requests.post(
        base + LEERRESULTATEN_PATH,
        data=body,
        headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": ACTION},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    assert lane.served == served + 1


# --- on the wire -------------------------------------------------------------------------------


def test_the_same_bytes_on_the_wire_from_the_werkzeug_server(sk8: Sk8Lane) -> None:
    """The in-process server sends the lane's confirmation and fault byte for byte as it sends
    Flask's (the Date header aside)."""
    with ServerThread(sk8.app) as with_lane, ServerThread(sk8.lane.flask) as flask_only:
        served = sk8.lane.served
        for key in (sk8.key, sk8.key[:-4] + "abcd"):
            answers = [
                raw_exchange(
                    server.url,
                    http_request(
                        LEERRESULTATEN_PATH,
                        server.url.rsplit(":", 1)[1],
                        sk8.body((NUMMER, "w1"), key=key),
                        ACTION,
                    ),
                )
                for server in (with_lane, flask_only)
            ]
            first_line = b"HTTP/1.1 200 OK\r\n" if key == sk8.key else b"HTTP/1.1 500 INTERNAL"
            assert answers[0].startswith(first_line)
            assert without_date(answers[0]) == without_date(answers[1])
    assert sk8.lane.served == served + 2
    assert sk8.counts() == {"w1": 2}


@pytest.fixture
def harnesses(
    koppeling_up: Callable[..., AbstractContextManager[dict[str, str]]],
) -> Iterator[dict[tuple[str, bool], dict[str, str]]]:
    """Schoolkr8 and the mailbox under `koppeling up` with gunicorn and with granian, each with
    the lane and without: (server, lane) -> their URLs."""
    no_lane = ("--service-option", "schoolkr8.soap_lane=false")
    with ExitStack() as stack:
        found = {}
        for server in ("gunicorn", "granian"):
            for lane in (True, False):
                args = (*ONE_WORKER, "--server", server, *(() if lane else no_lane))
                found[server, lane] = stack.enter_context(koppeling_up(*args))
        yield found


def breng_on_the_wire(urls: dict[str, str]) -> list[bytes]:
    """An accepted and a refused BrengLeerresultaten over sockets of their own, with a key
    issued the same way on any harness; the answers as they came, their Date headers aside.
    The accepted one is stored once."""
    base = urls["Schoolkr8"]
    requests.post(base + "/__admin/clock", json={"now": NOW.isoformat()}, timeout=10)
    key = key_by_mail(base, urls["Mailbox (SMTP sink)"], BRIN)
    port = base.rsplit(":", 1)[1]
    sent = []
    for used in (key, key[:-4] + "abcd"):
        body = request_envelope(
            build_verzoek(make_verzoek(BRIN, "00", ("onbekend", "g1"))),
            Autorisatie(used, "boom-testcentrum", "Boom"),
        )
        wire = http_request(LEERRESULTATEN_PATH, port, body, ACTION)
        sent.append(without_date(raw_exchange(base, wire)))
    parked = requests.get(base + f"/api/scholen/{BRIN}/00/niet-gekoppeld", timeout=10).json()
    assert [r["aantal_ontvangen"] for r in parked["resultaten"]] == [1]
    return sent


def test_the_same_bytes_on_the_wire_from_gunicorn_and_granian(
    harnesses: dict[tuple[str, bool], dict[str, str]],
) -> None:
    """`koppeling up` answers an accepted and a refused BrengLeerresultaten byte for byte alike
    with the lane and without (the Date header aside), under gunicorn and under granian; and
    granian sends what gunicorn sends: the same statuses, header values and bodies (granian
    writes the names in lower case, in an order of its own, with a Server and a Date header of
    its own, and hyper's reason phrase: "500 Internal Server Error")."""
    answers = {key: breng_on_the_wire(urls) for key, urls in harnesses.items()}
    accepted, refused = answers["gunicorn", True]
    assert accepted.startswith(b"HTTP/1.1 200 OK\r\n")
    assert refused.startswith(b"HTTP/1.1 500 INTERNAL SERVER ERROR\r\n")
    assert answers["gunicorn", True] == answers["gunicorn", False]
    assert answers["granian", True] == answers["granian", False]
    heard = {key: [as_heard(answer) for answer in sent] for key, sent in answers.items()}
    assert heard["granian", True] == heard["gunicorn", True]
