#!/usr/bin/env bash
# Creator examples against `partnergraph serve --demo` (docs/demo.md): sign in as a creator, read
# its earnings, its links, its own performance and its mail preferences.
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

# Mail preferences: the "commission approved" mail (in the demo, Leo turned it off).
gql "$TOKEN" '{ myNotificationSettings { commissionApprovedEmails } }'
gql "$TOKEN" 'mutation { updateNotificationSettings(input: { commissionApprovedEmails: true }) {
  commissionApprovedEmails } }'

# Forgot the password: the answer is true whether or not the address has an account. Without
# PARTNERGRAPH_SMTP_URL the demo logs the mail (recipient, subject, the reset link) instead.
gql "" 'mutation { requestPasswordReset(email: "maya@example.com") }'
