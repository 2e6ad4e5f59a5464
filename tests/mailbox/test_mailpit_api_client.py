"""The mailbox driven by a client nobody here wrote: the npm package ``mailpit-api``, Mailpit's
TypeScript client. Every call it makes to an endpoint the mailbox serves must succeed and answer
what Mailpit would. The package is installed into the git-ignored ``.tools/`` on first use (npm
needed); without npm the test fails saying so."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from koppeling.client.mailbox import MailboxClient
from koppeling.npmtools import ToolMissing, ensure
from mocks.mailbox.smtp import SmtpSink
from tests.mailbox.test_mailpit import ATTACHMENT, RAW, RCPTS, deliver

SPEC = "mailpit-api@2.1.0"
SCRIPT = Path(__file__).with_name("mailpit_api_check.cjs")


def installed_client() -> Path:
    """The folder holding ``mailpit-api`` at the pinned version (installed with npm if not)."""
    if shutil.which("node") is None:
        pytest.fail(f"this test drives the mailbox with the npm client {SPEC}: it needs Node.js")
    try:
        return ensure(SPEC)
    except ToolMissing as exc:
        pytest.fail(f"this test drives the mailbox with the npm client {SPEC}: {exc}")


def drive(folder: Path, base_url: str) -> dict[str, Any]:
    """Run the client's calls (``mailpit_api_check.cjs``) against ``base_url``."""
    node = shutil.which("node")
    assert node, "node is needed to run the npm client"
    done = subprocess.run(
        [node, str(SCRIPT), str(folder), base_url], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    results: dict[str, Any] = json.loads(done.stdout)
    return results


def test_mailpit_api_npm_client(sink: SmtpSink, mailbox: MailboxClient) -> None:
    """``mailpit-api``'s calls for the endpoints we serve all succeed, with Mailpit's answers."""
    folder = installed_client()
    deliver(sink, RAW, "bounce@schoolkr8.test", RCPTS)
    deliver(
        sink,
        b"From: k@boom.test\r\nTo: anders@school.test\r\nSubject: Bevestiging\r\n\r\nJa\r\n",
        "k@boom.test",
        ["anders@school.test"],
    )
    results = drive(folder, mailbox.base_url)
    failed = {name: r["error"] for name, r in results.items() if not r["ok"]}
    assert failed == {}
    value = {name: r["value"] for name, r in results.items()}
    assert value["getInfo"]["Messages"] == 2
    assert value["listMessages"]["messages_count"] == 2
    assert [m["Subject"] for m in value["searchMessages"]["messages"]] == [
        "Uw autorisatiesleutel voor Schoolkr8"
    ]
    assert value["waitForMessage"]["ReturnPath"] == "bounce@schoolkr8.test"
    assert value["waitForMessages"]["messages_count"] == 1
    assert value["getMessageSummary"]["Subject"] == "Bevestiging"  # latest
    assert value["getMessageHeaders"]["Subject"] == ["Bevestiging"]
    assert value["getMessageSource"].endswith("Ja\r\n")
    assert value["getMessageAttachment"] == {"size": len(ATTACHMENT), "type": "application/pdf"}
    assert [m["Subject"] for m in value["searchUnread"]["messages"]] == ["Bevestiging"]
    assert value["setReadStatus"] == value["deleteMessages"] == "ok"
    assert value["listEmpty"]["total"] == 0
