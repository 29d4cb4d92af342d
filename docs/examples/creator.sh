#!/usr/bin/env bash
# Creator examples against `partnergraph serve --demo` (docs/demo.md): sign in as a creator, read
# its earnings, its links and its own performance.
# Run: bash docs/examples/creator.sh   (PG=http://127.0.0.1:8080 by default; needs curl, python3)
set -euo pipefail
PG=${PG:-http://127.0.0.1:8080}

# gql TOKEN QUERY [VARIABLES]: POST one GraphQL request, print the answer; fail on "errors".
gql() {
  local body
  body=$(python3 -c 'import json, sys; print(json.dumps({"query": sys.argv[1], "variables": json.loads(sys.argv[2])}))' "$2" "${3:-{\}}")
  curl -sS "$PG/graphql" -H 'content-type: application/json' \
    ${1:+-H "authorization: Bearer $1"} -d "$body" |
    python3 -c 'import json, sys; a = json.load(sys.stdin); print(json.dumps(a, indent=1)); sys.exit(1 if a.get("errors") else 0)'
}

TOKEN=$(gql "" 'mutation { login(email: "maya@example.com", password: "demo-password-2026") { accessToken } }' |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["login"]["accessToken"])')

# Earnings by status, per brand.
gql "$TOKEN" '{ myEarnings { totals { currencyCode pending approved paid }
  byBrand { brand { name } pending { amount } approved { amount } paid { amount } } } }'

# Links and where they lead.
gql "$TOKEN" '{ myLinks { code shortUrl destinationUrl campaign { name } } }'

# Own numbers over the last 30 days (no ROI: the brand's margin is not the creator's to see).
FROM=$(date -u -d '30 days ago' +%Y-%m-%dT00:00:00Z)
TO=$(date -u -d 'tomorrow' +%Y-%m-%dT00:00:00Z)
gql "$TOKEN" 'query ($from: DateTime!, $to: DateTime!) {
  myPerformance(from: $from, to: $to) { clicks sales revenue { amount } commissions { amount } } }' \
  "{\"from\": \"$FROM\", \"to\": \"$TO\"}"
