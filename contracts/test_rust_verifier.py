"""A partner's verifier against ``koppeling up``: the Rust ``pact verifier`` (npm pact-cli), with
nothing of ours but the harness's standard provider endpoints.

The harness runs as a user starts it (a real ``koppeling up`` process, granian, free ports);
the verifier reaches provider states at ``/__admin/pact/state`` and the two e-mails at
``/__admin/pact/messages`` on each provider's own port. Every committed pact is verified after
the quick start of docs/las.md made school 99AB, and again right after — states are set up
afresh, so neither an earlier run nor the quick start's school gets in the way.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
import requests

from contracts.pactkit import HARNESS_SERVICE, PACT_DIR, PROVIDERS, pact_files
from contracts.rust_verifier import (
    RustReport,
    VerifierMissing,
    pact_cli,
    run_verifier,
    verifier_command,
)
from contracts.state_names import KS_BY_HAND
from koppeling.harness.services import SERVICES

pytestmark = [pytest.mark.contract, pytest.mark.slow]

KoppelingUp = Callable[..., AbstractContextManager[dict[str, str]]]


@pytest.fixture(scope="module")
def pact_binary() -> Path:
    """The pinned Rust verifier (installed into .tools/ with npm on first use)."""
    try:
        return pact_cli()
    except VerifierMissing as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="module")
def harness_urls(koppeling_up: KoppelingUp) -> Iterator[dict[str, str]]:
    """``koppeling up --memory`` on free ports: service name -> base URL."""
    names = {s.title: s.name for s in SERVICES}
    with koppeling_up("--memory") as urls:
        yield {names[title]: url for title, url in urls.items()}


def quick_start(las_url: str) -> None:
    """docs/las.md's quick start: school 99AB-00 for 2026-2027 with 60 pupils, and a key."""
    school: dict[str, Any] = {
        "brincode": "99AB",
        "dependancecode": "00",
        "schooljaar": "2026-2027",
        "naam": "De Regenboog",
        "aantal_leerlingen": 60,
        "seed": 42,
    }
    made = requests.post(f"{las_url}/api/scholen", json=school, timeout=30)
    assert made.status_code == 201, made.text
    klant = {"klantcode": "boom-testcentrum", "klantnaam": "Boom testcentrum"}  # the quick start
    key = requests.post(f"{las_url}/api/scholen/99AB/00/sleutels", json=klant, timeout=30)
    assert key.status_code == 201, key.text


def expected(provider: str, pact_dir: Path = PACT_DIR) -> set[str]:
    """Every interaction (HTTP and message) the pact files hold for ``provider``."""
    return {
        str(i["description"])
        for path in pact_files(pact_dir, provider)
        for i in json.loads(path.read_text(encoding="utf-8"))["interactions"]
    }


def verify(binary: Path, urls: dict[str, str], provider: str, report: Path) -> RustReport:
    command = verifier_command(binary, provider, urls[HARNESS_SERVICE[provider]])
    return run_verifier(command, report)


def test_the_rust_verifier_passes_every_pact_twice_after_the_quick_start(
    pact_binary: Path, harness_urls: dict[str, str], tmp_path: Path
) -> None:
    """All pacts, HTTP and e-mail, verify against ``koppeling up`` after the LAS quick start,
    and the very same run passes again (no 409, no leftovers of the first run)."""
    quick_start(harness_urls["parnassys"])
    quick_start(harness_urls["esis"])
    for run in (1, 2):
        for provider in PROVIDERS:
            result = verify(
                pact_binary, harness_urls, provider, tmp_path / f"{provider}-{run}.json"
            )
            assert result.ok, f"run {run}, {provider}:\n{result.output}"
            assert set(result.results) == expected(provider), result.output


def test_a_state_the_harness_cannot_set_up_fails_that_interaction(
    pact_binary: Path, harness_urls: dict[str, str], tmp_path: Path
) -> None:
    """A pact asking for a state the mock does not know: the state endpoint answers 4xx (not a
    5xx the verifier would retry for minutes) and the verifier fails that interaction."""
    pacts = tmp_path / "pacts"
    pacts.mkdir()
    for path in pact_files(PACT_DIR, "boom-klantenservice"):
        text = path.read_text(encoding="utf-8").replace(KS_BY_HAND, "the klantenservice is closed")
        (pacts / path.name).write_text(text, encoding="utf-8")
    command = verifier_command(
        pact_binary, "boom-klantenservice", harness_urls["klantenservice"], pacts
    )
    result = run_verifier([*command, "--filter-state", "closed"], tmp_path / "report.json")
    assert result.exit_code != 0
    assert result.results == {"a request for a Schoolkr8 dashboard koppeling": "Error"}
    assert "state change handlers has failed" in result.output, result.output


def test_without_npm_the_failure_says_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No verifier and no npm: the error names .ci/run and the pinned npm install."""
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(VerifierMissing, match=r"run \.ci/run, or: npm install --prefix \.tools"):
        pact_cli(tmp_path / "tools")
