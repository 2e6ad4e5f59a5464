"""The official UWLR 2.2 XSDs as the oracle of conformance tests.

The files stay beside the project (``../shared/uwlr-2.2`` by default, or ``KOPPELING_UWLR_DIR``,
read at the edge and passed in here); they are never copied into this tree.

One deliberate change, made in memory at load time: the 2017 ``EDEXML.types.variabel.xsd`` lists
the school years only up to 2024-2025 (Edustandaard republishes that file). The oracle gets a
patched copy of that one file with the years up to the current year + 5 added, served to the
schema compiler by an lxml resolver; nothing is written to disk. The served WSDL's
``EDEXSchooljaarType`` reaches the same year (docs/uwlr-wsdl.md).
"""

from __future__ import annotations

from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

from lxml import etree

from koppeling.uwlr.autorisatie import NS_AUTORISATIE, NS_LEERLINGGEGEVENS, NS_LEERRESULTATEN
from koppeling.uwlr.soap import SOAP_ENV

XS = "http://www.w3.org/2001/XMLSchema"
#: The EDEXML file whose school-year list is extended in memory.
VARIABEL = "EDEXML.types.variabel.xsd"
#: The code list is extended up to the school year starting this many years after the current one.
YEARS_AHEAD = 5

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_UWLR_DIR = PROJECT_ROOT.parent / "shared" / "uwlr-2.2"


class UwlrFilesMissing(RuntimeError):
    """The official UWLR files are not where the configuration says."""


class XsdInvalid(AssertionError):
    """A message does not validate against the official XSD; the message lists every error."""


class UwlrSchemas:
    """Compiled official schemas, validating UWLR body elements by their namespace."""

    def __init__(self, root: Path, last_schooljaar: int | None = None) -> None:
        self.root = root
        #: The first calendar year of the last school year the patched code list allows.
        self.last_schooljaar = (
            date.today().year + YEARS_AHEAD if last_schooljaar is None else last_schooljaar
        )
        wanted = [
            self.schema_path("UWLR_Leerlinggegevens_v2p2.xsd"),
            self.schema_path("UWLR_Leerresultaten_v2p2.xsd"),
        ]
        missing = [str(p) for p in wanted if not p.is_file()]
        if missing:
            raise UwlrFilesMissing(
                "The official UWLR 2.2 XSDs are absent: "
                + ", ".join(missing)
                + ". Put the Edustandaard files at ../shared/uwlr-2.2 beside the checkout or set "
                "KOPPELING_UWLR_DIR to their folder (it must hold Schemas/ and wsdl/)."
            )

    def schema_path(self, name: str) -> Path:
        return self.root / "Schemas" / name

    @cached_property
    def leerlinggegevens(self) -> etree.XMLSchema:
        return self._compile("UWLR_Leerlinggegevens_v2p2.xsd")

    @cached_property
    def leerresultaten(self) -> etree.XMLSchema:
        return self._compile("UWLR_Leerresultaten_v2p2.xsd")

    @cached_property
    def autorisatie(self) -> etree.XMLSchema:
        return self._compile("UWLR_Autorisatie_v2p2.xsd")

    @cached_property
    def schooljaren(self) -> list[str]:
        """The school years the (patched) oracle accepts, in order."""
        tree = etree.parse(str(self.schema_path(VARIABEL)), self.parser())
        return [
            str(e.get("value"))
            for e in tree.iterfind(
                f"{{{XS}}}simpleType[@name='EDEXSchooljaarType']/{{{XS}}}restriction/"
                f"{{{XS}}}enumeration"
            )
        ]

    def parser(self) -> etree.XMLParser:
        """A parser whose resolver serves the extended school-year list (for schemas that
        include the official files)."""
        parser = etree.XMLParser()
        parser.resolvers.add(_SchooljarenResolver(self.schema_path(VARIABEL), self.last_schooljaar))
        return parser

    def _compile(self, name: str) -> etree.XMLSchema:
        path = self.schema_path(name)
        return etree.XMLSchema(etree.parse(str(path), self.parser()))

    def validate(self, message: bytes | etree._Element) -> etree._Element:
        """Validate a UWLR element (or the body of a SOAP envelope); returns the element."""
        element = etree.fromstring(message) if isinstance(message, bytes) else message
        if element.tag == f"{{{SOAP_ENV}}}Envelope":
            body = element.find(f"{{{SOAP_ENV}}}Body")
            if body is None or len(body) != 1:
                raise XsdInvalid("SOAP envelope without exactly one body element")
            element = body[0]
        ns = etree.QName(element).namespace
        schema = {
            NS_LEERLINGGEGEVENS: self.leerlinggegevens,
            NS_LEERRESULTATEN: self.leerresultaten,
            NS_AUTORISATIE: self.autorisatie,
        }.get(ns or "")
        if schema is None:
            raise XsdInvalid(f"not a UWLR leerlinggegevens/leerresultaten element: {element.tag}")
        if not schema.validate(element):
            errors = "\n".join(f"  line {e.line}: {e.message}" for e in schema.error_log)
            raise XsdInvalid(f"{etree.QName(element).localname} is not valid UWLR 2.2:\n{errors}")
        return element


def extended_variabel(path: Path, last_schooljaar: int) -> bytes:
    """The official ``EDEXML.types.variabel.xsd`` with the school years after its last one added,
    up to ``<last_schooljaar>-<last_schooljaar + 1>``."""
    tree = etree.parse(str(path))
    restriction = tree.find(f"{{{XS}}}simpleType[@name='EDEXSchooljaarType']/{{{XS}}}restriction")
    if restriction is None:
        raise UwlrFilesMissing(f"{path} has no EDEXSchooljaarType")
    listed = [str(e.get("value")) for e in restriction.iterfind(f"{{{XS}}}enumeration")]
    first = int(listed[-1].split("-")[0]) + 1
    for year in range(first, last_schooljaar + 1):
        etree.SubElement(restriction, f"{{{XS}}}enumeration", value=f"{year}-{year + 1}")
    return bytes(etree.tostring(tree, xml_declaration=True, encoding="UTF-8"))


class _SchooljarenResolver(etree.Resolver):  # type: ignore[misc]
    """Serves the in-memory patched copy of ``EDEXML.types.variabel.xsd`` to the compiler."""

    def __init__(self, path: Path, last_schooljaar: int) -> None:
        super().__init__()
        self.path = path
        self.last_schooljaar = last_schooljaar

    def resolve(self, system_url: str, public_id: str | None, context: Any) -> Any:
        if system_url.replace("\\", "/").rsplit("/", 1)[-1] != VARIABEL:
            return None
        return self.resolve_string(extended_variabel(self.path, self.last_schooljaar), context)
