// The demo's conversions exported as CSV, read back with a third-party CSV parser (npm
// `csv-parse`) and compared, row by row, with what the GraphQL API answers for the same
// conversions, as a brand's analyst would check an export against the dashboard.
//
//   node export.mjs <http base URL> <staff access token>
//
// Starts `startExport(kind: CONVERSIONS, format: CSV)` for all time, waits for the worker,
// downloads the file from its signed link (no credentials), then pages through `conversions`
// and compares every row: the same ids in the same order, and the same external id, kind,
// status, time, amounts, currencies, refund, attribution and owners. Exits 0 when they agree.

import { parse } from "csv-parse/sync";
import { checker } from "./lib.mjs";

const [base, token] = process.argv.slice(2);
if (!base || !token) {
  console.error("usage: node export.mjs <http base URL> <staff token>");
  process.exit(2);
}

const { fail, graphql: graphqlAs } = checker("export", base);
const graphql = (query, variables) => graphqlAs(token, query, variables);

const started = await graphql("mutation { startExport(kind: CONVERSIONS, format: CSV) { id } }");
const id = started.startExport.id;
let exported;
for (let attempt = 0; attempt < 120 && !exported; attempt++) {
  const { export: state } = await graphql(
    "query ($id: ID!) { export(id: $id) { status rowCount url error } }",
    { id },
  );
  if (state.status === "COMPLETED") exported = state;
  else if (state.status === "FAILED" || state.status === "EXPIRED") fail(JSON.stringify(state));
  else await new Promise((resolve) => setTimeout(resolve, 250));
}
if (!exported) fail("the export did not complete within 30 s");

const download = await fetch(`${base}${new URL(exported.url).pathname}${new URL(exported.url).search}`);
if (download.status !== 200) fail(`download: HTTP ${download.status}`);
if (!download.headers.get("content-type")?.startsWith("text/csv")) {
  fail(`content-type ${download.headers.get("content-type")}`);
}
const rows = parse(await download.text(), { columns: true, skip_empty_lines: true });
if (rows.length !== exported.rowCount) fail(`${rows.length} rows, rowCount ${exported.rowCount}`);

// The API's answers, oldest recorded first as the file is.
const api = [];
for (let after = null; ; ) {
  const { conversions } = await graphql(
    `query ($after: String) { conversions(first: 100, after: $after) {
       pageInfo { hasNextPage endCursor }
       nodes { id externalId kind status occurredAt clickId discountCode region newCustomer
               amount { amount currencyCode } brandAmount { amount currencyCode }
               refundedAmount { amount } brandRefundedAmount { amount }
               attribution { method selfReferral enrollment { id } campaign { id } creator { id } offer { id } } } } }`,
    { after },
  );
  api.push(...conversions.nodes);
  if (!conversions.pageInfo.hasNextPage) break;
  after = conversions.pageInfo.endCursor;
}
if (api.length !== rows.length) fail(`the API has ${api.length} conversions, the file ${rows.length}`);

const same = (a, b) => a === b || (a === "" && (b === null || b === undefined));
const time = (text) => new Date(text).getTime();
const empty = (value) => value ?? "";
rows.forEach((row, n) => {
  const node = api[n];
  const a = node.attribution;
  const expected = {
    id: node.id,
    externalId: node.externalId,
    kind: node.kind,
    status: node.status,
    amount: node.amount.amount,
    currencyCode: node.amount.currencyCode,
    brandAmount: node.brandAmount.amount,
    brandCurrencyCode: node.brandAmount.currencyCode,
    refundedAmount: node.refundedAmount.amount,
    brandRefundedAmount: node.brandRefundedAmount.amount,
    newCustomer: String(node.newCustomer),
    region: empty(node.region),
    clickId: empty(node.clickId),
    discountCode: empty(node.discountCode),
    attributionMethod: a.method,
    selfReferral: String(a.selfReferral),
    enrollmentId: empty(a.enrollment?.id),
    campaignId: empty(a.campaign?.id),
    creatorId: empty(a.creator?.id),
    offerId: empty(a.offer?.id),
  };
  for (const [column, value] of Object.entries(expected)) {
    if (!same(row[column], value)) {
      fail(`row ${n + 1} (${node.externalId}) ${column}: file ${JSON.stringify(row[column])}, API ${JSON.stringify(value)}`);
    }
  }
  if (time(row.occurredAt) !== time(node.occurredAt)) {
    fail(`row ${n + 1} occurredAt: file ${row.occurredAt}, API ${node.occurredAt}`);
  }
});
console.log(`${rows.length} exported conversions read by csv-parse agree with the API, column by column`);
