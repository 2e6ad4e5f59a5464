"""The WSDLs the UWLR mocks serve at ``?wsdl``: files in ``wsdl/``, composed into one document.

They are protocol artefacts, not code, so they live as files next to the codecs of the same
messages, written for this project (the Edustandaard files stay outside it):

- ``leerlinggegevens.wsdl`` + ``leerlinggegevens.xsd``: the LAS mocks (ParnasSys, ESIS);
- ``leerresultaten.wsdl`` + ``leerresultaten.xsd`` + ``oso.xsd``: Schoolkr8's BrengLeerresultaten;
- ``autorisatie.xsd`` (the SOAP header) and ``soap-fault.xsd`` (the type of the ``*Fault``
  elements), shared.

Each WSDL names exactly what the published ``UWLR_*_v2p2.wsdl`` names (service, ports, bindings,
portTypes, messages, parts, faults, soapActions) and its types are equivalent to the official XSDs
(docs/uwlr-wsdl.md; proved by tests/uwlr/test_wsdl_structure.py and the differential tests
tests/las/test_wsdl_equivalence.py and tests/schoolkr8/test_wsdl_equivalence.py). The served
document is self-contained: the schemas are copied into ``wsdl:types``, their ``xs:import``\\ s
keep only the namespace (no location a client would have to fetch). The school-year code list is
generated: 1991-1992 up to the current year + 5 (:func:`schooljaren`), as the 2017 list stops at
2024-2025.

``${address}`` in a WSDL is the endpoint that served it, taken from the request (XML-escaped).
"""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path
from typing import Literal
from xml.sax.saxutils import escape

from lxml import etree

WSDL_DIR = Path(__file__).with_name("wsdl")

WsdlName = Literal["leerlinggegevens", "leerresultaten"]

XS = "http://www.w3.org/2001/XMLSchema"
WSDL = "http://schemas.xmlsoap.org/wsdl/"

#: The schema files inlined into each WSDL, imported ones first.
SCHEMAS: dict[WsdlName, tuple[str, ...]] = {
    "leerlinggegevens": ("autorisatie.xsd", "soap-fault.xsd", "leerlinggegevens.xsd"),
    "leerresultaten": ("autorisatie.xsd", "oso.xsd", "leerresultaten.xsd"),
}

#: The first school year of the EDEXML code list.
FIRST_SCHOOLJAAR = 1991
#: How many years past the current one the served code list reaches.
SCHOOLJAREN_AHEAD = 5


def schooljaren(until: int) -> list[str]:
    """The EDEXML school years ``1991-1992`` .. ``<until>-<until+1>``."""
    return [f"{y}-{y + 1}" for y in range(FIRST_SCHOOLJAAR, until + 1)]


def last_schooljaar(today: date | None = None) -> int:
    """The first calendar year of the last school year served: the current year + 5."""
    return (today or date.today()).year + SCHOOLJAREN_AHEAD


def schema_files(name: WsdlName) -> list[Path]:
    """The schema files a WSDL inlines, in order."""
    return [WSDL_DIR / f for f in SCHEMAS[name]]


def load_schema(path: Path, until: int) -> etree._Element:
    """One schema file as an element, the school-year list filled in up to ``until``."""
    parser = etree.XMLParser(remove_blank_text=False, remove_comments=True)
    root = etree.parse(str(path), parser).getroot()
    for restriction in root.iterfind(
        f"{{{XS}}}simpleType[@name='EDEXSchooljaarType']/{{{XS}}}restriction"
    ):
        restriction.text = "\n      "
        for jaar in schooljaren(until):
            etree.SubElement(restriction, f"{{{XS}}}enumeration", value=jaar).tail = "\n      "
        restriction[-1].tail = "\n    "
    return root


@cache
def _composed(name: WsdlName, until: int) -> str:
    """The WSDL text with its schemas inlined; each schema element is serialised on its own, so
    it keeps its own namespace declarations (its QName references need them)."""
    template = (WSDL_DIR / f"{name}.wsdl").read_text(encoding="utf-8")
    schemas = []
    for path in schema_files(name):
        schema = load_schema(path, until)
        for imported in schema.iterfind(f"{{{XS}}}import"):
            imported.attrib.pop("schemaLocation", None)
        schemas.append(etree.tostring(schema, encoding="unicode"))
    assert template.count("<wsdl:types/>") == 1, f"{name}.wsdl needs one empty <wsdl:types/>"
    return template.replace(
        "<wsdl:types/>", "<wsdl:types>\n" + "\n".join(schemas) + "\n</wsdl:types>"
    )


def render_wsdl(name: WsdlName, address: str, today: date | None = None) -> str:
    """The self-contained WSDL ``wsdl/<name>.wsdl`` with ``address`` as the endpoint of every port
    (XML-escaped: it comes from the client's Host header)."""
    document = _composed(name, last_schooljaar(today))
    return document.replace("${address}", escape(address, {'"': "&quot;"}))
