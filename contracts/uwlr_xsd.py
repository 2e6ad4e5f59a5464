"""The official UWLR 2.2 XSDs as the oracle of conformance tests.

The files stay beside the project (``../shared/uwlr-2.2`` by default, or ``KOPPELING_UWLR_DIR``,
read at the edge and passed in here); they are never copied into this tree.
"""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from lxml import etree

from koppeling.uwlr.autorisatie import NS_LEERLINGGEGEVENS, NS_LEERRESULTATEN
from koppeling.uwlr.soap import SOAP_ENV

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_UWLR_DIR = PROJECT_ROOT.parent / "shared" / "uwlr-2.2"


class UwlrFilesMissing(RuntimeError):
    """The official UWLR files are not where the configuration says."""


class XsdInvalid(AssertionError):
    """A message does not validate against the official XSD; the message lists every error."""


class UwlrSchemas:
    """Compiled official schemas, validating UWLR body elements by their namespace."""

    def __init__(self, root: Path) -> None:
        self.root = root
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
        return _compile(self.schema_path("UWLR_Leerlinggegevens_v2p2.xsd"))

    @cached_property
    def leerresultaten(self) -> etree.XMLSchema:
        return _compile(self.schema_path("UWLR_Leerresultaten_v2p2.xsd"))

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
        }.get(ns or "")
        if schema is None:
            raise XsdInvalid(f"not a UWLR leerlinggegevens/leerresultaten element: {element.tag}")
        if not schema.validate(element):
            errors = "\n".join(f"  line {e.line}: {e.message}" for e in schema.error_log)
            raise XsdInvalid(f"{etree.QName(element).localname} is not valid UWLR 2.2:\n{errors}")
        return element


def _compile(path: Path) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(path)))
