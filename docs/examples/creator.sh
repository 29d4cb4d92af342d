#!/usr/bin/env bash
# Creator examples against `partnergraph serve --demo` (docs/demo.md): sign in as a creator, read
# its earnings, its links and its own performance.
# Run: bash docs/examples/creator.sh   (PG=http://127.0.0.1:8080 by default; needs curl, python3)
set -euo pipefail
. "$(dirname "$0")/lib/gql.sh"

TOKEN=$(login maya@example.com)

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
