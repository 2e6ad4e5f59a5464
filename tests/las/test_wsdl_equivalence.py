"""Differential test: the schema in the WSDL that ParnasSys and ESIS SERVE judges every instance as
the official UWLR 2.2 XSDs do (the oracle, contracts/uwlr_xsd.py, school years extended).

Both flavours run on real sockets; their ``?wsdl``/``?singleWsdl``/``?WSDL`` documents are fetched
over HTTP and the ``wsdl:types`` schemas compiled with lxml as a client would find them
(tests/uwlr/served.py). The corpus (docs/uwlr-wsdl.md):

- every message the mocks exchange: the four operations on both flavours (requests built by the
  codec and the answers, also geenwijzigingen and geengegevens), the autorisatie header;
- hand-made messages carrying every optional element and attribute of the official schema and every
  branch of every choice (tests/uwlr/corpus.py), and all their single-step mutations: each element
  dropped, repeated, swapped with its neighbour, an unknown element or attribute added, each
  attribute dropped, each value and attribute replaced by probes (lengths, patterns, code lists,
  dates) (tests/uwlr/differential.py);
- every named simple type probed with every code-list value of the official set and the probes.

A coverage check makes sure each (parent, child) element and (element, @attribute) the official
XSDs declare occurs in an instance the official schema accepts: so a served schema missing any
optional official field rejects that instance and the test fails.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import requests
from lxml import etree

from contracts.uwlr_xsd import UwlrSchemas
from koppeling.harness.server import ServerThread
from koppeling.harness.service import Core
from koppeling.harness.store import Database
from koppeling.uwlr.autorisatie import Autorisatie
from koppeling.uwlr.leerlinggegevens import GroepRef, build_request, soap_action
from koppeling.uwlr.soap import SOAP_ENV
from mocks.las.app import create_app
from mocks.las.service import FLAVOURS
from tests.las.conftest import KLANT, SCHOOL_TIME, SCHOOLJAAR
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

OPERATIONS = ("HaalLeerlinggegevens", "HaalStructuur", "HaalLeerlingen", "HaalLeerkrachten")
OFFICIAL_FILES = (
    "UWLR_Leerlinggegevens_v2p2.xsd",
    "EDEXML.elementen.xsd",
    "EDEXML.types.vast.xsd",
    "EDEXML.types.variabel.xsd",
)
#: Declared in the official schema, never valid in any message: their types are abstract with no
#: derived type (ToevoegingsBlokType), so only rejections can be compared (the corpus has them).
NEVER_VALID = {
    (parent, "toevoegingen")
    for parent in ("school", "groep", "samengestelde_groep", "leerling", "leerkracht")
} | {("toevoegingen", "blok"), ("blok", "code"), ("blok", "omschrijving")}


@dataclass
class Running:
    url: str
    school: dict[str, Any]
    key: str


@pytest.fixture(scope="module")
def las_servers() -> Iterator[dict[str, Running]]:
    """Both flavours on free ports, each with school 99AB-00 (with samengestelde groepen) and a
    key."""
    core = Core.create(Database.memory())
    core.clock.set(SCHOOL_TIME)
    servers = {n: ServerThread(create_app({"flavour": n}, core=core)).start() for n in FLAVOURS}
    try:
        running = {}
        for name, server in servers.items():
            school = requests.post(
                f"{server.url}/api/scholen",
                timeout=10,
                json={
                    "brincode": "99AB",
                    "schooljaar": SCHOOLJAAR,
                    "seed": 11,
                    "aantal_leerlingen": 12,
                    "samengestelde_groepen": True,
                },
            ).json()
            key = requests.post(
                f"{server.url}/api/scholen/99AB/00/sleutels",
                timeout=10,
                json={"klantcode": KLANT[0], "klantnaam": KLANT[1]},
            ).json()["autorisatiesleutel"]
            running[name] = Running(server.url, school, key)
        yield running
    finally:
        for server in servers.values():
            server.stop()


@pytest.fixture(scope="module")
def served_wsdl(las_servers: dict[str, Running]) -> bytes:
    """The WSDL as served over HTTP; every spelling of the query and both flavours give the same
    types (and the same document but for the address)."""
    documents = {}
    for name, running in las_servers.items():
        url = running.url + FLAVOURS[name].path
        for query in ("wsdl", "singleWsdl", "WSDL"):
            resp = requests.get(f"{url}?{query}", timeout=10)
            assert resp.status_code == 200, resp.text
            documents[(name, query)] = resp.content.replace(url.encode(), b"ADDRESS")
    assert len(set(documents.values())) == 1, "the flavours or the queries serve different WSDLs"
    return next(iter(documents.values()))


@pytest.fixture(scope="module")
def served(served_wsdl: bytes) -> etree.XMLSchema:
    return compile_served(served_wsdl)


@pytest.fixture(scope="module")
def oracle(uwlr_schemas: UwlrSchemas) -> etree.XMLSchema:
    """The official leerlinggegevens + autorisatie schemas in one (a driver importing both)."""
    return official_driver(
        uwlr_schemas, ["UWLR_Leerlinggegevens_v2p2.xsd", "UWLR_Autorisatie_v2p2.xsd"]
    )


def official_driver(
    uwlr: UwlrSchemas, files: list[str], probe: bytes | None = None
) -> etree.XMLSchema:
    xs = "http://www.w3.org/2001/XMLSchema"
    driver = etree.fromstring(probe) if probe is not None else etree.Element(f"{{{xs}}}schema")
    for name in files:
        path = uwlr.schema_path(name)
        namespace = etree.parse(str(path)).getroot().get("targetNamespace")
        if driver.find(f"{{{xs}}}import[@namespace='{namespace}']") is None:
            driver.insert(
                0,
                etree.Element(
                    f"{{{xs}}}import", namespace=namespace, schemaLocation=path.resolve().as_uri()
                ),
            )
    tree = etree.fromstring(etree.tostring(driver), uwlr.parser()).getroottree()
    return etree.XMLSchema(tree)


def _body(envelope: bytes) -> bytes:
    body = etree.fromstring(envelope).find(f"{{{SOAP_ENV}}}Body")
    assert body is not None and len(body) == 1, envelope
    return etree.tostring(body[0])


@pytest.fixture(scope="module")
def mock_messages(las_servers: dict[str, Running]) -> list[Instance]:
    """Every message exchanged with the mocks: each operation's request (as built by the codec)
    and answer, on both flavours; a geenwijzigingen and a geengegevens answer; the header."""
    out: list[Instance] = []
    for name, running in las_servers.items():
        url = running.url + FLAVOURS[name].path
        groepen = [GroepRef(g["key"], g["samengesteld"]) for g in running.school["groepen"]]
        calls: list[tuple[str, str, dict[str, Any]]] = [
            (op, op, {"groepen": groepen} if op in ("HaalLeerlingen", "HaalLeerkrachten") else {})
            for op in OPERATIONS
        ]
        calls.append(
            (
                "geenwijzigingen",
                "HaalLeerlinggegevens",
                {"laatstontvangengegevens": SCHOOL_TIME + timedelta(days=1)},
            )
        )
        calls.append(("geengegevens", "HaalLeerlingen", {"groepen": [GroepRef("bestaat-niet")]}))
        for label, op, extra in calls:
            request = build_request(
                op,
                Autorisatie(running.key, *KLANT),
                schooljaar=SCHOOLJAAR,
                brincode="99AB",
                **extra,
            )
            resp = requests.post(
                url,
                data=request,
                timeout=30,
                headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": soap_action(op)},
            )
            assert resp.status_code == 200, resp.text
            out.append(Instance(f"{name} {label} request", _body(request)))
            out.append(Instance(f"{name} {label} answer", _body(resp.content)))
            header = etree.fromstring(request).find(f"{{{SOAP_ENV}}}Header")
            assert header is not None
            out.append(Instance(f"{name} {label} header", etree.tostring(header[0])))
    kinds = {etree.QName(etree.fromstring(i.xml)[0]).localname for i in out if "answer" in i.name}
    assert {"geenwijzigingen", "geengegevens", "leerlinggegevens"} <= kinds, kinds
    return out


def _hand_made() -> list[Instance]:
    bases = {**corpus.leerlinggegevens(), **corpus.autorisatie()}
    return [Instance(name, xml.encode()) for name, xml in bases.items()]


def test_mock_messages_are_judged_alike(
    mock_messages: list[Instance], oracle: etree.XMLSchema, served: etree.XMLSchema
) -> None:
    """Every request and answer of both mocks: valid by the official XSD and by the served one."""
    outcome = run(mock_messages, oracle, served, mutate=False)
    assert not outcome.differ, outcome.report()
    assert len(outcome.accepted) == len(mock_messages), "a mock message is not valid UWLR 2.2"


def test_hand_made_messages_and_their_mutations_are_judged_alike(
    oracle: etree.XMLSchema, served: etree.XMLSchema
) -> None:
    """The hand-made corpus and every single-step mutation: same verdict from both schemas."""
    outcome = run(_hand_made(), oracle, served)
    assert not outcome.differ, outcome.report()
    # not a trivial corpus: many instances each way
    assert outcome.judged > 20000 and len(outcome.accepted) > 5000 and outcome.rejected > 10000


def test_mutations_of_a_mock_answer_are_judged_alike(
    mock_messages: list[Instance], oracle: etree.XMLSchema, served: etree.XMLSchema
) -> None:
    """The mutations of the mocks' own HaalStructuur answers (ParnasSys and ESIS)."""
    answers = [m for m in mock_messages if m.name.endswith("HaalStructuur answer")]
    outcome = run(answers, oracle, served)
    assert not outcome.differ, outcome.report()


def test_the_corpus_covers_every_official_declaration(
    uwlr_schemas: UwlrSchemas, oracle: etree.XMLSchema, mock_messages: list[Instance]
) -> None:
    """Each element (in its parent) and attribute the official leerlinggegevens XSDs declare
    occurs in an instance the official schema accepts; so dropping any optional field from the
    served schema makes the differential test fail."""
    files = [uwlr_schemas.schema_path(f) for f in OFFICIAL_FILES]
    declared = declared_pairs(files) | declared_pairs(
        [uwlr_schemas.schema_path("UWLR_Autorisatie_v2p2.xsd")]
    )
    accepted = [
        i for i in [*_hand_made(), *mock_messages] if oracle.validate(etree.fromstring(i.xml))
    ]
    missing = declared - used_pairs(accepted) - NEVER_VALID
    assert not missing, f"official declarations no accepted instance exercises: {sorted(missing)}"
    assert len(declared) > 150


def test_every_named_simple_type_is_judged_alike(
    uwlr_schemas: UwlrSchemas, served_wsdl: bytes
) -> None:
    """Each named simple type (code lists, patterns, lengths), probed with every code-list value
    of the official set, the probes, and every school year the oracle allows plus the next one."""
    namespace = corpus.LG
    types = simple_types(uwlr_schemas.schema_path(f) for f in OFFICIAL_FILES)
    values = sorted({v for listed in types.values() for v in listed} | set(PROBES))
    last = uwlr_schemas.last_schooljaar
    values += [f"{last + 1}-{last + 2}", f"{last}-{last + 1}", f"{last - 1}-{last}"]
    official = official_driver(
        uwlr_schemas,
        ["UWLR_Leerlinggegevens_v2p2.xsd"],
        probe=type_probe_schema(
            namespace, uwlr_schemas.schema_path(OFFICIAL_FILES[0]).resolve().as_uri(), types
        ),
    )
    served = compile_served(served_wsdl, probe=(namespace, sorted(types)))
    outcome = run(
        [p for name in types for p in type_probes(name, values)], official, served, mutate=False
    )
    assert not outcome.differ, outcome.report()
    assert len(types) > 30 and len(outcome.accepted) > 500
