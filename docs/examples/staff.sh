#!/usr/bin/env bash
# Staff examples against `partnergraph serve --demo` (docs/demo.md): sign in, the roster, the
# campaigns, computed ROI for the last 30 days, and the top 5 creators by revenue.
# Run: bash docs/examples/staff.sh   (PG=http://127.0.0.1:8080 by default; needs curl, python3)
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

# Sign in as the demo admin and keep the access token.
TOKEN=$(gql "" 'mutation { login(email: "admin@glow.example", password: "demo-password-2026") { accessToken } }' |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["login"]["accessToken"])')

gql "$TOKEN" '{ viewer { email role brand { name currencyCode } } }'

# The roster: the 5 creators with the most followers.
gql "$TOKEN" '{ creators(first: 5, orderBy: { field: FOLLOWERS, direction: DESC }) {
  totalCount edges { node { displayName tier channels { platform handle followers } } } } }'

gql "$TOKEN" '{ campaigns(first: 10) { edges { node { name status objective } } } }'

FROM=$(date -u -d '30 days ago' +%Y-%m-%dT00:00:00Z)
TO=$(date -u -d 'tomorrow' +%Y-%m-%dT00:00:00Z)

# Computed ROI of the brand over the last 30 days.
gql "$TOKEN" 'query ($from: DateTime!, $to: DateTime!) {
  performance(filter: { from: $from, to: $to }) {
    totals { clicks uniqueClicks sales revenue { amount currencyCode } spend { amount }
             cpa { amount } roas roi aov { amount } } } }' \
  "{\"from\": \"$FROM\", \"to\": \"$TO\"}"

# The top 5 creators by revenue over the same days.
gql "$TOKEN" 'query ($from: DateTime!, $to: DateTime!) {
  performance(filter: { from: $from, to: $to }, groupBy: [CREATOR], first: 5,
              orderBy: { metric: REVENUE, direction: DESC }) {
    rowCount rows { key { creator { displayName } } metrics { sales revenue { amount } roas } } } }' \
  "{\"from\": \"$FROM\", \"to\": \"$TO\"}"
