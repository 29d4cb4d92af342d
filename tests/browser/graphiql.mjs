// GraphiQL in a real browser, offline: headless Chromium opens /graphiql on a running
// `partnergraph serve --demo`, signs in with the page's form (prefilled with the demo admin),
// runs a query and checks the JSON in the result pane (the request carried the token), sees the
// token refreshed before it expires (the page's clock moved on 14.5 minutes), opens the docs
// explorer and gets completion (the schema was introspected with the token), runs a
// subscription over /graphql/ws and sees a conversion that the demo integrator records, and
// finds no token in localStorage or sessionStorage. Every request to a host other than
// 127.0.0.1 is blocked and fails the test, and so does any console error or uncaught exception
// (a CSP refusal, a script that did not load: "GraphiQL is not defined").
//
//   node graphiql.mjs <http base URL>      (CHROMIUM=/path/to/chromium, default /usr/bin/chromium)

import { chromium } from "playwright-core";

const base = process.argv[2];
if (!base) {
  console.error("usage: node graphiql.mjs <http base URL>");
  process.exit(2);
}
const ALLOWED_HOST = "127.0.0.1";
const DEMO_EMAIL = "admin@glow.example";
const DEMO_BRAND = "Glow Botanics (demo)";
const DEMO_API_KEY = "pg_demo0integrator0key0for0local0testing0only0";
const STEP_TIMEOUT_MS = 15_000;
const started = Date.now();

function step(name) {
  console.log(`--- ${name} (${((Date.now() - started) / 1000).toFixed(1)}s)`);
}

function fail(message) {
  throw new Error(message);
}

const offHost = []; // every request that left for another host
const consoleErrors = []; // console errors and uncaught exceptions

function isOffHost(url) {
  const { protocol, hostname } = new URL(url);
  return ["http:", "https:", "ws:", "wss:"].includes(protocol) && hostname !== ALLOWED_HOST;
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  // Root in CI has no user namespace for the sandbox; DNS for any other host fails too.
  args: ["--no-sandbox", `--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE ${ALLOWED_HOST}`],
});
try {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  await page.route("**/*", (route) => {
    const url = route.request().url();
    if (isOffHost(url)) {
      offHost.push(url);
      return route.abort("blockedbyclient");
    }
    return route.continue();
  });
  page.on("websocket", (socket) => {
    if (isOffHost(socket.url())) offHost.push(socket.url());
  });
  page.on("request", (request) => {
    if (isOffHost(request.url()) && !offHost.includes(request.url())) offHost.push(request.url());
  });
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(message.text());
  });
  page.on("pageerror", (error) => consoleErrors.push(`uncaught: ${error.message}`));
  let refreshes = 0; // refreshSession requests the page sent
  page.on("request", (request) => {
    if (request.postData()?.includes("refreshSession")) refreshes += 1;
  });

  // A clock the test can move, to see the page refresh its access token before it expires.
  await page.clock.install();

  step("open /graphiql");
  await page.goto(`${base}/graphiql`);
  await page.locator(".graphiql-container").waitFor();
  const email = await page.locator('#sign-in input[name="email"]').inputValue();
  if (email !== DEMO_EMAIL) fail(`the sign-in form is prefilled with ${JSON.stringify(email)}`);

  step("sign in with the page's form");
  await page.locator('#sign-in button[type="submit"]').click();
  await page.locator("#who", { hasText: DEMO_EMAIL }).waitFor();
  if (await page.locator("#sign-in").isVisible()) fail("the sign-in form is still shown");

  step("run a query");
  await setQuery(page, "{ viewer { email role brand { name } } creators(first: 3) { totalCount } }");
  const sent = page.waitForRequest((request) => request.postData()?.includes("creators(first: 3)"));
  await page.locator(".graphiql-execute-button").click();
  const authorization = (await sent).headers().authorization;
  if (!authorization?.startsWith("Bearer ")) fail(`the query went without a token: ${authorization}`);
  const answer = await resultJson(page, (json) => json.data || json.errors);
  if (answer.errors) fail(`the query answered errors: ${JSON.stringify(answer.errors)}`);
  const { viewer, creators } = answer.data;
  if (viewer.email !== DEMO_EMAIL || viewer.role !== "ADMIN" || viewer.brand.name !== DEMO_BRAND) {
    fail(`unexpected viewer ${JSON.stringify(viewer)}`);
  }
  if (!(creators.totalCount >= 40)) fail(`unexpected creators ${JSON.stringify(creators)}`);
  console.log(`    viewer ${viewer.email} (${viewer.role}) of ${viewer.brand.name}, ${creators.totalCount} creators`);

  step("the token is refreshed before it expires");
  const refreshed = page.waitForResponse((response) =>
    response.request().postData()?.includes("refreshSession"),
  );
  await page.clock.fastForward("14:30"); // access tokens live 15 minutes
  await refreshed;
  const again = page.waitForRequest((request) => request.postData()?.includes("creators(first: 3)"));
  await page.locator(".graphiql-execute-button").click();
  const request = await again;
  const renewed = request.headers().authorization;
  if (!renewed?.startsWith("Bearer ") || renewed === authorization) {
    fail("the query after the refresh did not carry a new token");
  }
  const reply = await (await request.response()).json();
  if (reply.data?.viewer?.email !== DEMO_EMAIL) fail(`with the new token: ${JSON.stringify(reply)}`);

  // The page's clock is now 14.5 minutes ahead of the server's: the new token's refresh is due
  // in about 14 minutes of its lifetime, not at once (a page that trusted expiresAt against its
  // own clock refreshed in a loop until the per-IP limit refused it).
  if (refreshes !== 1) fail(`${refreshes} refreshes after the clock moved on, not 1`);

  step("docs explorer (the schema was introspected)");
  await page.locator('[aria-label="Show Documentation Explorer"]').click();
  const docs = page.locator(".graphiql-doc-explorer");
  for (const root of ["Query", "Mutation", "Subscription"]) {
    await docs.getByText(root, { exact: true }).first().waitFor();
  }

  step("completion from the schema");
  await setQuery(page, "{\n  \n}");
  await page.evaluate(() => {
    const editor = document.querySelector(".graphiql-query-editor .CodeMirror").CodeMirror;
    editor.focus();
    editor.setCursor({ line: 1, ch: 2 });
  });
  await page.keyboard.type("viewe");
  await page.locator(".CodeMirror-hint", { hasText: "viewer" }).first().waitFor();
  await page.keyboard.press("Escape");

  step("a subscription over /graphql/ws");
  const externalId = `browser-test-${Date.now()}`;
  const frames = []; // graphql-transport-ws messages, "> " sent and "< " received
  page.on("websocket", (socket) => {
    if (new URL(socket.url()).pathname !== "/graphql/ws") return;
    socket.on("framesent", (frame) => frames.push(`> ${frame.payload}`));
    socket.on("framereceived", (frame) => frames.push(`< ${frame.payload}`));
  });
  await setQuery(page, "subscription { conversionRecorded { externalId kind } }");
  await page.locator(".graphiql-execute-button").click();
  await until(() => frames.some((f) => f.startsWith("> ") && f.includes('"subscribe"')),
    () => `no subscribe message over /graphql/ws; frames: ${frames.join(" ")}`);
  // The server sets the subscription up when it reads the message; give it a moment.
  await page.waitForTimeout(300);
  await recordConversion(externalId);
  const event = await resultJson(page, (json) => json.data?.conversionRecorded?.externalId === externalId);
  console.log(`    received conversionRecorded ${event.data.conversionRecorded.externalId}`);
  await page.locator(".graphiql-execute-button").click(); // stop the subscription

  step("the session stayed in memory");
  const stored = await page.evaluate(() =>
    JSON.stringify([{ ...localStorage }, { ...sessionStorage }]),
  );
  if (stored.includes("Bearer") || /eyJ[\w-]+\.eyJ/.test(stored)) {
    fail("a token was written to localStorage or sessionStorage");
  }
  if (refreshes !== 1) fail(`${refreshes} refreshes by the end of the test, not 1`);
} catch (error) {
  consoleErrors.length && console.error(`console errors so far:\n  ${consoleErrors.join("\n  ")}`);
  console.error(`browser test failed: ${error.message}`);
  await browser.close();
  process.exit(1);
}
await browser.close();

step("nothing left for another host, no console error");
if (offHost.length) {
  console.error(`requests to hosts other than ${ALLOWED_HOST}:\n  ${[...new Set(offHost)].join("\n  ")}`);
  process.exit(1);
}
if (consoleErrors.length) {
  console.error(`console errors:\n  ${consoleErrors.join("\n  ")}`);
  process.exit(1);
}
console.log(`browser test passed in ${((Date.now() - started) / 1000).toFixed(1)}s`);

/** The text of the CodeMirror editor `selector` holds (null when there is none). */
async function editorValue(page, selector) {
  return page.evaluate((selector) => {
    const editor = document.querySelector(`${selector} .CodeMirror`);
    return editor ? editor.CodeMirror.getValue() : null;
  }, selector);
}

/** Replaces the operation in the query editor, as typing it would. */
async function setQuery(page, query) {
  await page.evaluate((query) => {
    document.querySelector(".graphiql-query-editor .CodeMirror").CodeMirror.setValue(query);
  }, query);
  // GraphiQL reads the operations from the editor after a short debounce.
  await page.waitForTimeout(400);
}

/** Waits until `done()` holds, failing with `why()` after the step timeout. */
async function until(done, why) {
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  while (!done()) {
    if (Date.now() > deadline) fail(why());
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The result pane's JSON, once `done(json)` holds for it. */
async function resultJson(page, done) {
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  let text = null;
  while (Date.now() < deadline) {
    text = await editorValue(page, ".result-window");
    try {
      const json = text ? JSON.parse(text) : null;
      if (json && done(json)) return json;
    } catch {
      // Not complete JSON yet.
    }
    await page.waitForTimeout(100);
  }
  return fail(`the result pane did not show the expected answer; it shows: ${text}`);
}

/** The demo integrator records one sale (from this process, not the page). */
async function recordConversion(externalId) {
  const response = await fetch(`${base}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${DEMO_API_KEY}` },
    body: JSON.stringify({
      query: "mutation ($c: [ConversionInput!]!) { recordConversions(conversions: $c) { results { status } } }",
      variables: {
        c: [{ externalId, kind: "SALE", amount: "19.00", occurredAt: new Date().toISOString() }],
      },
    }),
  });
  const body = await response.json();
  const status = body.data?.recordConversions?.results?.[0]?.status;
  if (status !== "ACCEPTED") fail(`recordConversions answered ${JSON.stringify(body)}`);
}
