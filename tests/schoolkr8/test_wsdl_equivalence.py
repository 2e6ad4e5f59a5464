"""Differential test: the schema in the WSDL Schoolkr8 SERVES judges every instance as the official
UWLR 2.2 Leerresultaten XSDs do (the oracle). The method is that of
tests/las/test_wsdl_equivalence.py (docs/uwlr-wsdl.md): the WSDL fetched over HTTP with each query
spelling, the mock's real exchange (BrengLeerresultaten with a plain score and with an
osoresultaat, the confirmation, the header), hand-made maximal messages and all their single-step
mutations, a coverage check over the official declarations, every named simple type probed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import requests
from lxml import etree

from contracts.uwlr_xsd import UwlrSchemas
from koppeling.uwlr.autorisatie import Autorisatie
from koppeling.uwlr.leerresultaten import (
    LeerresultatenVerzoek,
    Resultaat,
    School,
    Toets,
    Toetsafname,
    build_verzoek,
    request_envelope,
)
from koppeling.uwlr.soap import SOAP_ENV
from tests.las.test_wsdl_equivalence import official_driver
from tests.schoolkr8.conftest import Sk8
from tests.uwlr import corpus
from tests.uwlr.differential import (
    PROBES,
    Instance,
    declared_pairs,
    run,
    simple_types,
    type_probe_schema,
    type_probes,
    used_pairs,
)
from tests.uwlr.served import compile_served

OFFICIAL_FILES = ("UWLR_Leerresultaten_v2p2.xsd", "Overstapdossier_1.2_20150302.xsd")
#: Declared, never valid: ctpAnderResultaatType is abstract with no derived type.
NEVER_VALID = {("resultaat", "anderresultaat"), ("anderresultaat", "andere_score")}


@pytest.fixture(scope="module")
def served_wsdl(sk8_servers: dict[str, str]) -> bytes:
    url = sk8_servers["schoolkr8"] + "/uwlr/leerresultaten"
    documents = set()
    for query in ("wsdl", "singleWsdl", "WSDL"):
        resp = requests.get(f"{url}?{query}", timeout=10)
        assert resp.status_code == 200, resp.text
        documents.add(resp.content)
    assert len(documents) == 1, "the query spellings serve different WSDLs"
    return documents.pop()


@pytest.fixture(scope="module")
def served(served_wsdl: bytes) -> etree.XMLSchema:
    return compile_served(served_wsdl)


@pytest.fixture(scope="module")
def oracle(uwlr_schemas: UwlrSchemas) -> etree.XMLSchema:
    return official_driver(
        uwlr_schemas, ["UWLR_Leerresultaten_v2p2.xsd", "UWLR_Autorisatie_v2p2.xsd"]
    )


def _body(envelope: bytes) -> etree._Element:
    body = etree.fromstring(envelope).find(f"{{{SOAP_ENV}}}Body")
    assert body is not None and len(body) == 1, envelope
    return body[0]


def _exchange(sk8: Sk8) -> list[Instance]:
    """BrengLeerresultaten with a plain score and with an osoresultaat, as delivered to the mock,
    and what it answered."""
    key = sk8.key()
    sk8.pupil("0101")
    school = School("2026-2027", sk8.brin, datetime(2026, 11, 2, 9, 0, tzinfo=UTC), sk8.dep)
    plain = LeerresultatenVerzoek(
        school,
        (Toetsafname("0101", (Resultaat("s-1", date(2026, 10, 30), "DMT", score=42),)),),
        (Toets("DMT", "Drie-Minuten-Toets"),),
    )
    out: list[Instance] = []
    for label, verzoek in (("score", plain), ("oso", sk8.verzoek(("0101", "o-1")))):
        data = request_envelope(
            build_verzoek(verzoek), Autorisatie(key, "boom-testcentrum", "Boom testcentrum")
        )
        resp = sk8.breng(key, data)
        assert resp.status_code == 200, resp.text
        out.append(Instance(f"{label} request", etree.tostring(_body(data))))
        out.append(Instance(f"{label} answer", etree.tostring(_body(resp.content))))
        header = etree.fromstring(data).find(f"{{{SOAP_ENV}}}Header")
        assert header is not None
        out.append(Instance(f"{label} header", etree.tostring(header[0])))
    return out


def _hand_made() -> list[Instance]:
    bases = {**corpus.leerresultaten(), **corpus.autorisatie()}
    return [Instance(name, xml.encode()) for name, xml in bases.items()]


def test_mock_exchange_is_judged_alike(
    sk8: Sk8, oracle: etree.XMLSchema, served: etree.XMLSchema
) -> None:
    """What a client sends Schoolkr8 and what it answers: valid by both schemas."""
    exchange = _exchange(sk8)
    outcome = run(exchange, oracle, served, mutate=False)
    assert not outcome.differ, outcome.report()
    assert len(outcome.accepted) == len(exchange) == 6


def test_hand_made_messages_and_their_mutations_are_judged_alike(
    oracle: etree.XMLSchema, served: etree.XMLSchema
) -> None:
    outcome = run(_hand_made(), oracle, served)
    assert not outcome.differ, outcome.report()
    assert outcome.judged > 8000 and len(outcome.accepted) > 1000 and outcome.rejected > 4000


def test_the_corpus_covers_every_official_declaration(
    uwlr_schemas: UwlrSchemas, oracle: etree.XMLSchema
) -> None:
    """Each element (in its parent) and attribute of the official Leerresultaten XSDs (with the
    two OSO elements) occurs in an instance the official schema accepts."""
    declared = declared_pairs(uwlr_schemas.schema_path(f) for f in OFFICIAL_FILES)
    accepted = [i for i in _hand_made() if oracle.validate(etree.fromstring(i.xml))]
    missing = declared - used_pairs(accepted) - NEVER_VALID
    assert not missing, f"official declarations no accepted instance exercises: {sorted(missing)}"
    assert len(declared) > 60


@pytest.mark.parametrize("file", OFFICIAL_FILES)
def test_every_named_simple_type_is_judged_alike(
    uwlr_schemas: UwlrSchemas, served_wsdl: bytes, file: str
) -> None:
    """Each named simple type, probed with the probes and every code-list value."""
    path = uwlr_schemas.schema_path(file)
    namespace = str(etree.parse(str(path)).getroot().get("targetNamespace"))
    types = simple_types([path])
    values = sorted({v for listed in types.values() for v in listed} | set(PROBES))
    official = official_driver(
        uwlr_schemas,
        [file],
        probe=type_probe_schema(namespace, path.resolve().as_uri(), types),
    )
    served = compile_served(served_wsdl, probe=(namespace, sorted(types)))
    outcome = run(
        [p for name in types for p in type_probes(name, values)], official, served, mutate=False
    )
    assert not outcome.differ, outcome.report()
    assert outcome.accepted
