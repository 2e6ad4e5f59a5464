// UWLR Leerlinggegevens with node-soap, as a partner developer in JavaScript would call a LAS.
// Usage: node las_client.cjs SOAP_FOLDER WSDL ENDPOINT KEY KLANTCODE KLANTNAAM BRINCODE DEPENDANCECODE SCHOOLJAAR
// SOAP_FOLDER holds node_modules/soap; WSDL is the LAS's ?wsdl URL or the official
// UWLR_Leerlinggegevens_v2p2.wsdl (a file path: it imports ../Schemas/*.xsd); every port is
// pointed at ENDPOINT. Prints JSON: per call {ok, action, value} or {ok: false, fault, …}.
"use strict";
const { loadSoap, uwlrClient, setAutorisatie, asList, attr, attempt, stubs, emit } = require("./common.cjs");

// The service and ports of the official UWLR_Leerlinggegevens_v2p2.wsdl: HaalLeerlinggegevens on
// prtLeerlinggegevensService, the stepwise (getrapt) operations on prtLeerlinggegevensService-getrapt.
const SERVICE = "LeerlinggegevensService";
const PORT = "prtLeerlinggegevensService";
const GETRAPT = "prtLeerlinggegevensService-getrapt";
const STRUCTUUR_ACTION = "http://www.edustandaard.nl/leerresultaten/2/leerlinggegevens/structuur_verzoek";

function content(antwoord, data) {
  if (antwoord && antwoord[data] !== undefined) return { kind: data, data: antwoord[data] };
  return { kind: Object.keys(antwoord || {}).filter((k) => k !== "attributes").join(","), data: null };
}

function school(d) {
  const s = d.school || {};
  return { brincode: s.brincode ?? null, dependancecode: s.dependancecode ?? null, schooljaar: s.schooljaar ?? null };
}

function groepen(d) {
  const g = d.groepen || {};
  return {
    groepen: asList(g.groep).map((x) => attr(x, "key")),
    samengestelde_groepen: asList(g.samengestelde_groep).map((x) => attr(x, "key")),
  };
}

function leerlingen(d) {
  return asList(d.leerlingen && d.leerlingen.leerling).map((l) => ({
    key: attr(l, "key"),
    eckid: attr(l, "eckid") ?? null,
    voornamen: l.voornamen ?? null,
    instroomdatum: l.instroomdatum ?? null,
    achternaam: l.achternaam ?? null,
    voorvoegsel: l.voorvoegsel ?? null,
    roepnaam: l.roepnaam ?? null,
    geboortedatum: l.geboortedatum ?? null,
    groep: l.groep ? attr(l.groep, "key") : null,
    samengestelde_groepen: asList(l.samengestelde_groepen && l.samengestelde_groepen.samengestelde_groep)
      .map((g) => attr(g, "key")),
  }));
}

function leerkrachten(d) {
  return asList(d.leerkrachten && d.leerkrachten.leerkracht).map((k) => attr(k, "key"));
}

function isoDate(value) {
  // node-soap turns xs:date into a Date; the wire text was YYYY-MM-DD.
  return value instanceof Date ? value.toISOString().slice(0, 10) : value;
}

async function main() {
  const [folder, wsdl, endpoint, key, klantcode, klantnaam, brincode, dependancecode, schooljaar] =
    process.argv.slice(2);
  const soap = loadSoap(folder);
  const client = await uwlrClient(soap, wsdl, endpoint);
  setAutorisatie(client, key, klantcode, klantnaam);
  const verzoek = { schooljaar, brincode, dependancecode, xsdversie: "2.2" };
  const pupils = (d) => leerlingen(d).map((l) => ({
    ...l, geboortedatum: isoDate(l.geboortedatum), instroomdatum: isoDate(l.instroomdatum),
  }));
  const results = { stubs: stubs(client) };

  results.HaalLeerlinggegevens = await attempt(client, [SERVICE, PORT, "HaalLeerlinggegevens"], verzoek, (a) => {
    const { kind, data } = content(a, "leerlinggegevens");
    if (!data) return { kind };
    return { kind, school: school(data), ...groepen(data), leerlingen: pupils(data), leerkrachten: leerkrachten(data) };
  });
  results.HaalStructuur = await attempt(client, [SERVICE, GETRAPT, "HaalStructuur"], verzoek, (a) => {
    const { kind, data } = content(a, "leerlinggegevens-structuur");
    return data ? { kind, school: school(data), ...groepen(data) } : { kind };
  });
  // The getrapt follow-ups ask for the groups HaalStructuur listed, as a stepwise client does.
  const structuur = results.HaalStructuur.value || {};
  const perGroep = {
    ...verzoek,
    groepen: {
      groep: (structuur.groepen || []).map((k) => ({ attributes: { key: k } })),
      samengestelde_groep: (structuur.samengestelde_groepen || []).map((k) => ({ attributes: { key: k } })),
    },
  };
  results.HaalLeerlingen = await attempt(client, [SERVICE, GETRAPT, "HaalLeerlingen"], perGroep, (a) => {
    const { kind, data } = content(a, "leerlinggegevens-leerlingen");
    return data ? { kind, school: school(data), leerlingen: pupils(data) } : { kind };
  });
  results.HaalLeerkrachten = await attempt(client, [SERVICE, GETRAPT, "HaalLeerkrachten"], perGroep, (a) => {
    const { kind, data } = content(a, "leerlinggegevens-leerkrachten");
    return data ? { kind, school: school(data), leerkrachten: leerkrachten(data) } : { kind };
  });

  // A key the LAS never issued (same shape as the real one).
  setAutorisatie(client, key.slice(0, 4) + "x".repeat(Math.max(8, key.length - 4)), klantcode, klantnaam);
  results.wrong_key = await attempt(client, [SERVICE, PORT, "HaalLeerlinggegevens"], verzoek, (a) => content(a, "leerlinggegevens").kind);

  // The HaalLeerlinggegevens body sent with HaalStructuur's SOAPAction.
  setAutorisatie(client, key, klantcode, klantnaam);
  results.wrong_action = await attempt(client, [SERVICE, PORT, "HaalLeerlinggegevens"], verzoek,
    (a) => content(a, "leerlinggegevens").kind, { SOAPAction: `"${STRUCTUUR_ACTION}"` });

  emit(results);
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error) + "\n");
  process.exit(1);
});
