"""The served WSDLs name what the published ones name, compared statically: service, ports,
bindings (style, transport, soapAction, header, body, faults), portTypes (input, output, faults),
messages and parts (with their elements, as expanded names), target namespace. And the served
documents are self-contained: no xs:include, no xs:import with a location, every part's element
declared in the inline schemas, every port at the mock's own address.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from koppeling.uwlr.wsdl import WsdlName, render_wsdl

WSDL = "http://schemas.xmlsoap.org/wsdl/"
SOAP = "http://schemas.xmlsoap.org/wsdl/soap/"
XS = "http://www.w3.org/2001/XMLSchema"
OFFICIAL = {
    "leerlinggegevens": "UWLR_Leerlinggegevens_v2p2.wsdl",
    "leerresultaten": "UWLR_Leerresultaten_v2p2.wsdl",
}
ADDRESS = "http://mock.test:8000/uwlr"


def _qname(el: etree._Element, value: str | None) -> str:
    """A QName attribute value as {namespace}local, resolved in ``el``'s scope."""
    assert value is not None
    prefix, _, local = value.rpartition(":")
    return f"{{{el.nsmap.get(prefix or None, '')}}}{local}"


def _w(local: str) -> str:
    return f"{{{WSDL}}}{local}"


def _s(local: str) -> str:
    return f"{{{SOAP}}}{local}"


def structure(root: etree._Element) -> dict[str, Any]:
    """Everything a stub generator reads from a WSDL, except the types and addresses."""
    messages = {
        m.get("name"): [
            (p.get("name"), _qname(p, p.get("element"))) for p in m.iterfind(_w("part"))
        ]
        for m in root.iterfind(_w("message"))
    }
    port_types = {
        pt.get("name"): {
            op.get("name"): (
                _qname(op.find(_w("input")), op.find(_w("input")).get("message")),
                _qname(op.find(_w("output")), op.find(_w("output")).get("message")),
                sorted(
                    (f.get("name"), _qname(f, f.get("message"))) for f in op.iterfind(_w("fault"))
                ),
            )
            for op in pt.iterfind(_w("operation"))
        }
        for pt in root.iterfind(_w("portType"))
    }

    def io(el: etree._Element | None) -> Any:
        if el is None:
            return None
        return (
            sorted(
                (_qname(h, h.get("message")), h.get("part"), h.get("use"))
                for h in el.iterfind(_s("header"))
            ),
            [(b.get("use"), b.get("parts")) for b in el.iterfind(_s("body"))],
        )

    bindings = {
        b.get("name"): (
            _qname(b, b.get("type")),
            b.find(_s("binding")).get("style"),
            b.find(_s("binding")).get("transport"),
            {
                op.get("name"): (
                    op.find(_s("operation")).get("soapAction"),
                    io(op.find(_w("input"))),
                    io(op.find(_w("output"))),
                    sorted(
                        (f.get("name"), [(sf.get("name"), sf.get("use")) for sf in f])
                        for f in op.iterfind(_w("fault"))
                    ),
                )
                for op in b.iterfind(_w("operation"))
            },
        )
        for b in root.iterfind(_w("binding"))
    }
    services = {
        s.get("name"): {p.get("name"): _qname(p, p.get("binding")) for p in s.iterfind(_w("port"))}
        for s in root.iterfind(_w("service"))
    }
    return {
        "targetNamespace": root.get("targetNamespace"),
        "messages": messages,
        "portTypes": port_types,
        "bindings": bindings,
        "services": services,
    }


def _served(name: WsdlName) -> etree._Element:
    return etree.fromstring(render_wsdl(name, ADDRESS).encode("utf-8"))


@pytest.mark.parametrize("name", sorted(OFFICIAL))
def test_served_wsdl_names_what_the_official_one_names(name: WsdlName, uwlr_dir: Path) -> None:
    official = etree.parse(str(uwlr_dir / "wsdl" / OFFICIAL[name])).getroot()
    expected, actual = structure(official), structure(_served(name))
    for part in expected:
        assert actual[part] == expected[part], part


def test_the_names_issue_11_lists() -> None:
    """Spelled out once, independent of the official file: the Leerlinggegevens interface."""
    got = structure(_served("leerlinggegevens"))
    assert got["services"] == {
        "LeerlinggegevensService": {
            "prtLeerlinggegevensService": "{http://www.edustandaard.nl/leerresultaten/2/"
            "leerlinggegevens}bndLeerlinggegevens",
            "prtLeerlinggegevensService-getrapt": "{http://www.edustandaard.nl/leerresultaten/2/"
            "leerlinggegevens}bndLeerlinggegevens-getrapt",
        }
    }
    assert set(got["portTypes"]) == {"prtLeerlinggegevens", "prtGetrapt"}
    assert {"msgStructuurFault", "msgLeerlingenFault", "msgLeerkrachtenFault"} <= set(
        got["messages"]
    )
    actions = {op: v[0] for b in got["bindings"].values() for op, v in b[3].items()}
    assert actions["HaalLeerlinggegevens"] == "HaalLeerlinggegevens"
    assert actions["HaalStructuur"].endswith("/leerlinggegevens/structuur_verzoek")


@pytest.mark.parametrize("name", sorted(OFFICIAL))
def test_served_wsdl_is_self_contained(name: WsdlName) -> None:
    """No include, no import a client would have to fetch; every part's element and every
    imported namespace is defined inline; every port is the mock's address."""
    root = _served(name)
    schemas = root.findall(f"{_w('types')}/{{{XS}}}schema")
    namespaces = {s.get("targetNamespace") for s in schemas}
    assert len(namespaces) == len(schemas)
    assert root.find(f".//{{{XS}}}include") is None
    for imported in root.iterfind(f".//{{{XS}}}import"):
        assert imported.get("schemaLocation") is None
        assert imported.get("namespace") in namespaces
    declared = {
        f"{{{s.get('targetNamespace')}}}{e.get('name')}"
        for s in schemas
        for e in s.iterfind(f"{{{XS}}}element")
    }
    for part in root.iterfind(f"{_w('message')}/{_w('part')}"):
        assert _qname(part, part.get("element")) in declared
    addresses = [a.get("location") for a in root.iterfind(f".//{_s('address')}")]
    assert addresses and set(addresses) == {ADDRESS}


def test_school_years_reach_five_years_ahead() -> None:
    """The served EDEXSchooljaarType lists 1991-1992 up to this year + 5 (the 2017 list stopped
    at 2024-2025)."""
    text = render_wsdl("leerlinggegevens", ADDRESS, today=date(2026, 12, 2))
    root = etree.fromstring(text.encode("utf-8"))
    years = root.xpath(
        "//xs:simpleType[@name='EDEXSchooljaarType']//xs:enumeration/@value", namespaces={"xs": XS}
    )
    assert years[0] == "1991-1992" and years[-1] == "2031-2032"
    assert "2026-2027" in years and len(years) == len(set(years)) == 41
