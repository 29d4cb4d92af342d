// Starts GraphiQL on the PartnerGraph page (served by src/http/graphiql.rs) and runs the sign-in
// form of the bar above it. Loaded as a file, not inline, so the page's CSP is script-src 'self'.
//
// The session (access and refresh tokens) lives in this page's memory only: nothing is written
// to localStorage or sessionStorage. The token is the fetcher's header, not text in the Headers
// tab, because GraphiQL's history keeps that tab's text in localStorage. A reload signs out.
"use strict";

(function () {
  const DEFAULT_QUERY = `# Sign in above, then run this (the play button, or Ctrl-Enter).
# The Docs button (top left) lists the whole schema; Ctrl-Space completes.
query Viewer {
  viewer { email role brand { name currencyCode } }
  campaigns(first: 5) { edges { node { name status objective } } }
}

# Subscriptions run over a WebSocket (/graphql/ws); as staff, try:
# subscription { conversionRecorded { externalId kind amount { amount currencyCode } } }
`;
  const SESSION_FIELDS = "accessToken refreshToken expiresAt user { email role }";
  // Refresh the access token this long before it expires, and never sooner than the floor after
  // the last sign-in or refresh (so no clock, however wrong, makes the page refresh in a loop).
  const REFRESH_MARGIN_MS = 60 * 1000;
  const REFRESH_FLOOR_MS = 10 * 1000;

  const form = document.getElementById("sign-in");
  const signedIn = document.getElementById("signed-in");
  const who = document.getElementById("who");
  const status = document.getElementById("status");
  // Without the form (no --dev) the token comes from the Headers tab.
  const hasForm = !form.hidden;
  const root = ReactDOM.createRoot(document.getElementById("graphiql"));
  const subscriptionUrl =
    (location.protocol === "https:" ? "wss:" : "ws:") + "//" + location.host + "/graphql/ws";

  let session = null;
  let refreshTimer = null;

  // The token goes in every HTTP request (introspection included) and in the WebSocket's
  // connection_init payload; GraphiQL merges the Headers tab over both, so a token typed there
  // wins.
  function fetcherFor(token) {
    const auth = token ? { Authorization: "Bearer " + token } : {};
    return GraphiQL.createFetcher({
      url: "/graphql",
      subscriptionUrl: subscriptionUrl,
      headers: auth,
      wsConnectionParams: auth,
    });
  }

  function render() {
    const token = session && session.accessToken;
    root.render(
      React.createElement(GraphiQL, {
        fetcher: fetcherFor(token),
        // Anonymous introspection is refused: with the form, wait for its token before loading
        // the schema; without it, introspect with the Headers tab (the re-fetch button).
        schema: token || !hasForm ? undefined : null,
        shouldPersistHeaders: false,
        defaultQuery: DEFAULT_QUERY,
      }),
    );
  }

  function say(message, isError) {
    status.textContent = message;
    status.className = isError ? "error" : "";
  }

  async function post(query, variables, token) {
    const headers = { "content-type": "application/json" };
    if (token) headers.authorization = "Bearer " + token;
    const response = await fetch("/graphql", {
      method: "POST",
      headers: headers,
      body: JSON.stringify({ query: query, variables: variables }),
    });
    const body = await response.json();
    if (body.errors && body.errors.length) throw new Error(body.errors[0].message);
    return body.data;
  }

  function start(payload) {
    session = payload;
    who.textContent =
      "Signed in as " + payload.user.email + " (" + payload.user.role + "): requests carry its token";
    form.hidden = true;
    signedIn.hidden = false;
    say("", false);
    clearTimeout(refreshTimer);
    const due = lifetimeMs(payload) - REFRESH_MARGIN_MS;
    refreshTimer = setTimeout(refresh, Math.max(due, REFRESH_FLOOR_MS));
    render();
  }

  // How long the new access token lives, counted on the server's clock (its `exp` less its
  // `iat`), so that a page clock ahead of or behind the server's schedules the refresh as well.
  // A token the page cannot read falls back to `expiresAt` on the page's clock.
  function lifetimeMs(payload) {
    try {
      const part = payload.accessToken.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      const claims = JSON.parse(atob(part));
      if (Number.isFinite(claims.exp) && Number.isFinite(claims.iat)) {
        return (claims.exp - claims.iat) * 1000;
      }
    } catch (error) {
      // Not a JWT the page can read: use expiresAt.
    }
    return Date.parse(payload.expiresAt) - Date.now();
  }

  function end(message, isError) {
    clearTimeout(refreshTimer);
    session = null;
    signedIn.hidden = true;
    form.hidden = false;
    say(message, isError);
    render();
  }

  async function refresh() {
    if (!session) return;
    try {
      const data = await post(
        "mutation Refresh($refreshToken: String!) { refreshSession(refreshToken: $refreshToken) { " +
          SESSION_FIELDS + " } }",
        { refreshToken: session.refreshToken },
      );
      start(data.refreshSession);
    } catch (error) {
      end("Session ended: " + error.message + ". Sign in again.", true);
    }
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    const fields = new FormData(form);
    say("Signing in…", false);
    try {
      const data = await post(
        "mutation SignIn($email: String!, $password: String!) { login(email: $email, password: $password) { " +
          SESSION_FIELDS + " } }",
        { email: fields.get("email"), password: fields.get("password") },
      );
      start(data.login);
    } catch (error) {
      say("Sign-in failed: " + error.message, true);
    }
  });

  document.getElementById("sign-out").addEventListener("click", async function () {
    const token = session && session.accessToken;
    try {
      if (token) await post("mutation SignOut { logout }", {}, token);
    } catch (error) {
      // The session is dropped here either way; the token expires on its own.
    }
    end("Signed out.", false);
  });

  render();
})();
