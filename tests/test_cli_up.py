"""`koppeling up` as a user runs it: a real process, real ports, SIGTERM, and a restart."""

from __future__ import annotations

import queue
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from koppeling.cli.main import main
from koppeling.harness.services import SERVICES

KOPPELING = str(Path(sys.executable).parent / "koppeling")
URL_LINE = re.compile(r"^  (.+?)\s{2,}(http://127\.0\.0\.1:\d+)$")


@contextmanager
def koppeling_up(*args: str) -> Iterator[dict[str, str]]:
    """Run `koppeling up ARGS` until it has announced its services; yield title -> URL."""
    proc = subprocess.Popen(
        [KOPPELING, "up", "--port-base", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(
        target=lambda: [lines.put(x) for x in proc.stdout] + [lines.put(None)],  # type: ignore[union-attr,func-returns-value]
        daemon=True,
    ).start()
    urls: dict[str, str] = {}
    try:
        while True:
            line = lines.get(timeout=60)
            if line is None:
                raise AssertionError(f"koppeling up exited: {proc.wait()} {proc.stderr.read()}")  # type: ignore[union-attr]
            if line.startswith("  store:"):
                break
            match = URL_LINE.match(line.rstrip("\n"))
            if match:
                urls[match.group(1)] = match.group(2)
        yield urls
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
        proc.stdout.close()  # type: ignore[union-attr]
        proc.stderr.close()  # type: ignore[union-attr]
    assert code == 0


@pytest.mark.slow
@pytest.mark.parametrize("server", ["gunicorn", "werkzeug"])
def test_every_service_healthy_and_state_survives_restart(tmp_path: Path, server: str) -> None:
    state = str(tmp_path / "state")
    with koppeling_up("--state-dir", state, "--server", server) as urls:
        assert len(urls) == len(SERVICES)
        for url in urls.values():
            health = requests.get(f"{url}/__admin/health", timeout=5)
            assert health.status_code == 200 and health.json()["status"] == "ok"
        first, first_url = next(iter(urls.items()))
        requests.post(f"{first_url}/__admin/clock", json={"now": "2031-02-03T04:05:06Z"}, timeout=5)
        requests.get(f"{first_url}/api/bestaat-niet", timeout=5)
    with koppeling_up("--state-dir", state, "--server", server) as urls:
        last = list(urls.values())[-1]  # another service: the clock is one for the harness
        clock = requests.get(f"{last}/__admin/clock", timeout=5).json()
        assert clock["now"] == "2031-02-03T04:05:06+00:00"
        journal = requests.get(f"{urls[first]}/__admin/requests", timeout=5).json()["requests"]
        assert any(e["path"] == "/api/bestaat-niet" for e in journal)


def test_bad_url_option_is_a_clear_error() -> None:
    result = CliRunner().invoke(main, ["up", "--url", "schoolkr8:nee"])
    assert result.exit_code == 2
    assert "SERVICE=http(s)" in result.output


def test_port_in_use_is_a_clear_error() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        base = busy.getsockname()[1]
        result = subprocess.run(
            [KOPPELING, "up", "--port-base", str(base), "--memory"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode != 0
    assert "in use" in result.stderr
    assert "Traceback" not in result.stderr
