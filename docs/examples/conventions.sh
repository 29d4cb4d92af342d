#!/usr/bin/env bash
# GraphQL conventions against `partnergraph serve --demo` (docs/api.md, "Persisted queries, cost
# and GraphQL over HTTP"): an automatic persisted query (an unknown hash, the text registered
# with it, then the hash alone), the cost in `extensions.cost`, and the status codes under
# `Accept: application/graphql-response+json`.
# Run: bash docs/examples/conventions.sh   (PG=http://127.0.0.1:8080 by default; needs curl, python3)
set -euo pipefail
. "$(dirname "$0")/lib/gql.sh"

TOKEN=$(login analyst@glow.example)

# post BODY [ACCEPT]: one request as the analyst, the answer printed as it comes.
post() {
  curl -sS "$PG/graphql" -H 'content-type: application/json' -H "authorization: Bearer $TOKEN" \
    -H "accept: ${2:-application/json}" -d "$1"
}

QUERY='{ campaigns(first: 5) { nodes { name status } } }'
HASH=$(python3 -c 'import hashlib, sys; print(hashlib.sha256(sys.argv[1].encode()).hexdigest())' "$QUERY")
BY_HASH="{\"extensions\": {\"persistedQuery\": {\"version\": 1, \"sha256Hash\": \"$HASH\"}}}"
WITH_TEXT=$(python3 -c 'import json, sys; b = json.loads(sys.argv[1]); b["query"] = sys.argv[2]; print(json.dumps(b))' "$BY_HASH" "$QUERY")

# 1. The hash alone, the first time: PERSISTED_QUERY_NOT_FOUND (unless an earlier run stored it).
post "$BY_HASH" | python3 -c 'import json, sys
a = json.load(sys.stdin)
print(a["errors"][0]["extensions"]["code"] if "errors" in a else "already stored")'

# 2. The text with its hash: runs and registers it. 3. The hash alone now runs it; the cost
# of 5 campaigns is 1 point, and the request budget shows one request fewer.
post "$WITH_TEXT" | python3 -c 'import json, sys; print(json.dumps(json.load(sys.stdin), indent=1))'
post "$BY_HASH" | python3 -c 'import json, sys
a = json.load(sys.stdin); print(json.dumps(a, indent=1))
assert a["extensions"]["cost"]["requestedQueryCost"] == 1, a'

# 4. GraphQL over HTTP: data is 200, a query that does not parse 400, both in the media type asked for.
for QUERY_TEXT in '{ viewer { email } }' '{ viewer { email } '; do
  BODY=$(python3 -c 'import json, sys; print(json.dumps({"query": sys.argv[1]}))' "$QUERY_TEXT")
  curl -sS -o /dev/null -w '%{http_code} %{content_type}\n' "$PG/graphql" \
    -H 'content-type: application/json' -H "authorization: Bearer $TOKEN" \
    -H 'accept: application/graphql-response+json' -d "$BODY"
done
