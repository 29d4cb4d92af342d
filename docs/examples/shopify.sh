#!/usr/bin/env bash
# A Shopify delivery by hand against `partnergraph serve --demo` (docs/demo.md): find the demo
# Shopify connector's endpoint, send a signed `orders/create` (attributed by the demo code
# MAYA15), send it again (DUPLICATE), send it forged (401), then read the conversion.
# Run: bash docs/examples/shopify.sh   (PG=http://127.0.0.1:8080 by default; needs curl, python3,
# openssl)
set -euo pipefail
. "$(dirname "$0")/lib/gql.sh"
SECRET=shpss_demo0shopify0webhook0secret0not0secret   # the demo connector's published secret
ADMIN=$(login admin@glow.example)
RUN=$(date +%s)   # a fresh order id each run

ENDPOINT=$(gql "$ADMIN" '{ connectors(first: 1) { nodes { endpointUrl } } }' |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["connectors"]["nodes"][0]["endpointUrl"])')
URL="$PG/connect/${ENDPOINT#*/connect/}"

NOW=$(date -u +%Y-%m-%dT%H:%M:%SZ)
BODY="{\"id\": $RUN, \"processed_at\": \"$NOW\", \"currency\": \"USD\", \"subtotal_price\": \"42.00\",
  \"email\": \"jane-$RUN@example.com\", \"discount_codes\": [{\"code\": \"MAYA15\"}],
  \"landing_site\": \"/products/serum\"}"
SIG=$(printf '%s' "$BODY" | openssl dgst -sha256 -hmac "$SECRET" -binary | base64)

deliver() {   # deliver SIGNATURE: sets STATUS (the HTTP status) and ANSWER (the body)
  ANSWER=$(curl -sS -w '\n%{http_code}' "$URL" \
    -H 'content-type: application/json' -H 'X-Shopify-Topic: orders/create' \
    -H "X-Shopify-Hmac-Sha256: $1" -d "$BODY")
  STATUS=${ANSWER##*$'\n'}
  ANSWER=${ANSWER%$'\n'*}
}

deliver "$SIG"
echo "$STATUS $ANSWER"                 # 200 {"conversionId":"...","status":"ACCEPTED"}
[ "$STATUS" = 200 ] && [[ $ANSWER == *ACCEPTED* ]]
deliver "$SIG"
echo "$STATUS $ANSWER"                 # 200 {"conversionId":"...","status":"DUPLICATE"}: Shopify retries
[ "$STATUS" = 200 ] && [[ $ANSWER == *DUPLICATE* ]]
deliver "bm90IHRoZSBzaWduYXR1cmU="
echo "$STATUS (forged signature)"      # 401 UNAUTHENTICATED: nothing stored
[ "$STATUS" = 401 ]

# The order as a conversion, attributed by its code.
gql "$ADMIN" '{ conversions(first: 1, filter: {method: CODE}) { totalCount } }' >/dev/null
gql "$ADMIN" "{ connectors(first: 1) { nodes { name deliveredCount errorCount lastDeliveryAt } } }"
