// Drives a Mailpit API with the npm client `mailpit-api` (written by others, for Mailpit) and
// prints one JSON object: for every call, whether it succeeded and what it answered.
// Usage: node mailpit_api_check.cjs <folder holding node_modules/mailpit-api> <base URL>
"use strict";
const path = require("node:path");
const { createRequire } = require("node:module");

const [folder, baseURL] = process.argv.slice(2);
const { MailpitClient } = createRequire(path.join(folder, "package.json"))("mailpit-api");
const mailpit = new MailpitClient(baseURL);

async function attempt(results, name, call) {
  try {
    const value = await call();
    results[name] = { ok: true, value: value instanceof Blob ? { size: value.size, type: value.type } : value };
  } catch (error) {
    results[name] = { ok: false, error: String(error && error.message ? error.message : error) };
  }
}

async function main() {
  const results = {};
  await attempt(results, "getInfo", () => mailpit.getInfo());
  await attempt(results, "listMessages", () => mailpit.listMessages());
  await attempt(results, "searchMessages", () => mailpit.searchMessages({ query: "has:attachment" }));
  await attempt(results, "waitForMessage", () =>
    mailpit.waitForMessage({ query: "cc:directie@school.test" }, { timeout: 5000, interval: 100 }));
  await attempt(results, "waitForMessages", () =>
    mailpit.waitForMessages({ query: "to:beheerder", count: 1, exact: true }, { timeout: 5000, interval: 100 }));
  await attempt(results, "getMessageSummary", () => mailpit.getMessageSummary());
  const id = results.getMessageSummary.ok ? results.getMessageSummary.value.ID : "latest";
  await attempt(results, "getMessageHeaders", () => mailpit.getMessageHeaders(id));
  const found = results.searchMessages.ok ? results.searchMessages.value.messages : [];
  const withPart = found.length ? found[0].ID : "latest";
  await attempt(results, "getMessageAttachment", () => mailpit.getMessageAttachment(withPart, "2"));
  await attempt(results, "getMessageSource", () => mailpit.getMessageSource(id));
  await attempt(results, "setReadStatus", () => mailpit.setReadStatus({ IDs: [id], Read: false }));
  await attempt(results, "searchUnread", () => mailpit.searchMessages({ query: "is:unread" }));
  await attempt(results, "setReadStatusSearch", () => mailpit.setReadStatus({ Search: "is:unread", Read: true }));
  await attempt(results, "deleteMessagesBySearch", () => mailpit.deleteMessagesBySearch({ query: "subject:Bevestiging" }));
  await attempt(results, "deleteMessages", () => mailpit.deleteMessages({ IDs: [id] }));
  await attempt(results, "deleteAll", () => mailpit.deleteMessages());
  await attempt(results, "listEmpty", () => mailpit.listMessages());
  process.stdout.write(JSON.stringify(results));
}

main();
