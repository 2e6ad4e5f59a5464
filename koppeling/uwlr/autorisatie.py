"""UWLR 2.2 vocabulary shared by every SOAP service: namespaces, version, the autorisatie header."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from koppeling.harness.errors import SoapFault
from koppeling.uwlr.soap import Envelope

NS_BASE = "http://www.edustandaard.nl/leerresultaten/2/"
NS_LEERLINGGEGEVENS = NS_BASE + "leerlinggegevens"
NS_LEERRESULTATEN = NS_BASE + "leerresultaten"
NS_AUTORISATIE = NS_BASE + "autorisatie"
XSD_VERSION = "2.2"


@dataclass(frozen=True)
class Autorisatie:
    """The ``aut:autorisatie`` SOAP header (strings of 1-64)."""

    autorisatiesleutel: str
    klantcode: str
    klantnaam: str

    def to_element(self) -> etree._Element:
        el = etree.Element(f"{{{NS_AUTORISATIE}}}autorisatie", nsmap={"aut": NS_AUTORISATIE})
        for name in ("autorisatiesleutel", "klantcode", "klantnaam"):
            etree.SubElement(el, f"{{{NS_AUTORISATIE}}}{name}").text = getattr(self, name)
        return el


#: the header's fields by their qualified tag, in the order they are checked
_FIELDS = {
    f"{{{NS_AUTORISATIE}}}{name}": name for name in ("autorisatiesleutel", "klantcode", "klantnaam")
}


def read_autorisatie(env: Envelope) -> Autorisatie:
    """The autorisatie header; ``Client.AutorisatieOngeldig`` when it is missing or incomplete."""
    block = env.header(NS_AUTORISATIE, "autorisatie")
    if block is None:
        raise SoapFault("Client.AutorisatieOngeldig", "De autorisatie-header ontbreekt")
    # the text of the first child of each name, as findtext() gives it, in one pass
    found: dict[str, str | None] = {}
    for child in block:
        name = _FIELDS.get(child.tag)
        if name is not None and name not in found:
            found[name] = child.text
    values = {name: (found.get(name) or "").strip() for name in _FIELDS.values()}
    for name, value in values.items():
        if not 1 <= len(value) <= 64:
            code = (
                "Client.AutorisatieOngeldig"
                if name == "autorisatiesleutel"
                else "Client.OngeldigeKlantIdentificatie"
            )
            raise SoapFault(code, f"{name} ontbreekt of is langer dan 64 tekens")
    return Autorisatie(**values)
