// Shared by the node-soap scripts: loading node-soap from the pinned .tools/ folder, the
// autorisatie header, one call with its outcome, and JSON output.
"use strict";
const path = require("node:path");
const { createRequire } = require("node:module");

const NS_AUT = "http://www.edustandaard.nl/leerresultaten/2/autorisatie";

/** node-soap from FOLDER (holding node_modules/soap, installed by koppeling/npmtools.py). */
function loadSoap(folder) {
  return createRequire(path.resolve(folder, "package.json"))("soap");
}

/** A client from WSDL (URL or file path) whose every port goes to ENDPOINT. */
async function uwlrClient(soap, wsdl, endpoint) {
  return soap.createClientAsync(wsdl, { endpoint, wsdl_options: { timeout: 20000 } });
}

/** The aut:autorisatie header, typed by the WSDL's header element. */
function setAutorisatie(client, key, klantcode, klantnaam) {
  client.clearSoapHeaders();
  client.addSoapHeader(
    { autorisatie: { autorisatiesleutel: key, klantcode, klantnaam } },
    "autorisatie",
    "aut",
    NS_AUT,
  );
}

/** A list whatever node-soap made of a repeated element (absent, one object, or an array). */
function asList(value) {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

/** An attribute of an element as node-soap parses it (under `attributes`). */
function attr(element, name) {
  return element && element.attributes ? element.attributes[name] : undefined;
}

/** The operation METHOD of port PORT of service SERVICE, as a stub generated from the WSDL. */
function operation(client, [service, port, method]) {
  const ports = client[service];
  const found = ports && ports[port] && ports[port][method];
  if (!found) {
    throw new Error(`the WSDL has no ${service}.${port}.${method} (it has: ${JSON.stringify(stubs(client))})`);
  }
  return (args, extraHeaders) => new Promise((resolve, reject) => {
    found(args, (error, result) => (error ? reject(error) : resolve(result)), { timeout: 30000 }, extraHeaders);
  });
}

/**
 * Call OPERATION ([service, port, method], as the official WSDL names them) with ARGS and EXTRA
 * HTTP headers; {ok, action, value} or, for a SOAP fault, {ok: false, action, fault: {code,
 * string}, http_status}; any other failure {ok: false, error}.
 */
async function attempt(client, op, args, shape, extraHeaders = {}) {
  let action = null;
  client.lastRequestHeaders = null;
  try {
    const result = await operation(client, op)(args, extraHeaders);
    action = client.lastRequestHeaders ? client.lastRequestHeaders.SOAPAction : null;
    return { ok: true, action, value: shape(result) };
  } catch (error) {
    action = client.lastRequestHeaders ? client.lastRequestHeaders.SOAPAction : null;
    const fault = error && error.root && error.root.Envelope && error.root.Envelope.Body
      ? error.root.Envelope.Body.Fault
      : undefined;
    if (!fault) {
      return { ok: false, action, error: String(error && error.message ? error.message : error) };
    }
    return {
      ok: false,
      action,
      fault: { code: String(fault.faultcode), string: String(fault.faultstring) },
      http_status: error.response ? error.response.status : null,
    };
  }
}

/** The stubs the WSDL gives: service -> port -> sorted operation names. */
function stubs(client) {
  const out = {};
  for (const [service, ports] of Object.entries(client.describe())) {
    out[service] = {};
    for (const [port, ops] of Object.entries(ports)) out[service][port] = Object.keys(ops).sort();
  }
  return out;
}

function emit(results) {
  process.stdout.write(JSON.stringify(results, null, 2) + "\n");
}

module.exports = { NS_AUT, loadSoap, uwlrClient, setAutorisatie, asList, attr, attempt, stubs, emit };
