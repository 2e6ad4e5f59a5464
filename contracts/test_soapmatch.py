"""The SOAP matching helper, proven with the real Pact mock server and the real verifier.

A matcher on a namespaced element must bite (a wrong value fails) and must not care about
prefixes (another prefix bound to the same namespace passes) — which is exactly what
``pact.xml``'s prefixed rule paths do not achieve on their own.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from flask import Flask, Response

from contracts.pactkit import quiet, run_verification
from contracts.soapmatch import Vary, each, regex, text, uri_path, xml_body
from koppeling.harness.server import ServerThread
from koppeling.uwlr.soap import SOAP_ENV

pytestmark = pytest.mark.contract

NS = "http://www.edustandaard.nl/leerresultaten/2/leerlinggegevens"


def _doc(names: list[str], *, soap: str = "soap", ll: str = "ll", code: str = "99AB") -> str:
    pupils = "".join(
        f'<{ll}:leerling key="{1000 + i}"><{ll}:achternaam>{n}</{ll}:achternaam></{ll}:leerling>'
        for i, n in enumerate(names)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><{soap}:Envelope xmlns:{soap}="{SOAP_ENV}">'
        f'<{soap}:Body><{ll}:antwoord xmlns:{ll}="{NS}"><{ll}:brincode>{code}</{ll}:brincode>'
        f"<{ll}:leerlingen>{pupils}</{ll}:leerlingen></{ll}:antwoord></{soap}:Body>"
        f"</{soap}:Envelope>"
    )


VARY = (
    Vary("leerlingen/leerling", each(1)),
    Vary("leerling/achternaam", regex(r"^[A-Z][a-z]+$")),
    Vary("leerling/@key", regex(r"^\d{4}$")),
)


def test_rules_are_on_uri_qualified_paths() -> None:
    """Rule paths name elements by namespace URI, never by prefix."""
    body = xml_body(_doc(["Jansen"]), *VARY)
    expected = (
        f"$['{SOAP_ENV}:Envelope']['{SOAP_ENV}:Body']['{NS}:antwoord']['{NS}:leerlingen']"
        f"['{NS}:leerling']['{NS}:achternaam']['#text']"
    )
    assert expected in body.rules
    assert body.rules[expected]["matchers"] == [{"match": "regex", "regex": r"^[A-Z][a-z]+$"}]
    assert any(p.endswith(f"['{NS}:leerling']") for p in body.rules)
    assert any(p.endswith("['@key']") for p in body.rules)
    assert not any("soap:" in p or "ll:" in p for p in body.rules)


def test_generators_use_the_example_prefixes() -> None:
    """Provider-state generators address the example document's prefixed names."""
    body = xml_body(_doc(["Jansen"]), Vary("brincode", from_state="${brincode}"))
    assert body.generators == {
        "$['soap:Envelope']['soap:Body']['ll:antwoord']['ll:brincode']['#text']": {
            "type": "ProviderState",
            "expression": "${brincode}",
        }
    }


def test_a_vary_that_matches_nothing_is_an_error() -> None:
    """A typo in a Vary path is caught when the contract is written, not silently ignored."""
    with pytest.raises(ValueError, match="achtrenaam"):
        xml_body(_doc(["Jansen"]), Vary("achtrenaam", text()))


def test_uri_path_of_an_attribute() -> None:
    """Attributes sit after the element path, as ['@name']."""
    from lxml import etree

    root = etree.fromstring(_doc(["Jansen"]).encode())
    leerling = root.find(f".//{{{NS}}}leerling")
    assert uri_path(leerling, "key").endswith(f"['{NS}:leerling']['@key']")


# --- consumer side: the real Pact mock server ---------------------------------------------------


def _consumer_pact(tmp: Path) -> object:
    quiet()
    from pact import Pact

    pact = Pact("soapmatch-consumer", "soapmatch-provider").with_specification("V4")
    interaction = pact.upon_receiving("a namespaced request").with_request("POST", "/soap")
    xml_body(_doc(["Jansen"]), *VARY).apply(interaction, "Request", "text/xml")
    interaction.will_respond_with(200)
    return pact


def _post_to_mock(pact: object, body: str) -> list[object]:
    with pact.serve(raises=False, verbose=False) as srv:  # type: ignore[attr-defined]
        requests.post(
            f"{srv.url}/soap", data=body.encode(), timeout=5, headers={"Content-Type": "text/xml"}
        )
        return list(srv.mismatches)


def test_consumer_side_wrong_value_in_namespaced_element_fails(tmp_path: Path) -> None:
    """The mock server refuses a request whose namespaced element breaks its regex."""
    mismatches = _post_to_mock(_consumer_pact(tmp_path), _doc(["jansen1"]))
    assert mismatches, "a wrong achternaam must not match"
    assert "jansen1" in json.dumps([str(m) for m in mismatches])


def test_consumer_side_other_prefix_and_values_pass(tmp_path: Path) -> None:
    """Other prefixes for the same namespaces and other (valid) values match."""
    body = _doc(["Bakker", "Visser"], soap="SOAP-ENV", ll="ns2")
    assert _post_to_mock(_consumer_pact(tmp_path), body) == []


# --- provider side: the real verifier -----------------------------------------------------------


@pytest.fixture(scope="module")
def pact_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A pact file whose response matches on namespaced elements."""
    quiet()
    from pact import Pact

    directory = tmp_path_factory.mktemp("soapmatch")
    pact = Pact("soapmatch-consumer", "soapmatch-provider").with_specification("V4")
    interaction = pact.upon_receiving("a namespaced answer").with_request("POST", "/soap")
    interaction.will_respond_with(200)
    xml_body(_doc(["Jansen"]), *VARY).apply(interaction, "Response", "text/xml")
    with pact.serve() as srv:
        requests.post(f"{srv.url}/soap", timeout=5)
    pact.write_file(directory, overwrite=True)
    return directory


@pytest.fixture
def answering() -> Iterator[list[str]]:
    """A provider answering whatever body the test puts in the list."""
    bodies: list[str] = []
    app = Flask("soapmatch-provider")

    @app.post("/soap")
    def soap() -> Response:
        """Answer the body the test chose."""
        return Response(bodies[-1], content_type="text/xml")

    with ServerThread(app) as server:
        bodies.append(server.url)
        yield bodies


def _verify(pact_dir: Path, answering: list[str], body: str) -> object:
    answering.append(body)
    return run_verification("soapmatch-provider", answering[0], sources=[pact_dir])


def test_provider_side_wrong_value_in_namespaced_element_fails(
    pact_dir: Path, answering: list[str]
) -> None:
    """The verifier rejects a provider whose namespaced element breaks its regex."""
    report = _verify(pact_dir, answering, _doc(["Jansen", "de vries"]))
    assert not report.ok  # type: ignore[attr-defined]
    assert "achternaam" in report.render()  # type: ignore[attr-defined]
    assert "de vries" in report.render(), report.render()  # type: ignore[attr-defined]


def test_provider_side_literal_in_namespaced_element_is_compared(
    pact_dir: Path, answering: list[str]
) -> None:
    """Without a matcher a namespaced value is the contract: another brincode fails."""
    report = _verify(pact_dir, answering, _doc(["Jansen"], code="99ZZ"))
    assert not report.ok  # type: ignore[attr-defined]
    assert "brincode" in report.render()  # type: ignore[attr-defined]


def test_provider_side_other_prefix_passes(pact_dir: Path, answering: list[str]) -> None:
    """Another prefix for the same namespaces, more pupils, other names: still the contract."""
    report = _verify(pact_dir, answering, _doc(["Bakker", "Visser", "Smit"], soap="s", ll="uwlr"))
    assert report.ok, report.render()  # type: ignore[attr-defined]
