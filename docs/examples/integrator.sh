#!/usr/bin/env bash
# Integrator examples against `partnergraph serve --demo` (docs/demo.md), with the demo API key:
# record a sale (attributed by a demo discount code), refund part of it, send another order by
# postback, then read the change feed.
# Run: bash docs/examples/integrator.sh   (PG=http://127.0.0.1:8080 by default; needs curl, python3)
set -euo pipefail
. "$(dirname "$0")/lib/gql.sh"
KEY=pg_demo0integrator0key0for0local0testing0only0
RUN=$(date +%s)   # a fresh order id each run (a repeated one is answered DUPLICATE)

NOW=$(date -u +%Y-%m-%dT%H:%M:%SZ)

# A batch of one sale, attributed by the code MAYA15.
gql "$KEY" 'mutation ($c: [ConversionInput!]!) { recordConversions(conversions: $c) {
  accepted duplicates rejected
  results { externalId status error { code field } conversion { id attribution { method creator { displayName } } } } } }' \
  "{\"c\": [{\"externalId\": \"example-$RUN\", \"kind\": \"SALE\", \"amount\": \"80.00\",
            \"discountCode\": \"MAYA15\", \"customerKey\": \"example-customer-$RUN\", \"occurredAt\": \"$NOW\"}]}"

# Part of it comes back.
gql "$KEY" 'mutation ($input: RecordRefundInput!) { recordRefund(input: $input) {
  externalId status refundedAmount { amount } } }' \
  "{\"input\": {\"externalId\": \"example-$RUN\", \"refundId\": \"example-refund-$RUN\",
                \"amount\": \"20.00\", \"occurredAt\": \"$NOW\"}}"

# Another order through the postback endpoint (plain JSON, no GraphQL).
curl -sS --fail-with-body "$PG/postback/conversions" -H "authorization: Bearer $KEY" \
  -H 'content-type: application/json' \
  -d "{\"externalId\": \"example-postback-$RUN\", \"kind\": \"SALE\", \"amount\": \"35.00\",
       \"discountCode\": \"LEO15\", \"occurredAt\": \"$NOW\"}"
echo

# The change feed, oldest change first: keep pageInfo.endCursor and pass it as "after" to
# continue where you stopped.
gql "$KEY" '{ conversionChanges(first: 5) { pageInfo { hasNextPage endCursor }
  edges { node { externalId status updatedAt attribution { method } } } } }'
