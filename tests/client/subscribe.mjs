// Subscribes to `conversionRecorded` over graphql-ws (graphql-transport-ws) on a running server,
// records a conversion over HTTP with an integrator API key, and exits 0 when the event arrives.
//
//   node subscribe.mjs <http base URL> <staff access token> <API key with INGEST>
//
// Exits 1 when the connection is refused, the recording fails, or no event comes within 5 s.

import { createClient } from "graphql-ws";
import WebSocket from "ws";
import { checker } from "./lib.mjs";

const [base, token, apiKey] = process.argv.slice(2);
if (!base || !token || !apiKey) {
  console.error("usage: node subscribe.mjs <http base URL> <staff token> <api key>");
  process.exit(2);
}
const TIMEOUT_MS = 5000;
const externalId = `client-check-${Date.now()}`;

const { fail } = checker("subscribe", base);

const client = createClient({
  url: `${base.replace(/^http/, "ws")}/graphql/ws`,
  webSocketImpl: WebSocket,
  connectionParams: { Authorization: `Bearer ${token}` },
  retryAttempts: 0,
  lazy: false,
  on: { closed: (event) => event.code !== 1000 && event.code !== 1005 && event.reason && console.error(`closed: ${event.code} ${event.reason}`) },
});

const received = new Promise((resolve, reject) => {
  client.subscribe(
    {
      query: "subscription { conversionRecorded { id externalId kind amount { amount currencyCode } } }",
    },
    {
      next: (result) => {
        if (result.errors) reject(new Error(JSON.stringify(result.errors)));
        const conversion = result.data?.conversionRecorded;
        if (conversion?.externalId === externalId) resolve(conversion);
      },
      error: (error) => reject(error instanceof Error ? error : new Error(JSON.stringify(error))),
      complete: () => reject(new Error("subscription completed before the event")),
    },
  );
});

// The server sets a subscription up when it reads the message; give it a moment.
await new Promise((resolve) => setTimeout(resolve, 500));
const started = Date.now();
const response = await fetch(`${base}/graphql`, {
  method: "POST",
  headers: { "content-type": "application/json", authorization: `Bearer ${apiKey}` },
  body: JSON.stringify({
    query: `mutation ($c: [ConversionInput!]!) { recordConversions(conversions: $c) { results { status } } }`,
    variables: {
      c: [{ externalId, kind: "SALE", amount: "42.00", occurredAt: new Date().toISOString() }],
    },
  }),
});
const body = await response.json();
const status = body.data?.recordConversions?.results?.[0]?.status;
if (status !== "ACCEPTED") fail(`recordConversions answered ${JSON.stringify(body)}`);

const timeout = new Promise((_, reject) =>
  setTimeout(() => reject(new Error(`no event within ${TIMEOUT_MS} ms`)), TIMEOUT_MS),
);
try {
  const conversion = await Promise.race([received, timeout]);
  console.log(`conversionRecorded ${conversion.externalId} (${conversion.id}) received ${Date.now() - started} ms after recording`);
  await client.dispose();
  process.exit(0);
} catch (error) {
  fail(error.message);
}
