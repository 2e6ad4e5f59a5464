// UWLR Leerresultaten (BrengLeerresultaten) with node-soap, as a toetsleverancier in JavaScript
// would send results to Schoolkr8.
// Usage: node schoolkr8_client.cjs SOAP_FOLDER WSDL ENDPOINT KEY KLANTCODE KLANTNAAM BRINCODE
//             DEPENDANCECODE SCHOOLJAAR LEERLINGID_SCORE LEERLINGID_OSO RESULTAAT_PREFIX
// Sends one plain score (resultaat@key PREFIX-score) and one osoresultaat (PREFIX-oso), then the
// same with a wrong key and with a wrong SOAPAction (PREFIX-wrong-key, PREFIX-wrong-action).
// Prints JSON per call, as las_client.cjs does.
"use strict";
const { loadSoap, uwlrClient, setAutorisatie, attempt, stubs, emit } = require("./common.cjs");

// The service and port of the official UWLR_Leerresultaten_v2p2.wsdl.
const SERVICE = "LeerresultatenService";
const PORT = "prtLeerresultatenService";

function verzoek(schooljaar, brincode, dependancecode, leerlingid, resultaat) {
  return {
    school: {
      schooljaar,
      brincode,
      dependancecode,
      aanmaakdatum: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
      xsdversie: "2.2",
    },
    toetsafnames: { toetsafname: [{ leerlingid, resultaten: { resultaat: [resultaat] } }] },
    toetsen: { toets: [{ toetscode: "REK-M5", toetsnaam: "Rekenen-Wiskunde M5", leerjaar: "5" }] },
  };
}

function score(key) {
  return { attributes: { key }, afnamedatum: "2025-01-20", toetscode: "REK-M5", score: 37 };
}

function oso(key) {
  return {
    attributes: { key },
    afnamedatum: "2025-01-21",
    toetscode: "REK-M5",
    osoresultaat: {
      toetsscore: { aantalgoed: 41, vaardigheidsscore: "187.5" },
      referentiescore: [
        { codereferentiescore: "percentiel", codevergelijkingsgroep: "landelijk", waarde: "63" },
        { codereferentiescore: "niveau", codevergelijkingsgroep: "landelijk", waarde: "II" },
      ],
    },
  };
}

async function main() {
  const [folder, wsdl, endpoint, key, klantcode, klantnaam, brincode, dependancecode, schooljaar,
    leerlingScore, leerlingOso, prefix] = process.argv.slice(2);
  const soap = loadSoap(folder);
  const client = await uwlrClient(soap, wsdl, endpoint);
  setAutorisatie(client, key, klantcode, klantnaam);
  const bevestiging = (answer) => (answer === null || answer === undefined ? "leeg" : "leerresultaten_bevestiging");
  const send = (leerlingid, resultaat, extraHeaders) => attempt(client, [SERVICE, PORT, "BrengLeerresultaten"],
    verzoek(schooljaar, brincode, dependancecode, leerlingid, resultaat), bevestiging, extraHeaders);
  const results = { stubs: stubs(client) };

  results.score = await send(leerlingScore, score(`${prefix}-score`));
  results.osoresultaat = await send(leerlingOso, oso(`${prefix}-oso`));

  // A key Schoolkr8 never issued (same shape as the real one).
  setAutorisatie(client, key.slice(0, 4) + "x".repeat(Math.max(8, key.length - 4)), klantcode, klantnaam);
  results.wrong_key = await send(leerlingScore, score(`${prefix}-wrong-key`));

  // A valid message with the right key, sent with a LAS operation's SOAPAction.
  setAutorisatie(client, key, klantcode, klantnaam);
  results.wrong_action = await send(leerlingScore, score(`${prefix}-wrong-action`), { SOAPAction: '"HaalLeerlinggegevens"' });

  emit(results);
}

main().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error) + "\n");
  process.exit(1);
});
