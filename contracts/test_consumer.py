"""Consumer side: the stand-in's real clients against the Pact mock server, and the pact files.

Each case runs on its own Pact (one per test). The committed files in ``contracts/pacts/`` are
what provider verification reads; :func:`test_committed_pacts_are_current` regenerates them into a
temporary directory and fails on any byte of drift (regenerate with
``python -m contracts.consumer_cases``). The UWLR bodies in them are checked against the official
XSDs.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path

import pytest
from lxml import etree

from contracts.consumer_cases import Case, all_cases, generate, run_case
from contracts.pactkit import PACT_DIR, PROVIDERS, pact_files
from contracts.uwlr_xsd import UwlrSchemas
from koppeling.uwlr.soap import SOAP_ENV

pytestmark = pytest.mark.contract

CASES = all_cases()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_consumer_case(case: Case, tmp_path: Path) -> None:
    """The real client does what the interaction describes, and the pact is written."""
    run_case(case, tmp_path)
    written = pact_files(tmp_path)
    assert [p.name for p in written] == [f"{case.consumer}-{case.provider}.json"]


def test_committed_pacts_are_current(tmp_path: Path) -> None:
    """Regenerating every pact gives the committed files byte for byte."""
    fresh = {p.name: p.read_bytes() for p in generate(tmp_path)}
    committed = {p.name: p.read_bytes() for p in pact_files(PACT_DIR)}
    assert sorted(fresh) == sorted(committed), "pact files added or removed; regenerate them"
    for name, data in fresh.items():
        if data != committed[name]:
            diff = "\n".join(
                difflib.unified_diff(
                    committed[name].decode().splitlines(),
                    data.decode().splitlines(),
                    f"committed/{name}",
                    f"regenerated/{name}",
                    lineterm="",
                    n=2,
                )
            )
            pytest.fail(f"{name} drifted (python -m contracts.consumer_cases):\n{diff[:4000]}")


def test_every_provider_has_a_pact() -> None:
    """Each partner of the koppeling is held to at least one committed contract."""
    for provider in PROVIDERS:
        assert pact_files(PACT_DIR, provider), f"no pact for {provider}"


def _xml_bodies() -> list[tuple[str, str, str]]:
    found = []
    for path in pact_files(PACT_DIR):
        for interaction in json.loads(path.read_text(encoding="utf-8"))["interactions"]:
            for part in ("request", "response"):
                body = interaction.get(part, {}).get("body") or {}
                if "xml" in str(body.get("contentType", "")):
                    found.append(
                        (
                            f"{path.stem}: {interaction['description']} ({part})",
                            part,
                            body["content"],
                        )
                    )
    return found


XML_BODIES = _xml_bodies()


@pytest.mark.parametrize(
    ("where", "part", "content"), XML_BODIES, ids=[w for w, _, _ in XML_BODIES]
)
def test_uwlr_messages_in_pacts_are_valid(
    where: str, part: str, content: str, uwlr_schemas: UwlrSchemas
) -> None:
    """Every UWLR body in a pact validates against the official XSD (faults are SOAP 1.1)."""
    root = etree.fromstring(content.encode("utf-8"))
    body = root.find(f"{{{SOAP_ENV}}}Body")
    assert body is not None and len(body) == 1, where
    if body[0].tag == f"{{{SOAP_ENV}}}Fault":
        assert part == "response" and body[0].findtext("faultcode"), where
        return
    uwlr_schemas.validate(root)


def test_xml_bodies_were_found() -> None:
    """The XSD check above is not vacuous: the UWLR pacts carry SOAP bodies."""
    assert len(XML_BODIES) >= 20
