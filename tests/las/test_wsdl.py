"""The Leerlinggegevens WSDL file (koppeling/uwlr/wsdl/) as the LAS mocks render and serve it."""

from __future__ import annotations

import pytest
from lxml import etree

from koppeling.uwlr.wsdl import WSDL_DIR, render_wsdl
from tests.las.conftest import Las

WSDL = "{http://schemas.xmlsoap.org/wsdl/}"
SOAP = "{http://schemas.xmlsoap.org/wsdl/soap/}"


def test_every_placeholder_is_filled() -> None:
    """The address lands on both ports (the official service and port names); nothing is left
    open."""
    text = render_wsdl("leerlinggegevens", "http://las.test:1/uwlr")
    assert "$" not in text
    root = etree.fromstring(text.encode("utf-8"))
    service = root.find(f"{WSDL}service")
    assert service is not None and service.get("name") == "LeerlinggegevensService"
    ports = {
        str(p.get("name")): p.find(f"{SOAP}address").get("location")  # type: ignore[union-attr]
        for p in service.iterfind(f"{WSDL}port")
    }
    assert ports == {
        "prtLeerlinggegevensService": "http://las.test:1/uwlr",
        "prtLeerlinggegevensService-getrapt": "http://las.test:1/uwlr",
    }


def test_the_address_is_escaped() -> None:
    """An address from a hostile Host header cannot break out of its attribute."""
    hostile = 'http://x"/><evil a="&<'
    text = render_wsdl("leerlinggegevens", hostile)
    assert 'location="http://x&quot;/&gt;&lt;evil a=&quot;&amp;&lt;"' in text
    address = etree.fromstring(text.encode("utf-8")).find(f".//{SOAP}address")
    assert address is not None and address.get("location") == hostile


@pytest.mark.parametrize("query", ["wsdl", "singleWsdl", "WSDL", "singlewsdl"])
def test_served_wsdl_is_the_rendered_file(las: Las, query: str) -> None:
    """``GET ?wsdl`` (or ``?singleWsdl``, any case) serves the file rendered with the request's
    host."""
    resp = las.client.get(f"{las.path}?{query}", headers={"Host": "las.example:9000"})
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "text/xml; charset=utf-8"
    expected = render_wsdl("leerlinggegevens", f"http://las.example:9000{las.path}")
    assert resp.data == expected.encode("utf-8")


def test_the_files_ship_beside_the_module() -> None:
    """Both WSDLs and their schemas are plain files in koppeling/uwlr/wsdl/ (package data)."""
    assert sorted(p.name for p in WSDL_DIR.glob("*.wsdl")) == [
        "leerlinggegevens.wsdl",
        "leerresultaten.wsdl",
    ]
    assert sorted(p.name for p in WSDL_DIR.glob("*.xsd")) == [
        "autorisatie.xsd",
        "leerlinggegevens.xsd",
        "leerresultaten.xsd",
        "oso.xsd",
        "soap-fault.xsd",
    ]
