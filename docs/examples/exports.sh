#!/usr/bin/env bash
# Export examples against `partnergraph serve --demo` (docs/api.md, "Exports"): start a CSV export
# of the last 30 days' conversions, wait for the background worker, download the file from its
# signed link; then a creator's own commissions as JSONL.
# Run: bash docs/examples/exports.sh   (PG=http://127.0.0.1:8080 by default; needs curl, python3)
set -euo pipefail
. "$(dirname "$0")/lib/gql.sh"

TOKEN=$(login analyst@glow.example)
FROM=$(date -u -d '30 days ago' +%Y-%m-%dT00:00:00Z)
TO=$(date -u -d 'tomorrow' +%Y-%m-%dT00:00:00Z)

# wait_for TOKEN ID: polls `export(id:)` until COMPLETED (at most 30 s) and prints its url.
wait_for() {
  for _ in $(seq 60); do
    answer=$(gql "$1" 'query ($id: ID!) { export(id: $id) { status rowCount url error } }' \
      "{\"id\": \"$2\"}")
    status=$(printf '%s' "$answer" | python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["export"]["status"])')
    case $status in
      COMPLETED) printf '%s\n' "$answer" >&2
                 printf '%s' "$answer" | python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["export"]["url"])'
                 return 0 ;;
      FAILED|EXPIRED) printf '%s\n' "$answer" >&2; return 1 ;;
    esac
    sleep 0.5
  done
  echo "export $2 did not complete in time" >&2
  return 1
}

# The demo's own completed export is listed with its link.
gql "$TOKEN" '{ exports(first: 5) { totalCount nodes { id kind format status rowCount expiresAt } } }'

# Start one: conversions of the last 30 days, CSV. It is QUEUED; the worker writes it.
STARTED=$(gql "$TOKEN" 'mutation ($from: DateTime!, $to: DateTime!) {
  startExport(kind: CONVERSIONS, format: CSV, filter: { from: $from, to: $to }) { id status } }' \
  "{\"from\": \"$FROM\", \"to\": \"$TO\"}")
printf '%s\n' "$STARTED"
ID=$(printf '%s' "$STARTED" | python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["startExport"]["id"])')
URL=$(wait_for "$TOKEN" "$ID")

# The signed link needs no credentials; it serves the file for 24 hours.
curl -sS -D - -o /tmp/partnergraph-export-$$.csv "$URL" | grep -i '^content-'
head -3 /tmp/partnergraph-export-$$.csv
python3 -c 'import csv, sys; rows = list(csv.DictReader(open(sys.argv[1]))); print(len(rows), "conversions, first", rows[0]["externalId"], rows[0]["amount"], rows[0]["currencyCode"])' \
  /tmp/partnergraph-export-$$.csv
rm -f /tmp/partnergraph-export-$$.csv

# A tampered link is refused (403).
curl -sS -o /dev/null -w 'tampered link: HTTP %{http_code}\n' "${URL/signature=/signature=x}"

# A creator exports its own commission lines (across its brands), one JSON object per line.
MAYA=$(login maya@example.com)
STARTED=$(gql "$MAYA" 'mutation { startExport(kind: COMMISSIONS, format: JSONL) { id status } }')
printf '%s\n' "$STARTED"
ID=$(printf '%s' "$STARTED" | python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["startExport"]["id"])')
URL=$(wait_for "$MAYA" "$ID")
curl -sS -o /tmp/partnergraph-export-$$.jsonl "$URL"
head -2 /tmp/partnergraph-export-$$.jsonl
rm -f /tmp/partnergraph-export-$$.jsonl
