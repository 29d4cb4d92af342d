// Stripe deliveries signed by Stripe's own Node library (npm `stripe`,
// `webhooks.generateTestHeaderString`), sent to the demo Stripe connector of a running server, as
// Stripe would send them.
//
//   node stripe.mjs <http base URL> <ADMIN access token>
//
// A visitor follows a demo tracking link (the redirect appends `pg_click`), pays through Checkout
// with that click id as `client_reference_id`, and Stripe then refunds part of the charge:
//  - the signed `checkout.session.completed` is ACCEPTED and attributed by its click (CLICK), and sent
//    again (Stripe retries) is a DUPLICATE;
//  - the same event signed six minutes ago, or with another secret, is refused with 401;
//  - the signed `charge.refunded` refunds the conversion.
// Exits 0 when all of that holds, 1 otherwise.

import { readFileSync } from "node:fs";
import Stripe from "stripe";
import { checker } from "./lib.mjs";

const [base, token] = process.argv.slice(2);
if (!base || !token) {
  console.error("usage: node stripe.mjs <http base URL> <admin token>");
  process.exit(2);
}
// The demo connector's published secret (docs/demo.md).
const SECRET = "whsec_demo0stripe0webhook0secret0not0secret";
const fixtures = new URL("../fixtures/stripe/", import.meta.url);
const stripe = new Stripe("sk_test_not_used_no_request_is_made");
const run = Date.now();

const { fail, graphql: graphqlAs } = checker("stripe", base);
const graphql = (query, variables) => graphqlAs(token, query, variables);

/** A fixture event made this run's own: fresh event, session and payment intent ids. */
function event(file, edit) {
  const value = JSON.parse(readFileSync(new URL(file, fixtures), "utf8"));
  value.id = `evt_client_${run}_${file.length}`;
  value.created = Math.floor(Date.now() / 1000);
  edit(value.data.object);
  return JSON.stringify(value);
}

async function deliver(endpoint, payload, header) {
  const response = await fetch(endpoint, {
    method: "POST",
    headers: { "content-type": "application/json", "stripe-signature": header },
    body: payload,
  });
  return { status: response.status, body: await response.text() };
}

const connectors = await graphql("{ connectors(first: 20) { nodes { kind endpointUrl } } }");
const connector = connectors.connectors.nodes.find((node) => node.kind === "STRIPE");
if (!connector) fail("the demo has no Stripe connector");
const endpoint = `${base}${new URL(connector.endpointUrl).pathname}`;

// A visitor's click on a demo link: the redirect's Location carries the click id.
const links = await graphql('{ trackingLinks(first: 1) { nodes { shortUrl } } }');
const redirect = await fetch(`${base}${new URL(links.trackingLinks.nodes[0].shortUrl).pathname}`, {
  redirect: "manual",
  headers: { "user-agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 Safari/537.36" },
});
const click = new URL(redirect.headers.get("location") ?? "", base).searchParams.get("pg_click");
if (!click) fail(`the redirect carried no pg_click (${redirect.status})`);
// Stripe's times are whole seconds: the payment comes in a later second than the click.
await new Promise((resolve) => setTimeout(resolve, 1100));

const paymentIntent = `pi_client_${run}`;
const paid = event("checkout-session-completed.json", (session) => {
  session.id = `cs_test_client_${run}`;
  session.payment_intent = paymentIntent;
  session.client_reference_id = click;
});
const header = stripe.webhooks.generateTestHeaderString({ payload: paid, secret: SECRET });

let answer = await deliver(endpoint, paid, header);
if (answer.status !== 200 || !answer.body.includes("ACCEPTED")) fail(`paid: ${answer.status} ${answer.body}`);
const conversionId = JSON.parse(answer.body).conversionId;
answer = await deliver(endpoint, paid, header);
if (answer.status !== 200 || !answer.body.includes("DUPLICATE")) fail(`retry: ${answer.status} ${answer.body}`);
console.log("checkout.session.completed signed by stripe: ACCEPTED, then DUPLICATE");

const stale = stripe.webhooks.generateTestHeaderString({
  payload: paid,
  secret: SECRET,
  timestamp: Math.floor(Date.now() / 1000) - 6 * 60,
});
const forged = stripe.webhooks.generateTestHeaderString({ payload: paid, secret: "whsec_other" });
for (const [name, bad] of [["six minutes old", stale], ["another secret", forged]]) {
  answer = await deliver(endpoint, paid, bad);
  if (answer.status !== 401) fail(`${name}: ${answer.status} ${answer.body}`);
}
console.log("a stale or forged Stripe-Signature: 401");

const refunded = event("charge-refunded.json", (charge) => {
  charge.id = `ch_client_${run}`;
  charge.payment_intent = paymentIntent;
});
answer = await deliver(
  endpoint,
  refunded,
  stripe.webhooks.generateTestHeaderString({ payload: refunded, secret: SECRET }),
);
if (answer.status !== 200) fail(`refund: ${answer.status} ${answer.body}`);

const found = await graphql(
  `query ($id: ID!) { node(id: $id) { ... on Conversion { externalId clickId
     amount { amount } refundedAmount { amount } attribution { method } } } }`,
  { id: conversionId },
);
const conversion = found.node;
if (conversion?.externalId !== paymentIntent) fail(`no conversion ${paymentIntent}: ${JSON.stringify(found)}`);
if (conversion.clickId !== click || conversion.attribution.method !== "CLICK") {
  fail(`not attributed by its click: ${JSON.stringify(conversion)}`);
}
// The fixture's charge went from 5.00 to 15.00 refunded: this event refunds 10.00.
if (Number(conversion.refundedAmount.amount) !== 10) fail(`the refund was not applied: ${JSON.stringify(conversion)}`);
console.log(
  `conversion ${conversion.externalId}: ${conversion.amount.amount}, refunded ${conversion.refundedAmount.amount}, by CLICK`,
);
