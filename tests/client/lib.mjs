// What the client checks share: failing with the check's name, and a GraphQL call over HTTP
// whose errors fail the check.

/** `fail(message)` and `graphql(credential, query, variables)` for the check `name` against `base`. */
export function checker(name, base) {
  function fail(message) {
    console.error(`${name}: ${message}`);
    process.exit(1);
  }

  async function graphql(credential, query, variables) {
    const response = await fetch(`${base}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${credential}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = await response.json();
    if (body.errors) fail(`${query.slice(0, 40)}... answered ${JSON.stringify(body.errors)}`);
    return body.data;
  }

  return { fail, graphql };
}
