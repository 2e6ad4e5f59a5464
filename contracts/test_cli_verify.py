"""``koppeling verify``: passes against a running mock, fails loudly against a broken one."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from click.testing import CliRunner

from koppeling.cli.verify import verify_command
from koppeling.harness.process import Harness

pytestmark = pytest.mark.contract


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(verify_command, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_verify_passes_against_the_running_mock(live: Harness) -> None:
    """``koppeling verify klantenservice --base-url <mock>`` passes, e-mails included."""
    code, output = _run(
        "boom-klantenservice",
        "--base-url",
        live.url("klantenservice"),
        "--mailbox-url",
        live.url("mailbox"),
    )
    assert code == 0, output
    assert "PASSED: 5 of 5 interactions verified" in output
    assert "the e-mail confirming the approved dashboard request" in output


def test_verify_schoolkr8_finds_the_harness_mailbox_by_itself(live: Harness) -> None:
    """``koppeling verify schoolkr8 --base-url <mock>`` (no --mailbox-url): the mock names its
    harness's mailbox, so SOAP, the key check and the key e-mail are all verified."""
    code, output = _run("schoolkr8", "--base-url", live.url("schoolkr8"))
    assert code == 0, output
    assert "PASSED: 7 of 7 interactions verified" in output
    assert "the e-mail with the autorisatiesleutel" in output


@pytest.fixture
def broken_klantenservice(break_field: Callable[[str, str, bytes, bytes], str]) -> str:
    """The real klantenservice mock, but a rejection's ``status`` says "geweigerd"."""
    return break_field(
        "klantenservice", "/api/aanvragen/", b'"status":"afgewezen"', b'"status":"geweigerd"'
    )


def test_verify_fails_against_a_broken_server(broken_klantenservice: str) -> None:
    """One changed field: exit code 1, the interaction and the field with expected vs got."""
    code, output = _run("klantenservice", "--base-url", broken_klantenservice)
    assert code == 1, output
    assert "FAILED  the status of an aanvraag that was afgewezen" in output
    assert "$.status" in output
    assert "'geweigerd'" in output and "'afgewezen'" in output
    assert "FAILED: 4 of 5 interactions verified" in output  # the e-mails: its mailbox is found


def test_verify_refuses_an_unknown_provider() -> None:
    """A typo in PROVIDER is a usage error naming the known providers."""
    code, output = _run("schoolkrate", "--base-url", "http://127.0.0.1:9")
    assert code == 2
    assert "schoolkr8" in output


def test_verify_refuses_a_base_url_without_scheme() -> None:
    """--base-url must be an http(s) URL."""
    code, output = _run("schoolkr8", "--base-url", "127.0.0.1:8403")
    assert code == 2
    assert "http(s)://" in output
