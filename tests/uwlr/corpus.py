"""Hand-made UWLR instances for the differential test: for every message a "maximal" one carrying
every optional element and attribute the official schema declares, and one instance per branch of
every choice. Mutations (differential.py) then drop, repeat, reorder, add and re-value each part.

Values are synthetic (test-range BSN 999990019, BRIN 99AB).
"""

from __future__ import annotations

LG = "http://www.edustandaard.nl/leerresultaten/2/leerlinggegevens"
LR = "http://www.edustandaard.nl/leerresultaten/2/leerresultaten"
AUT = "http://www.edustandaard.nl/leerresultaten/2/autorisatie"
OSO = "http://www.edustandaard.nl/oso_gegevensset/1.2/dossier"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"

SCHOOL_FULL = """
<school>
  <schooljaar>2026-2027</schooljaar>
  <peildatum>2026-10-01</peildatum>
  <brincode>99AB</brincode>
  <dependancecode>01</dependancecode>
  <schoolkey>school-1</schoolkey>
  <aanmaakdatum>2026-10-01T08:00:00+02:00</aanmaakdatum>
  <auteur>ParnasSys</auteur>
  <xsdversie>2.2</xsdversie>
  <commentaar>vrije tekst</commentaar>
</school>"""

SCHOOL_VARIANTS = {
    "instellingsnummer": """<school><schooljaar>2026-2027</schooljaar>
      <instellingsnummer>123456</instellingsnummer><schoolkey>s</schoolkey></school>""",
    "instellingsnummer-alleen": """<school><schooljaar>2026-2027</schooljaar>
      <instellingsnummer>12</instellingsnummer></school>""",
    "schoolkey-alleen": """<school><schooljaar>2026-2027</schooljaar>
      <schoolkey>s</schoolkey><aanmaakdatum>2026-10-01T08:00:00Z</aanmaakdatum></school>""",
    "geen-identificatie": """<school><schooljaar>2026-2027</schooljaar>
      <xsdversie>2.2</xsdversie></school>""",
    "brincode-alleen": """<school><schooljaar>2026-2027</schooljaar>
      <brincode>99AB</brincode></school>""",
}

VESTIGINGEN = """
<vestigingen>
  <vestiging key="v1"><naam>Hoofdlocatie</naam><omschrijving>Dorpsstraat</omschrijving>
    <mutatiedatum>2026-09-01T12:00:00</mutatiedatum></vestiging>
  <vestiging key="v2"><naam>Dependance</naam></vestiging>
</vestigingen>"""

GROEPEN = """
<groepen>
  <groep key="g1"><naam>Groep 3a</naam><jaargroep>3</jaargroep><omschrijving>de Uilen</omschrijving>
    <mutatiedatum>2026-09-01T12:00:00</mutatiedatum></groep>
  <samengestelde_groep key="sg1"><naam>Plusklas</naam><omschrijving>meerbegaafd</omschrijving>
    <mutatiedatum>2026-09-01T12:00:00</mutatiedatum></samengestelde_groep>
  <groep key="g2"><naam>Groep 8</naam><jaargroep>8</jaargroep></groep>
  <samengestelde_groep key="sg2"><naam>Taalklas</naam></samengestelde_groep>
</groepen>"""

LEERLING_FULL = """
<leerling key="0001" eckid="https://ketenid.nl/201703/aaaa">
  <achternaam>Vries</achternaam>
  <voorvoegsel>de</voorvoegsel>
  <voornamen>Anna Maria</voornamen>
  <voorletters-1>A.M.</voorletters-1>
  <roepnaam>Anna</roepnaam>
  <geboortedatum>2018-03-14</geboortedatum>
  <geslacht>2</geslacht>
  <start_ondw_jgr3>2024-08-26</start_ondw_jgr3>
  <jaargroep>3</jaargroep>
  <groep key="g1"/>
  <samengestelde_groepen><samengestelde_groep key="sg1"/><samengestelde_groep key="sg2"/>
  </samengestelde_groepen>
  <vestiging key="v1"/>
  <gebruikersnaam>anna.devries</gebruikersnaam>
  <emailadres>anna@school.test</emailadres>
  <fotourl>https://school.test/foto/1.jpg</fotourl>
  <etniciteit>0</etniciteit>
  <land>NL</land>
  <land_vader>NL</land_vader>
  <land_moeder>BE</land_moeder>
  <bsn>999990019</bsn>
  <gewicht_nieuw>0,3</gewicht_nieuw>
  <gewicht>0.25</gewicht>
  <postcodenl>1234AB</postcodenl>
  <instroomdatum>2022-09-01</instroomdatum>
  <uitstroomdatum>2030-07-15</uitstroomdatum>
  <mutatiedatum>2026-09-01T12:00:00</mutatiedatum>
</leerling>"""

# One pupil per branch of each choice: the name (roepnaam only), the identity number, the postcode.
LEERLING_VARIANTS = [
    '<leerling key="0002"><roepnaam>Sem</roepnaam></leerling>',
    '<leerling key="0003"><achternaam>Bakker</achternaam></leerling>',
    '<leerling key="0004"><roepnaam>Noor</roepnaam><sofinummer>123456789</sofinummer>'
    "<postnummerbe>2000</postnummerbe></leerling>",
    '<leerling key="0005"><roepnaam>Lev</roepnaam><onderwijsnummer>101234567</onderwijsnummer>'
    "<postcodeoverig>D-47533</postcodeoverig></leerling>",
    '<leerling key="0006"><roepnaam>Mila</roepnaam><bsn_ondwnr-4>0019</bsn_ondwnr-4></leerling>',
    '<leerling key="0007"><roepnaam>Jan</roepnaam>'
    "<rijksregisternummer>12345678901</rijksregisternummer></leerling>",
]

LEERKRACHT_FULL = """
<leerkracht key="lk1" eckid="https://ketenid.nl/201703/bbbb">
  <achternaam>Jansen</achternaam>
  <voorvoegsel>van</voorvoegsel>
  <voornamen>Pieter</voornamen>
  <voorletters-1>P.</voorletters-1>
  <roepnaam>Piet</roepnaam>
  <gebruikersnaam>p.jansen</gebruikersnaam>
  <emailadres>p.jansen@school.test</emailadres>
  <rol>LRK</rol>
  <rolomschrijving>intern begeleider</rolomschrijving>
  <rol>IB</rol>
  <groepen>
    <groep key="g1"><rol>LRK</rol><rolomschrijving>duo</rolomschrijving></groep>
    <samengestelde_groep key="sg1"><rolomschrijving>plusklas</rolomschrijving><rol>LOS</rol>
    </samengestelde_groep>
    <groep key="g2"/>
  </groepen>
  <mutatiedatum>2026-09-01T12:00:00</mutatiedatum>
</leerkracht>"""

LEERKRACHT_VARIANT = '<leerkracht key="lk2"><roepnaam>Els</roepnaam></leerkracht>'


def _wrap(root: str, payload: str) -> str:
    return f'<{root} xmlns="{LG}">{payload}</{root}>'


def leerlinggegevens() -> dict[str, str]:
    """Every leerlinggegevens message, maximal, plus the branch variants; by name."""
    leerlingen = "<leerlingen>" + LEERLING_FULL + "".join(LEERLING_VARIANTS) + "</leerlingen>"
    leerkrachten = "<leerkrachten>" + LEERKRACHT_FULL + LEERKRACHT_VARIANT + "</leerkrachten>"
    out = {
        "leerlinggegevens_antwoord": _wrap(
            "leerlinggegevens_antwoord",
            "<leerlinggegevens>"
            + SCHOOL_FULL
            + VESTIGINGEN
            + GROEPEN
            + leerlingen
            + leerkrachten
            + "</leerlinggegevens>",
        ),
        "structuur_antwoord": _wrap(
            "structuur_antwoord",
            "<leerlinggegevens-structuur>"
            + SCHOOL_FULL
            + VESTIGINGEN
            + GROEPEN
            + "</leerlinggegevens-structuur>",
        ),
        "leerlingen_antwoord": _wrap(
            "leerlingen_antwoord",
            "<leerlinggegevens-leerlingen>"
            + SCHOOL_FULL
            + leerlingen
            + "</leerlinggegevens-leerlingen>",
        ),
        "leerkrachten_antwoord": _wrap(
            "leerkrachten_antwoord",
            "<leerlinggegevens-leerkrachten>"
            + SCHOOL_FULL
            + leerkrachten
            + "</leerlinggegevens-leerkrachten>",
        ),
        "leerkrachten_antwoord-leeg": _wrap(
            "leerkrachten_antwoord",
            "<leerlinggegevens-leerkrachten>"
            + SCHOOL_VARIANTS["brincode-alleen"]
            + "</leerlinggegevens-leerkrachten>",
        ),
    }
    for name, school in SCHOOL_VARIANTS.items():
        out[f"structuur_antwoord-{name}"] = _wrap(
            "structuur_antwoord",
            f"<leerlinggegevens-structuur>{school}</leerlinggegevens-structuur>",
        )
    for answer in ("leerlinggegevens", "structuur", "leerlingen", "leerkrachten"):
        for kind in ("geenwijzigingen", "geengegevens"):
            out[f"{answer}_antwoord-{kind}"] = _wrap(f"{answer}_antwoord", f"<{kind}/>")
    basis = (
        "<schooljaar>2026-2027</schooljaar><brincode>99AB</brincode>"
        "<dependancecode>00</dependancecode><xsdversie>2.2</xsdversie>"
        "<gegevenssetid>set-1</gegevenssetid>"
        "<laatstontvangengegevens>2026-10-01T08:00:00Z</laatstontvangengegevens>"
    )
    refs = (
        '<groepen><groep key="g1"/><samengestelde_groep key="sg1"/><groep/>'
        "<samengestelde_groep/></groepen>"
    )
    for verzoek in ("leerlinggegevens", "structuur"):
        out[f"{verzoek}_verzoek"] = _wrap(f"{verzoek}_verzoek", basis)
        out[f"{verzoek}_verzoek-schoolkey"] = _wrap(
            f"{verzoek}_verzoek",
            "<schooljaar>2026-2027</schooljaar><schoolkey>s</schoolkey><xsdversie>2.2</xsdversie>",
        )
    for verzoek in ("leerlingen", "leerkrachten"):
        out[f"{verzoek}_verzoek"] = _wrap(f"{verzoek}_verzoek", basis + refs)
        out[f"{verzoek}_verzoek-schoolkey"] = _wrap(
            f"{verzoek}_verzoek",
            "<schooljaar>2026-2027</schooljaar><schoolkey>s</schoolkey><xsdversie>2.2</xsdversie>"
            '<groepen><samengestelde_groep key="sg1"/></groepen>',
        )
        out[f"{verzoek}_verzoek-minimaal"] = _wrap(
            f"{verzoek}_verzoek",
            "<schooljaar>2026-2027</schooljaar><brincode>99AB</brincode>"
            '<xsdversie>2.2</xsdversie><groepen><groep key="g1"/></groepen>',
        )
    for fault in ("StructuurFault", "LeerlingenFault", "LeerkrachtenFault"):
        out[fault] = (
            f'<{fault} xmlns="{LG}" xmlns:soap="{SOAP_ENV}">'
            '<faultcode xmlns="">soap:Server</faultcode>'
            '<faultstring xmlns="">Server.InterneFout</faultstring>'
            '<faultactor xmlns="">http://las.test/uwlr</faultactor>'
            '<detail xmlns="" code="x"><fout xmlns="urn:x">tekst</fout></detail>'
            f"</{fault}>"
        )
    # a toevoegingen block: its type is abstract with no derivation, so never valid
    out["structuur_antwoord-toevoegingen"] = _wrap(
        "structuur_antwoord",
        "<leerlinggegevens-structuur><school><schooljaar>2026-2027</schooljaar>"
        "<toevoegingen><blok><code>c</code><omschrijving>o</omschrijving></blok></toevoegingen>"
        "</school></leerlinggegevens-structuur>",
    )
    return out


def autorisatie() -> dict[str, str]:
    return {
        "autorisatie": f'<autorisatie xmlns="{AUT}"><autorisatiesleutel>k</autorisatiesleutel>'
        "<klantcode>boom</klantcode><klantnaam>Boom testcentrum</klantnaam></autorisatie>"
    }


VOCAB = 'vocabulaire="http://vocab.test/v" vocabulairelocatie="http://vocab.test/loc"'

NORMERING = f"""
<toetscategorie {VOCAB}>LVS</toetscategorie>
<toetsniveau {VOCAB}>M</toetsniveau>
<wegingsfactor>1.5</wegingsfactor>
<norm>
  <term>I</term><omschrijving>hoog</omschrijving>
  <beginnormwaarde>60</beginnormwaarde><eindnormwaarde>100</eindnormwaarde>
  <normkleur><rood_code>0</rood_code><groen_code>255</groen_code><blauw_code>10</blauw_code>
    <transparantie>0.50</transparantie></normkleur>
  <schoolcijfer_vanaf>1.00</schoolcijfer_vanaf><schoolcijfer_totenmet>10.00</schoolcijfer_totenmet>
</norm>
<norm><term>V</term><beginnormwaarde>0</beginnormwaarde><eindnormwaarde>59</eindnormwaarde></norm>
"""

LR_SCHOOL = """
<school><schooljaar>2026-2027</schooljaar><brincode>99AB</brincode>
  <dependancecode>00</dependancecode><aanmaakdatum>2026-11-02T10:00:00Z</aanmaakdatum>
  <auteur>Boom testcentrum</auteur><xsdversie>2.2</xsdversie><commentaar>c</commentaar></school>"""

TOETSEN = f"""
<toetsen>
  <toets>
    <toetscode {VOCAB}>LVS RW 2019</toetscode>
    <versie {VOCAB}>2019</versie>
    <toetsnaam>Rekenen-Wiskunde</toetsnaam>
    <leerjaar {VOCAB}>5</leerjaar>
    <vakgebied {VOCAB}>rekenen</vakgebied>
    <toetsnormering {VOCAB}>{NORMERING}</toetsnormering>
    <toetshierarchie>
      <ingang niveau="1" {VOCAB}>rekenen</ingang><ingang niveau="2">getallen</ingang>
    </toetshierarchie>
    <toetsonderdelen>
      <toetsonderdeel>
        <toetsonderdeelvolgnummer>1</toetsonderdeelvolgnummer>
        <toetsonderdeelcode {VOCAB}>RW-1</toetsonderdeelcode>
        <toetsonderdeelnaam>Getallen</toetsonderdeelnaam>
        <toetsonderdeelnormering {VOCAB}>{NORMERING}</toetsonderdeelnormering>
      </toetsonderdeel>
      <toetsonderdeel><toetsonderdeelvolgnummer>2</toetsonderdeelvolgnummer>
        <toetsonderdeelcode>RW-2</toetsonderdeelcode></toetsonderdeel>
    </toetsonderdelen>
  </toets>
  <toets><toetscode>DMT</toetscode></toets>
</toetsen>"""

OSORESULTAAT = f"""
<osoresultaat xmlns:oso="{OSO}">
  <oso:toetsscore>
    <oso:aantalopgaven>40</oso:aantalopgaven><oso:aantalgoed>30</oso:aantalgoed>
    <oso:aantalfout>10</oso:aantalfout><oso:aantalgelezen>40</oso:aantalgelezen>
    <oso:tijd>1800.5</oso:tijd><oso:vaardigheidsscore>187.3</oso:vaardigheidsscore>
    <oso:codevaardigheidsschaal>RW-2019</oso:codevaardigheidsschaal>
    <oso:betrouwbaarheidsinterval><oso:bivlaag>180</oso:bivlaag><oso:bivhoog>194.5</oso:bivhoog>
    </oso:betrouwbaarheidsinterval>
  </oso:toetsscore>
  <oso:referentiescore><oso:codereferentiescore>percentiel</oso:codereferentiescore>
    <oso:codevergelijkingsgroep>LG</oso:codevergelijkingsgroep><oso:waarde>72</oso:waarde>
    <oso:kwalificatie>II</oso:kwalificatie></oso:referentiescore>
  <oso:referentiescore><oso:codereferentiescore>niveau</oso:codereferentiescore>
    <oso:codevergelijkingsgroep>LG</oso:codevergelijkingsgroep><oso:waarde>B</oso:waarde>
  </oso:referentiescore>
</osoresultaat>"""


def leerresultaten() -> dict[str, str]:
    """Every leerresultaten message, maximal, plus the branch variants; by name."""
    afnames = f"""
<toetsafnames>
  <toetsafname>
    <leerlingid>0001</leerlingid><eckid>https://ketenid.nl/201703/aaaa</eckid>
    <resultaatverwerkerid>verwerker-1</resultaatverwerkerid>
    <resultaten>
      <resultaat key="r1"><afnamedatum>2026-10-30</afnamedatum><toetscode>LVS RW 2019</toetscode>
        <versie {VOCAB}>2019</versie><toetsonderdeelcode>RW-1</toetsonderdeelcode>
        <score>42</score><infourl>https://toets.test/r1</infourl></resultaat>
      <resultaat key="r2"><afnamedatum>2026-10-30</afnamedatum><toetscode>LVS RW 2019</toetscode>
        {OSORESULTAAT}</resultaat>
    </resultaten>
  </toetsafname>
  <toetsafname><leerlingid>0002</leerlingid><resultaten>
    <resultaat key="r3"><afnamedatum>2026-10-31</afnamedatum><toetscode>DMT</toetscode>
      <osoresultaat/></resultaat></resultaten></toetsafname>
</toetsafnames>"""
    out = {
        "leerresultaten_verzoek": f'<leerresultaten_verzoek xmlns="{LR}">{LR_SCHOOL}{afnames}'
        f"{TOETSEN}</leerresultaten_verzoek>",
        "leerresultaten_verzoek-schoolkey": f'<leerresultaten_verzoek xmlns="{LR}"><school>'
        "<schooljaar>2026-2027</schooljaar><schoolkey>s</schoolkey>"
        "<aanmaakdatum>2026-11-02T10:00:00</aanmaakdatum><xsdversie>2.2</xsdversie></school>"
        "<toetsafnames><toetsafname><leerlingid>1</leerlingid><resultaten>"
        '<resultaat key="r"><afnamedatum>2026-10-30</afnamedatum><toetscode>T</toetscode>'
        "<score>0</score></resultaat></resultaten></toetsafname></toetsafnames>"
        "<toetsen><toets><toetscode>T</toetscode></toets></toetsen></leerresultaten_verzoek>",
        # anderresultaat: its type is abstract with no derivation, so never valid
        "leerresultaten_verzoek-anderresultaat": f'<leerresultaten_verzoek xmlns="{LR}">'
        "<school><schooljaar>2026-2027</schooljaar><brincode>99AB</brincode>"
        "<aanmaakdatum>2026-11-02T10:00:00</aanmaakdatum><xsdversie>2.2</xsdversie></school>"
        "<toetsafnames><toetsafname><leerlingid>1</leerlingid><resultaten>"
        '<resultaat key="r"><afnamedatum>2026-10-30</afnamedatum><toetscode>T</toetscode>'
        "<anderresultaat><andere_score>7</andere_score></anderresultaat></resultaat>"
        "</resultaten></toetsafname></toetsafnames>"
        "<toetsen><toets><toetscode>T</toetscode></toets></toetsen></leerresultaten_verzoek>",
        "leerresultaten_bevestiging": f'<leerresultaten_bevestiging xmlns="{LR}"/>',
    }
    return out
