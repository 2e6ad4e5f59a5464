"""What every service gets from create_service_app: /__admin, journal, faults, error dialects."""

from __future__ import annotations

import socket

import pytest
import requests
from flask import Flask, Response

from koppeling.harness.server import ServerThread
from koppeling.harness.service import Core
from koppeling.uwlr.soap import read_fault


def test_health_names_the_service(app: Flask) -> None:
    resp = app.test_client().get("/__admin/health")
    assert resp.status_code == 200
    assert resp.json == {"status": "ok", "service": "probe"}


def test_unknown_url_in_each_dialect(app: Flask) -> None:
    client = app.test_client()
    rest = client.get("/api/nothing")
    assert rest.status_code == 404
    assert rest.content_type == "application/problem+json"
    soap = client.post("/uwlr/nothing", data=b"<x/>")
    assert soap.status_code == 500
    fault = read_fault(soap.data)
    assert fault is not None and fault.code == "Client.OngeldigBericht"


def test_problem_details_name_the_field(app: Flask) -> None:
    resp = app.test_client().post("/api/echo", json={"leeftijd": 9})
    assert resp.status_code == 422
    assert resp.json["field"] == "naam"
    bad = app.test_client().post("/api/echo", data="{", content_type="application/json")
    assert bad.status_code == 400 and bad.json["field"] == "body"


def test_unexpected_error_is_clean_and_recorded(app: Flask, core: Core) -> None:
    resp = app.test_client().get("/boom")
    assert resp.status_code == 500
    assert "Traceback" not in resp.get_data(as_text=True)
    assert resp.json["title"] == "Interne fout"
    assert isinstance(core.errors[0], RuntimeError)
    core.errors.clear()


def test_journal_records_requests_with_school_and_masks_keys(app: Flask) -> None:
    client = app.test_client()
    client.post(
        "/api/echo",
        json={"naam": "x", "autorisatiesleutel": "sk8_" + "A" * 32},
        headers={"X-Correlation-ID": "corr-1"},
    )
    entries = client.get("/__admin/requests").json["requests"]
    assert len(entries) == 1
    entry = entries[0]
    assert entry["school"] == "99AB-00"
    assert entry["correlation_id"] == "corr-1"
    assert "A" * 32 not in str(entry)
    assert "sk8_AAAA…" in entry["request"]


def test_journal_is_bounded(app: Flask, core: Core) -> None:
    client = app.test_client()
    for _ in range(300):
        client.post("/api/echo", json={"naam": "x"})
    assert core.journal.count("probe") <= core.journal.limit + 64
    newest = client.get("/__admin/requests?limit=1").json["requests"]
    assert newest[0]["id"] == 300


def test_faults_counted_then_ok(app: Flask) -> None:
    client = app.test_client()
    added = client.post(
        "/__admin/faults",
        json={
            "path": "/uwlr/*",
            "fault": "soap_fault",
            "times": 1,
            "code": "Server.TijdelijkNietBeschikbaar",
        },
    )
    assert added.status_code == 201
    first = client.post("/uwlr/x", data=b"")
    assert read_fault(first.data).code == "Server.TijdelijkNietBeschikbaar"  # type: ignore[union-attr]
    second = client.post("/uwlr/x", data=b"")
    assert read_fault(second.data).code == "Client.AutorisatieOngeldig"  # type: ignore[union-attr]


def test_faults_in_order_and_by_method(app: Flask) -> None:
    client = app.test_client()
    client.post(
        "/__admin/faults",
        json={"path": "/api/echo", "method": "post", "fault": "http_503", "times": 2},
    )
    client.post(
        "/__admin/faults", json={"path": "/api/echo", "fault": "delay", "delay_ms": 1, "times": 1}
    )
    statuses = [client.post("/api/echo", json={"naam": "x"}).status_code for _ in range(4)]
    assert statuses == [503, 503, 200, 200]
    assert client.get("/__admin/faults").json["faults"] == []


@pytest.mark.parametrize(
    "body,field",
    [
        ({"path": "geen-slash", "fault": "http_503"}, "path"),
        ({"path": "/x", "fault": "brand"}, "fault"),
        ({"path": "/x", "fault": "delay", "delay_ms": -1}, "delay_ms"),
        ({"path": "/x", "fault": "http_503", "times": 0}, "times"),
        ({"fault": "http_503"}, "path"),
    ],
)
def test_bad_fault_requests_name_the_field(app: Flask, body: dict[str, object], field: str) -> None:
    resp = app.test_client().post("/__admin/faults", json=body)
    assert resp.status_code == 422
    assert resp.json["field"] == field


def test_reset_clears_journal_and_faults(app: Flask) -> None:
    client = app.test_client()
    client.post("/api/echo", json={"naam": "x"})
    client.post("/__admin/faults", json={"path": "/x", "fault": "http_503"})
    assert client.post("/__admin/reset").status_code == 200
    assert client.get("/__admin/requests").json["requests"] == []
    assert client.get("/__admin/faults").json["faults"] == []


def test_clock_over_http(app: Flask) -> None:
    client = app.test_client()
    resp = client.post("/__admin/clock", json={"now": "2026-10-25T00:30:00Z"})
    assert resp.json["now"] == "2026-10-25T00:30:00+00:00"
    assert resp.json["now_local"] == "2026-10-25T02:30:00+02:00"
    later = client.post("/__admin/clock", json={"advance_seconds": 3600}).json
    assert later["now_local"] == "2026-10-25T02:30:00+01:00"  # DST ends: 02:30 twice
    school = client.post(
        "/__admin/clock",
        json={"now": "2027-01-01T00:00:00Z", "brincode": "99AB", "dependancecode": "01"},
    )
    assert school.json["scope"] == "99AB-01"
    assert client.get("/__admin/clock").json["now"] == "2026-10-25T01:30:00+00:00"
    got = client.get("/__admin/clock?brincode=99AB&dependancecode=01").json
    assert got["now"] == "2027-01-01T00:00:00+00:00"
    bad = client.post("/__admin/clock", json={"now": "2026-01-01"})
    assert bad.status_code == 422 and bad.json["field"] == "now"
    bad_brin = client.post("/__admin/clock", json={"advance_seconds": 1, "brincode": "ab12"})
    assert bad_brin.status_code == 422 and bad_brin.json["field"] == "brincode"


def test_connection_reset_over_real_socket(server: ServerThread) -> None:
    requests.post(
        f"{server.url}/__admin/faults",
        json={"path": "/api/echo", "fault": "connection_reset", "times": 1},
        timeout=5,
    )
    with pytest.raises(requests.ConnectionError):
        requests.post(f"{server.url}/api/echo", json={"naam": "x"}, timeout=5)
    ok = requests.post(f"{server.url}/api/echo", json={"naam": "x"}, timeout=5)
    assert ok.status_code == 200


def test_server_thread_binds_free_port_and_stops(app: Flask) -> None:
    server = ServerThread(app).start()
    port = server.port
    assert requests.get(f"{server.url}/__admin/health", timeout=5).status_code == 200
    server.stop()
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT may remain
        sock.bind(("127.0.0.1", port))  # nobody listens there any more


def test_school_scoped_fault_is_taken_only_by_that_school(app: Flask) -> None:
    client = app.test_client()
    added = client.post(
        "/__admin/faults",
        json={"path": "/uwlr/*", "fault": "soap_fault", "brincode": "99CD", "dependancecode": "01"},
    )
    assert added.json["school"] == "99CD-01"
    other = b"<l:brincode>99AB</l:brincode><l:dependancecode>01</l:dependancecode>"
    mine = b"<l:brincode>99CD</l:brincode><l:dependancecode>01</l:dependancecode>"
    not_mine = read_fault(client.post("/uwlr/x", data=other).data)
    assert not_mine is not None and not_mine.code == "Client.AutorisatieOngeldig"  # the view's own
    injected = read_fault(client.post("/uwlr/x", data=mine).data)
    assert injected is not None and injected.code == "Server.TijdelijkNietBeschikbaar"


def test_school_of_request_reads_path_then_body() -> None:
    from koppeling.harness.faults import school_of_request

    assert school_of_request("/api/scholen/99AB/03/leerlingen", b"") == "99AB-03"
    assert school_of_request("/api/koppelingen", b'{"brincode": "99XY"}') == "99XY-00"
    xml = b"<school><brincode>98QQ</brincode><dependancecode>07</dependancecode></school>"
    assert school_of_request("/uwlr/leerresultaten", xml) == "98QQ-07"
    assert school_of_request("/uwlr/leerresultaten", b"<x/>") is None


def test_journal_masks_keys_however_they_are_encoded(app: Flask, core: Core) -> None:
    """A key in the path or query, in JSON unicode escapes, in XML character references or in
    a form body is masked in every field of the entry."""
    client = app.test_client()
    rest = "Zq" * 16
    client.get(f"/api/zoek?query=sk8_{rest}")
    client.get(f"/api/zoek/%73k8_{rest}?aan=%73k8_{rest}")
    json_text = '{"naam": "x", "autorisatie\\u0073leutel": "\\u0073k8_' + rest + '"}'
    client.post("/api/echo", data=json_text, content_type="application/json")
    xml = f"<a:autorisatiesleutel>&#115;k8_{rest}</a:autorisatiesleutel><b>&#x73;k8_{rest}</b>"
    client.post("/uwlr/x", data=xml, content_type="text/xml")
    client.post("/api/echo", data={"naam": "x", "tekst": f"sk8_{rest}", "sleutel": "geheimpje"})
    entries = [e.as_json() for e in core.journal.entries()]
    assert len(entries) == 5
    stored = str(entries)
    assert rest[4:] not in stored and "heimpje" not in stored
    assert entries[1]["path"] == "/api/zoek/sk8_ZqZq…?aan=sk8_ZqZq…"
    assert "sk8_ZqZq…" in entries[1]["summary"]


def test_correlation_ids_leave_the_global_random_alone_and_differ_across_forks() -> None:
    """Ids come from a private generator: drawing one does not move the module-level ``random``
    (Hypothesis and seeded tests watch it), and a forked worker does not repeat its parent's."""
    import os
    import random

    from koppeling.harness.service import new_correlation_id

    state = random.getstate()
    first = new_correlation_id()
    assert random.getstate() == state
    assert len(first) == 32 and first[12] == "4"
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: one id to the parent, then out without any clean-up
        os.write(write, new_correlation_id().encode())
        os._exit(0)
    os.close(write)
    child = os.read(read, 64).decode()
    os.close(read)
    os.waitpid(pid, 0)
    assert child != new_correlation_id()
    assert len(child) == 32


def test_a_correlation_id_is_a_version_4_uuid_as_the_uuid_module_makes_it() -> None:
    """The bits are set without building a ``uuid.UUID``: the same hex as ``uuid.UUID`` gives
    for the same 128 random bits."""
    import random
    import uuid

    from koppeling.harness import service

    draws = random.Random(13)
    saved = service._IDS.getstate()
    try:
        for _ in range(2000):
            bits = draws.getrandbits(128)
            service._IDS.setstate(random.Random(bits).getstate())
            expected = uuid.UUID(int=random.Random(bits).getrandbits(128), version=4)
            got = service.new_correlation_id()
            assert got == expected.hex
            assert uuid.UUID(hex=got).version == 4 and uuid.UUID(hex=got).variant == uuid.RFC_4122
    finally:
        service._IDS.setstate(saved)


def test_the_journal_keeps_the_body_and_query_however_they_came(server: ServerThread) -> None:
    """A chunked body (no Content-Length) is journalled as sent; a request without a body has
    none; the query string is part of the path, an empty one is not."""
    body = b'{"naam": "in stukken"}'
    with socket.create_connection((server.host, server.port), timeout=5) as sock:
        sock.sendall(
            b"POST /api/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
            + b"%x\r\n%s\r\n0\r\n\r\n"
            % (len(body), body)
        )
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")
    requests.get(f"{server.url}/api/nothing?x=1&y=%C3%A9", timeout=5)
    requests.get(f"{server.url}/api/nothing?", timeout=5)
    journal = requests.get(f"{server.url}/__admin/requests", timeout=5).json()["requests"]
    chunked, query, empty = journal
    assert chunked["request"] == body.decode()
    assert (query["path"], query["request"]) == ("/api/nothing?x=1&y=%C3%A9", None)
    assert (empty["path"], empty["request"]) == ("/api/nothing", None)


def test_an_answer_kept_by_its_service_is_journalled_every_time(app: Flask) -> None:
    """The after-hook decodes an answer once per bytes object: the same kept bytes, then
    other bytes, then the kept ones again, each entry with its own answer."""
    kept = b'{"kept": true}'
    answers = iter([kept, kept, b'{"kept": false}', kept])

    @app.get("/api/kept")
    def answer_kept() -> Response:
        """The same bytes object, as a service's cached answer."""
        return Response(next(answers), mimetype="application/json")

    client = app.test_client()
    for _ in range(4):
        client.get("/api/kept")
    journal = client.get("/__admin/requests").json["requests"]
    assert [e["response"] for e in journal] == [
        '{"kept": true}',
        '{"kept": true}',
        '{"kept": false}',
        '{"kept": true}',
    ]
