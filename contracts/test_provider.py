"""Provider side: every mock verified against the committed pact files, one verifier run each.

Ordering is explicit, not by file name: verification reads the *committed* files in
``contracts/pacts/``, and ``test_committed_pacts_are_current`` (test_consumer.py) proves those are
exactly what the consumer cases write today. States are reached through the mocks' own setup API
(:mod:`contracts.states`); a failing state handler is reported at once with its error.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask

from contracts.pactkit import HARNESS_SERVICE, PROVIDERS, Report
from contracts.states import SetupError, StateServer
from contracts.verify import Target, verify_provider
from koppeling.harness.process import Harness
from koppeling.harness.server import ServerThread

pytestmark = pytest.mark.contract


def _target(harness: Harness, provider: str) -> Target:
    return Target(
        provider, harness.url(HARNESS_SERVICE[provider]), mailbox_url=harness.url("mailbox")
    )


@pytest.mark.parametrize("provider", PROVIDERS)
def test_mock_honours_its_contracts(live: Harness, provider: str) -> None:
    """The mock passes every interaction (HTTP and e-mail) its consumers expect of it."""
    report = verify_provider(_target(live, provider))
    assert report.ok, report.render()
    assert report.interactions, "nothing was verified"


def test_a_failing_state_handler_is_reported_at_once() -> None:
    """A state handler that raises is a 400 (no 2-minute retry) and its error is in the report."""

    def broken(params: object) -> dict[str, object]:
        raise SetupError("the setup API said no")

    app = Flask("always-ok")
    app.add_url_rule("/<path:rest>", "any", lambda rest: ("", 200), methods=["GET", "POST"])
    from contracts.state_names import PROVIDER_STATES

    table = {name: broken for name in PROVIDER_STATES["boom-klantenservice"]}
    with ServerThread(app) as provider, StateServer(table) as state_server:
        from contracts.pactkit import PACT_DIR, pact_files, run_verification

        report = run_verification(
            "boom-klantenservice",
            provider.url,
            sources=pact_files(PACT_DIR, "boom-klantenservice")[:1],
            state_change_url=state_server.url,
            state_errors=state_server.errors,
        )
    assert not report.ok
    assert "the setup API said no" in report.render()
    assert all("state" in m.detail for m in report.mismatches)


# --- a mock with one field broken ----------------------------------------------------------------


def test_a_broken_field_fails_verification_naming_it(
    break_field: Callable[[str, str, bytes, bytes], str],
) -> None:
    """One changed field in the real mock's answer fails verification, naming that field."""
    url = break_field(
        "parnassys", "/uwlr/", b"<brincode>99AB</brincode>", b"<brincode>99ZZ</brincode>"
    )
    report: Report = verify_provider(Target("parnassys-uwlr", url))
    assert not report.ok
    text = report.render()
    assert "FAILED  HaalLeerlinggegevens for a school with pupils" in text
    assert "school.brincode" in text and "'99ZZ'" in text, text
