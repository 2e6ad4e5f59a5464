"""The WSDL Schoolkr8 serves at ``/uwlr/leerresultaten?wsdl``, written for this mock.

It names the same operation, binding, soapAction, header and elements as the official
``UWLR_Leerresultaten_v2p2.wsdl`` (so clients generated from either fit), and its address is the
endpoint that served it. The official XSDs are not bundled (they stay a test-only oracle), so the
types here are this mock's own summary: the envelope of the request is typed, the inside of each
``resultaat`` and ``toets`` is left open (``xs:any``); the rules are those of the official XSD and
are checked in code.
"""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

from koppeling.uwlr.autorisatie import NS_AUTORISATIE
from koppeling.uwlr.leerresultaten import NS, SOAP_ACTION

_TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<!-- Schoolkr8 mock (koppeling): BrengLeerresultaten, UWLR 2.2.
     The message rules are those of UWLR_Leerresultaten_v2p2.xsd (Edustandaard). -->
<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/"
  xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:xs="http://www.w3.org/2001/XMLSchema"
  xmlns:lr="{ns}" xmlns:aut="{ns_aut}" targetNamespace="{ns}" name="Schoolkr8Leerresultaten">
  <wsdl:types>
    <xs:schema targetNamespace="{ns_aut}" elementFormDefault="qualified">
      <xs:element name="autorisatie">
        <xs:complexType>
          <xs:sequence>
            <xs:element name="autorisatiesleutel" type="xs:string"/>
            <xs:element name="klantcode" type="xs:string"/>
            <xs:element name="klantnaam" type="xs:string"/>
          </xs:sequence>
        </xs:complexType>
      </xs:element>
    </xs:schema>
    <xs:schema targetNamespace="{ns}" elementFormDefault="qualified">
      <xs:complexType name="ctpOpen">
        <xs:sequence>
          <xs:any minOccurs="0" maxOccurs="unbounded" processContents="lax" namespace="##any"/>
        </xs:sequence>
        <xs:anyAttribute processContents="lax"/>
      </xs:complexType>
      <xs:element name="leerresultaten_verzoek">
        <xs:complexType>
          <xs:sequence>
            <xs:element name="school">
              <xs:complexType>
                <xs:sequence>
                  <xs:element name="schooljaar" type="xs:string"/>
                  <xs:element name="brincode" type="xs:string"/>
                  <xs:element name="dependancecode" type="xs:string" minOccurs="0"/>
                  <xs:element name="aanmaakdatum" type="xs:dateTime"/>
                  <xs:element name="auteur" type="xs:string" minOccurs="0"/>
                  <xs:element name="xsdversie" type="xs:string"/>
                  <xs:element name="commentaar" type="xs:string" minOccurs="0"/>
                </xs:sequence>
              </xs:complexType>
            </xs:element>
            <xs:element name="toetsafnames">
              <xs:complexType>
                <xs:sequence>
                  <xs:element name="toetsafname" maxOccurs="unbounded">
                    <xs:complexType>
                      <xs:sequence>
                        <xs:element name="leerlingid" type="xs:string"/>
                        <xs:element name="eckid" type="xs:string" minOccurs="0"/>
                        <xs:element name="resultaatverwerkerid" type="xs:string" minOccurs="0"/>
                        <xs:element name="resultaten">
                          <xs:complexType>
                            <xs:sequence>
                              <xs:element name="resultaat" type="lr:ctpOpen" maxOccurs="unbounded"/>
                            </xs:sequence>
                          </xs:complexType>
                        </xs:element>
                      </xs:sequence>
                    </xs:complexType>
                  </xs:element>
                </xs:sequence>
              </xs:complexType>
            </xs:element>
            <xs:element name="toetsen">
              <xs:complexType>
                <xs:sequence>
                  <xs:element name="toets" type="lr:ctpOpen" maxOccurs="unbounded"/>
                </xs:sequence>
              </xs:complexType>
            </xs:element>
          </xs:sequence>
        </xs:complexType>
      </xs:element>
      <xs:element name="leerresultaten_bevestiging">
        <xs:complexType/>
      </xs:element>
    </xs:schema>
  </wsdl:types>
  <wsdl:message name="msgHeader">
    <wsdl:part name="msgpHeader" element="aut:autorisatie"/>
  </wsdl:message>
  <wsdl:message name="msgLeerresultaten">
    <wsdl:part name="msgpLeerresultatenVerzoek" element="lr:leerresultaten_verzoek"/>
  </wsdl:message>
  <wsdl:message name="msgLeerresultatenAntwoord">
    <wsdl:part name="msgpLeerresultatenAntwoord" element="lr:leerresultaten_bevestiging"/>
  </wsdl:message>
  <wsdl:portType name="prtLeerresultaten">
    <wsdl:operation name="{action}">
      <wsdl:input message="lr:msgLeerresultaten"/>
      <wsdl:output message="lr:msgLeerresultatenAntwoord"/>
    </wsdl:operation>
  </wsdl:portType>
  <wsdl:binding name="bndLeerresultaten" type="lr:prtLeerresultaten">
    <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
    <wsdl:operation name="{action}">
      <soap:operation soapAction="{action}"/>
      <wsdl:input>
        <soap:header message="lr:msgHeader" part="msgpHeader" use="literal"/>
        <soap:body use="literal"/>
      </wsdl:input>
      <wsdl:output>
        <soap:body use="literal"/>
      </wsdl:output>
    </wsdl:operation>
  </wsdl:binding>
  <wsdl:service name="LeerresultatenService">
    <wsdl:port name="prtLeerresultatenService" binding="lr:bndLeerresultaten">
      <soap:address location={address}/>
    </wsdl:port>
  </wsdl:service>
</wsdl:definitions>
"""


def wsdl_document(address: str) -> bytes:
    """The WSDL with ``address`` as the service location."""
    text = _TEMPLATE.format(
        ns=NS, ns_aut=NS_AUTORISATIE, action=SOAP_ACTION, address=quoteattr(address)
    )
    return text.encode("utf-8")
