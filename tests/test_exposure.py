"""What a hostile web page or a curious reader can reach: foreign Host headers (DNS rebinding),
cross-origin form posts, keys in URLs and encoded bodies, the server's own 414 — over real HTTP
on the session harness."""

from __future__ import annotations

import json
import socket
from urllib.parse import quote

import pytest
import requests

from koppeling.harness.keys import new_key
from koppeling.harness.process import Harness
from koppeling.harness.services import SERVICES

NAMES = [s.name for s in SERVICES]
EVIL = "http://evil.example"
SCHOOL = {"brincode": "99XE", "dependancecode": "00"}


def _port(live: Harness, name: str) -> str:
    return live.url(name).rsplit(":", 1)[1]


@pytest.mark.parametrize("name", NAMES)
def test_foreign_host_is_refused_on_every_service(live: Harness, name: str) -> None:
    base = live.url(name)
    evil = {"Host": f"evil.example:{_port(live, name)}"}
    for path in ("/__admin/health", "/api/bestaat-niet", "/"):
        resp = requests.get(base + path, headers=evil, timeout=5)
        assert resp.status_code == 421, path
        assert resp.headers["Content-Type"] == "application/problem+json"
        assert resp.json()["field"] == "Host"
    soap_paths = live.apps[name].config["SOAP_PATHS"]
    for prefix in soap_paths:
        resp = requests.post(base + prefix, data=b"<x/>", headers=evil, timeout=5)
        assert resp.status_code == 421
        assert resp.headers["Content-Type"].startswith("text/xml")
        assert "Client.OngeldigBericht" in resp.text
    assert requests.get(base + "/__admin/health", timeout=5).status_code == 200
    assert live.core is not None and live.core.journal.entries(service=name) == []


def test_foreign_host_changes_nothing(live: Harness) -> None:
    assert live.core is not None
    live.core.clock.reset("99XE", "00")
    base = live.url("mailbox")
    evil = {"Host": "evil.example"}
    moved = requests.post(
        f"{base}/__admin/clock",
        json={"now": "2040-01-01T00:00:00Z", **SCHOOL},
        headers=evil,
        timeout=5,
    )
    assert moved.status_code == 421
    assert live.core.clock.state("99XE", "00").own is False
    added = requests.post(
        f"{base}/__admin/faults", json={"path": "/x", "fault": "http_503"}, headers=evil, timeout=5
    )
    assert added.status_code == 421
    assert live.core.faults.list("mailbox") == []
    assert requests.get(f"{base}/api/v1/messages", headers=evil, timeout=5).status_code == 421


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "[::1]", "LOCALHOST."])
def test_loopback_names_with_any_port_are_served(live: Harness, host: str) -> None:
    for port in ("", ":" + _port(live, "mailbox"), ":1"):
        resp = requests.get(
            f"{live.url('mailbox')}/api/v1/messages", headers={"Host": host + port}, timeout=5
        )
        assert resp.status_code == 200, host + port


def test_keys_in_urls_are_masked_in_the_journal(live: Harness) -> None:
    assert live.core is not None
    key = new_key("sk8")
    base = live.url("mailbox")
    assert requests.get(f"{base}/api/v1/search", params={"query": key}, timeout=5).ok
    assert requests.get(f"{base}/api/v1/search?query=%73k8_{key[4:]}", timeout=5).ok
    assert requests.get(f"{base}/", params={"aan": key}, timeout=5).ok
    entries = [e.as_json() for e in live.core.journal.entries(service="mailbox")]
    assert len(entries) >= 4  # the page also calls the API
    assert key[8:] not in json.dumps(entries, ensure_ascii=False)
    assert any(e["path"] == f"/api/v1/search?query={key[:8]}…" for e in entries)


def _klok(live: Harness, **headers: str) -> requests.Response:
    form = {"actie": "vooruit", "aantal": "3", "eenheid": "dagen", **SCHOOL}
    return requests.post(
        f"{live.url('testcentrum')}/__admin/klok",
        data=form,
        headers=headers,
        allow_redirects=False,
        timeout=5,
    )


def test_cross_origin_form_post_to_the_clock_is_refused(live: Harness) -> None:
    assert live.core is not None
    clock = live.core.clock
    clock.reset("99XE", "00")
    try:
        for headers in ({"Origin": EVIL}, {"Referer": EVIL + "/pagina"}, {"Origin": "null"}):
            refused = _klok(live, **headers)
            assert refused.status_code == 403
            assert refused.headers["Content-Type"].startswith("text/html")
            assert "andere website" in refused.text
        assert clock.state("99XE", "00").own is False  # the school's clock was never moved
        own = live.url("testcentrum")
        assert _klok(live, Origin=own).status_code == 303
        assert clock.state("99XE", "00").own is True
        assert _klok(live, Referer=own + "/__admin/").status_code == 303
        assert _klok(live).status_code == 303  # neither header: not a browser's cross-site post
    finally:
        clock.reset("99XE", "00")


def test_cross_origin_form_post_to_an_api_is_a_problem(live: Harness) -> None:
    resp = requests.post(
        f"{live.url('schoolkr8')}/api/koppelingen",
        data="brincode=99XE",
        headers={"Origin": EVIL, "Content-Type": "text/plain"},
        timeout=5,
    )
    assert resp.status_code == 403
    assert resp.headers["Content-Type"] == "application/problem+json"
    assert resp.json()["field"] == "Origin"


def test_request_line_too_long_is_problem_json_on_werkzeug(live: Harness) -> None:
    host, port = live.url("mailbox").removeprefix("http://").rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        path = "/" + quote("a" * 70_000)
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        answer = _read_all(sock)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 414")
    assert b"\r\nContent-Type: application/problem+json" in head
    assert json.loads(body)["status"] == 414


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)
