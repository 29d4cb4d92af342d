// Receives one real webhook delivery from a running server and verifies it with the official
// Standard Webhooks library (npm `standardwebhooks`), as an integrator's receiver would.
//
//   node webhook.mjs <http base URL> <ADMIN access token> <API key with INGEST>
//
// Registers an endpoint on a local port, records a sale with the demo code MAYA15 (attributed,
// so `conversion.attributed` is sent), and exits 0 when the delivery verifies; 1 when it does
// not, or when none arrives within 30 s.

import { createServer } from "node:http";
import { Webhook } from "standardwebhooks";
import { checker } from "./lib.mjs";

const [base, token, apiKey] = process.argv.slice(2);
if (!base || !token || !apiKey) {
  console.error("usage: node webhook.mjs <http base URL> <admin token> <api key>");
  process.exit(2);
}
const TIMEOUT_MS = 30000;
const externalId = `client-webhook-${Date.now()}`;

const { fail, graphql } = checker("webhook", base);

let secret;
const delivered = new Promise((resolve, reject) => {
  const server = createServer((request, response) => {
    const chunks = [];
    request.on("data", (chunk) => chunks.push(chunk));
    request.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      try {
        const event = new Webhook(secret).verify(raw, request.headers);
        response.writeHead(200).end();
        if (event?.data?.conversion?.externalId === externalId) {
          server.close();
          resolve({ event, id: request.headers["webhook-id"] });
        }
      } catch (error) {
        response.writeHead(401).end();
        server.close();
        reject(new Error(`the delivery did not verify: ${error.message}`));
      }
    });
  });
  server.listen(0, "127.0.0.1", () => started(server.address().port).catch(reject));
});

async function started(port) {
  const created = await graphql(
    token,
    `mutation ($url: String!) { createWebhookEndpoint(input: { url: $url, eventTypes: [CONVERSION_ATTRIBUTED] }) { secret } }`,
    { url: `http://127.0.0.1:${port}/hook` },
  );
  secret = created.createWebhookEndpoint.secret;
  const recorded = await graphql(
    apiKey,
    `mutation ($c: [ConversionInput!]!) { recordConversions(conversions: $c) { results { status conversion { attribution { method } } } } }`,
    {
      c: [{ externalId, kind: "SALE", amount: "42.00", discountCode: "MAYA15",
            occurredAt: new Date(Date.now() - 60000).toISOString() }],
    },
  );
  const result = recorded.recordConversions.results[0];
  if (result.conversion?.attribution?.method !== "CODE") fail(`not attributed: ${JSON.stringify(result)}`);
}

const timeout = new Promise((_, reject) =>
  setTimeout(() => reject(new Error(`no delivery within ${TIMEOUT_MS} ms`)), TIMEOUT_MS),
);
try {
  const { event, id } = await Promise.race([delivered, timeout]);
  console.log(`${event.type} ${event.id} (webhook-id ${id}) verified by standardwebhooks`);
  process.exit(0);
} catch (error) {
  fail(error.message);
}
