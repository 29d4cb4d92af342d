// The browser flow of docs/browser.md, as a front end on another origin would run it: sign in
// with the refresh token in the HttpOnly cookie (the answer holds none), keep the access token
// in memory only, read creators and a performance total, then refresh with the cookie alone.
// Every call is a cross-origin fetch with `credentials: "include"` (the cookie is sent and
// set). `?api=http://127.0.0.1:PORT` names the API.

const api = new URLSearchParams(location.search).get("api");
const DEMO_EMAIL = "admin@glow.example";
const DEMO_PASSWORD = "demo-password-2026";
const DAY_MS = 86_400_000;

let accessToken = null; // in memory only: never localStorage, never a cookie

function show(id, text) {
  document.getElementById(id).textContent = text;
}

async function graphql(query, variables = {}) {
  const headers = { "content-type": "application/json" };
  if (accessToken) headers.authorization = `Bearer ${accessToken}`;
  const response = await fetch(`${api}/graphql`, {
    method: "POST",
    credentials: "include",
    headers,
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors) {
    throw new Error(body.errors.map((e) => `${e.extensions?.code}: ${e.message}`).join("; "));
  }
  return body.data;
}

async function main() {
  const { login } = await graphql(
    `mutation ($email: String!, $password: String!) {
       login(email: $email, password: $password, refreshTokenInCookie: true) {
         accessToken refreshToken } }`,
    { email: DEMO_EMAIL, password: DEMO_PASSWORD },
  );
  accessToken = login.accessToken;
  show("login-refresh-token", JSON.stringify(login.refreshToken));

  const to = new Date();
  const from = new Date(to.getTime() - 90 * DAY_MS);
  const { creators, performance } = await graphql(
    `query ($filter: PerformanceFilter!) {
       creators(first: 5) { totalCount edges { node { displayName } } }
       performance(filter: $filter) { totals { sales revenue { amount currencyCode } } } }`,
    { filter: { from: from.toISOString(), to: to.toISOString() } },
  );
  show("total", String(creators.totalCount));
  const list = document.getElementById("creators");
  for (const { node } of creators.edges) {
    const item = document.createElement("li");
    item.textContent = node.displayName;
    list.append(item);
  }
  const { sales, revenue } = performance.totals;
  show("sales", String(sales));
  show("revenue", `${revenue.amount} ${revenue.currencyCode}`);

  // The access token would expire in 15 minutes: the cookie alone gets a new pair.
  accessToken = null;
  const { refreshSession } = await graphql(
    "mutation { refreshSession { accessToken refreshToken } }",
  );
  accessToken = refreshSession.accessToken;
  show("refresh-refresh-token", JSON.stringify(refreshSession.refreshToken));
  const { viewer } = await graphql("{ viewer { email } }");
  show("viewer-after-refresh", viewer.email);
  show("document-cookie", JSON.stringify(document.cookie));
}

main().then(
  () => show("status", "done"),
  (error) => show("status", `error: ${error.message}`),
);
