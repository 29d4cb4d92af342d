// A front end on its own origin, in a real browser (docs/browser.md): this script serves
// front-end/ (a static page) from two other origins on loopback, the first listed in the
// server's PARTNERGRAPH_CORS_ORIGINS (tests/browser/run sets it), the second not. Headless
// Chromium opens the page from each:
//
// - allowed origin: the page signs in as the demo admin with the refresh token in the HttpOnly
//   cookie, lists creators and a performance total through cross-origin fetch, refreshes with
//   the cookie alone and writes each result into the DOM, which this script reads. The cookie is
//   HttpOnly, Secure, SameSite=Strict on Path=/graphql, rotated by the refresh, never in
//   document.cookie, and no answer the page received holds a refresh token.
// - refused origin: the browser's own CORS check makes the page's fetch reject ("Failed to
//   fetch" in the DOM, a CORS error in the console); no cookie is set.
//
//   node cors.mjs <API base URL> <allowed port> <refused port>   (CHROMIUM=/path/to/chromium)

import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { chromium } from "playwright-core";

const [base, allowedPort, refusedPort] = process.argv.slice(2);
if (!base || !allowedPort || !refusedPort) {
  console.error("usage: node cors.mjs <API base URL> <allowed port> <refused port>");
  process.exit(2);
}
const HOST = "127.0.0.1";
const DEMO_EMAIL = "admin@glow.example";
const STEP_TIMEOUT_MS = 15_000;
const started = Date.now();

function step(name) {
  console.log(`--- ${name} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
}

function fail(message) {
  throw new Error(message);
}

/** The static front end: index.html and app.js, nothing else. */
const FILES = {
  "/index.html": ["front-end/index.html", "text/html; charset=utf-8"],
  "/app.js": ["front-end/app.js", "text/javascript; charset=utf-8"],
};

async function serveFrontEnd(port) {
  const server = createServer(async (request, response) => {
    const file = FILES[new URL(request.url, "http://x").pathname];
    if (!file) {
      response.writeHead(404).end();
      return;
    }
    const body = await readFile(new URL(file[0], import.meta.url));
    response.writeHead(200, { "content-type": file[1], "cache-control": "no-store" }).end(body);
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(Number(port), HOST, resolve);
  });
  return server;
}

/** Opens the page from `origin` and waits until it wrote its status. */
async function openFrontEnd(context, origin) {
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  const consoleErrors = [];
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(message.text());
  });
  page.on("pageerror", (error) => consoleErrors.push(`uncaught: ${error.message}`));
  const answers = []; // every answer of the API the page received: [url, set-cookie, body]
  page.on("response", async (response) => {
    if (!response.url().startsWith(base)) return;
    const setCookie = (await response.allHeaders())["set-cookie"] ?? "";
    const body = response.request().method() === "POST" ? await response.text().catch(() => "") : "";
    answers.push({ setCookie, body, sent: response.request().postData() ?? "" });
  });
  await page.goto(`${origin}/index.html?api=${encodeURIComponent(base)}`);
  await page.waitForFunction(() => document.getElementById("status").textContent !== "running");
  const text = async (id) => page.locator(`#${id}`).textContent();
  return { page, consoleErrors, answers, text };
}

const servers = [await serveFrontEnd(allowedPort), await serveFrontEnd(refusedPort)];
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", `--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE ${HOST}`],
});
try {
  step(`the page from the allowed origin http://${HOST}:${allowedPort}`);
  const context = await browser.newContext();
  const allowed = await openFrontEnd(context, `http://${HOST}:${allowedPort}`);
  const status = await allowed.text("status");
  if (status !== "done") fail(`the page reports ${JSON.stringify(status)}`);
  const total = Number(await allowed.text("total"));
  const names = await allowed.page.locator("#creators li").allTextContents();
  if (!(total >= 40) || names.length !== 5 || names.some((name) => !name)) {
    fail(`creators: ${total} in all, listed ${JSON.stringify(names)}`);
  }
  const sales = Number(await allowed.text("sales"));
  const revenue = await allowed.text("revenue");
  if (!(sales > 0) || !/^\d+(\.\d+)? [A-Z]{3}$/.test(revenue)) {
    fail(`performance totals: sales ${sales}, revenue ${JSON.stringify(revenue)}`);
  }
  console.log(`    ${total} creators (${names.join(", ")}); ${sales} sales, revenue ${revenue}`);

  step("the refresh token stayed in the HttpOnly cookie");
  for (const id of ["login-refresh-token", "refresh-refresh-token"]) {
    const shown = await allowed.text(id);
    if (shown !== "null") fail(`#${id} shows ${shown}: the answer held a refresh token`);
  }
  if ((await allowed.text("viewer-after-refresh")) !== DEMO_EMAIL) {
    fail("the access token from the cookie refresh did not work");
  }
  if ((await allowed.text("document-cookie")).includes("pg_refresh")) {
    fail("document.cookie shows the refresh cookie");
  }
  const leaked = allowed.answers.filter((answer) => /pgr_/.test(answer.body) || /pgr_/.test(answer.sent));
  if (leaked.length) fail(`a request or answer of the page held a refresh token: ${JSON.stringify(leaked)}`);
  const cookieValues = allowed.answers
    .map((answer) => /pg_refresh=([^;]+)/.exec(answer.setCookie)?.[1])
    .filter(Boolean);
  if (cookieValues.length !== 2 || cookieValues[0] === cookieValues[1]) {
    fail(`expected the login to set the cookie and the refresh to rotate it: ${cookieValues.length} set`);
  }
  const [cookie] = (await context.cookies(`${base}/graphql`)).filter((c) => c.name === "pg_refresh");
  if (!cookie) fail("the browser kept no pg_refresh cookie (a Secure cookie refused on 127.0.0.1?)");
  const attributes = { httpOnly: cookie.httpOnly, secure: cookie.secure, sameSite: cookie.sameSite, path: cookie.path };
  const expected = { httpOnly: true, secure: true, sameSite: "Strict", path: "/graphql" };
  if (JSON.stringify(attributes) !== JSON.stringify(expected)) {
    fail(`cookie attributes ${JSON.stringify(attributes)}`);
  }
  if (cookie.value !== cookieValues[1]) fail("the browser did not keep the rotated cookie");
  if (allowed.consoleErrors.length) fail(`console errors: ${allowed.consoleErrors.join("; ")}`);

  step(`the same page from the refused origin http://${HOST}:${refusedPort}`);
  const other = await browser.newContext();
  const refused = await openFrontEnd(other, `http://${HOST}:${refusedPort}`);
  const refusal = await refused.text("status");
  if (!/^error: .*Failed to fetch/.test(refusal)) fail(`the page reports ${JSON.stringify(refusal)}`);
  if (!refused.consoleErrors.some((text) => text.includes("CORS policy"))) {
    fail(`no CORS error in the console: ${JSON.stringify(refused.consoleErrors)}`);
  }
  if ((await refused.page.locator("#creators li").count()) !== 0) fail("the refused page listed creators");
  if ((await other.cookies(`${base}/graphql`)).length) fail("the refused origin got a cookie");
  console.log(`    ${refusal}`);
} catch (error) {
  console.error(`browser test failed: ${error.message}`);
  await browser.close();
  servers.forEach((server) => server.close());
  process.exit(1);
}
await browser.close();
servers.forEach((server) => server.close());
console.log(`cross-origin browser test passed in ${((Date.now() - started) / 1000).toFixed(1)}s`);
