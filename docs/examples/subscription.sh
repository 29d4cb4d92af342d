#!/usr/bin/env bash
# A subscription against `partnergraph serve --demo` (docs/demo.md): the demo manager subscribes
# to conversionRecorded over GET /graphql/ws (graphql-transport-ws, the token in
# connection_init), the demo integrator records a sale, and the event arrives.
# Run: bash docs/examples/subscription.sh   (PG=http://127.0.0.1:8080 by default; needs curl, python3)
set -euo pipefail
here="$(dirname "$0")"
. "$here/lib/gql.sh"
KEY=pg_demo0integrator0key0for0local0testing0only0
RUN=$(date +%s)

TOKEN=$(login manager@glow.example)

# Subscribe in the background (subscribe.py: Python 3, no packages); one event, then it exits.
events=$(mktemp) ready=$(mktemp)
trap 'rm -f "$events" "$ready"' EXIT
python3 "$here/subscribe.py" --url "$PG" --token "$TOKEN" --count 1 --timeout 10 \
  'subscription { conversionRecorded { externalId kind amount { amount currencyCode } attribution { method } } }' \
  >"$events" 2>"$ready" &
subscriber=$!
for _ in $(seq 1 50); do grep -q '^# subscribed' "$ready" && break; sleep 0.1; done
sleep 0.3   # the server sets the subscription up when it reads the message

# The integrator records a sale with the code LEO15 ...
gql "$KEY" 'mutation ($c: [ConversionInput!]!) { recordConversions(conversions: $c) { accepted } }' \
  "{\"c\": [{\"externalId\": \"subscription-example-$RUN\", \"kind\": \"SALE\", \"amount\": \"54.00\",
            \"discountCode\": \"LEO15\", \"occurredAt\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\"}]}"

# ... and the subscriber prints it.
wait "$subscriber" || { cat "$ready" >&2; exit 1; }
cat "$events"
