"""The Leerlinggegevens WSDL file (koppeling/uwlr/wsdl/) as the LAS mocks render and serve it."""

from __future__ import annotations

from lxml import etree

from koppeling.uwlr.wsdl import WSDL_DIR, render_wsdl
from tests.las.conftest import Las

WSDL = "{http://schemas.xmlsoap.org/wsdl/}"
SOAP = "{http://schemas.xmlsoap.org/wsdl/soap/}"


def test_every_placeholder_is_filled() -> None:
    """The vendor's name and the address land where the template says; nothing is left open."""
    text = render_wsdl("leerlinggegevens", "http://las.test:1/uwlr", service_title="ParnasSys")
    assert "$" not in text
    root = etree.fromstring(text.encode("utf-8"))
    assert root.get("name") == "ParnasSysLeerlinggegevens"
    service = root.find(f"{WSDL}service")
    assert service is not None and service.get("name") == "ParnasSysLeerlinggegevensService"
    address = root.find(f".//{SOAP}address")
    assert address is not None and address.get("location") == "http://las.test:1/uwlr"


def test_the_address_is_escaped() -> None:
    """An address from a hostile Host header cannot break out of its attribute."""
    hostile = 'http://x"/><evil a="&<'
    text = render_wsdl("leerlinggegevens", hostile, service_title="ESIS")
    assert 'location="http://x&quot;/&gt;&lt;evil a=&quot;&amp;&lt;"' in text
    address = etree.fromstring(text.encode("utf-8")).find(f".//{SOAP}address")
    assert address is not None and address.get("location") == hostile


def test_served_wsdl_is_the_rendered_file(las: Las) -> None:
    """``GET ?wsdl`` serves the file rendered with the request's host and the vendor's name."""
    resp = las.client.get(f"{las.path}?wsdl", headers={"Host": "las.example:9000"})
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "text/xml; charset=utf-8"
    title = {"parnassys": "ParnasSys", "esis": "ESIS"}[las.flavour]
    expected = render_wsdl(
        "leerlinggegevens", f"http://las.example:9000{las.path}", service_title=title
    )
    assert resp.data == expected.encode("utf-8")


def test_the_files_ship_beside_the_module() -> None:
    """Both WSDLs are plain files in koppeling/uwlr/wsdl/ (shipped as package data)."""
    assert sorted(p.name for p in WSDL_DIR.glob("*.wsdl")) == [
        "leerlinggegevens.wsdl",
        "leerresultaten.wsdl",
    ]
