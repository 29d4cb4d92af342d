#!/usr/bin/env bash
# Staff examples against `partnergraph serve --demo` (docs/demo.md): sign in, the roster, the
# campaigns, computed ROI for the last 30 days, the top 5 creators by revenue, and the audit log.
# Run: bash docs/examples/staff.sh   (PG=http://127.0.0.1:8080 by default; needs curl, python3)
set -euo pipefail
. "$(dirname "$0")/lib/gql.sh"

# Sign in as the demo admin and keep the access token.
TOKEN=$(login admin@glow.example)

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

# The audit log (ADMIN only): who changed what, newest first; here the fraud rules' settings.
gql "$TOKEN" '{ auditLog(filter: { operation: "updateFraudRule" }, first: 5) {
  totalCount edges { node { actorRole operation targetType createdAt
    changes { field oldValue newValue } } } } }'
