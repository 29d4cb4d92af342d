#!/usr/bin/env bash
# CSV imports against `partnergraph serve --demo` (docs/demo.md): creators with their channels
# as the demo ADMIN, then a conversion backfill with the demo API key, each uploaded with the
# GraphQL multipart request spec (operations, map, file) and the Apollo-Require-Preflight
# header, then polled until the import is done. Each file has one bad row, reported with its
# line and column; running the script again reports the other rows as duplicates.
# Run: bash docs/examples/imports.sh   (PG=http://127.0.0.1:8080 by default; needs curl, python3)
set -euo pipefail
. "$(dirname "$0")/lib/gql.sh"
HERE=$(dirname "$0")
KEY=pg_demo0integrator0key0for0local0testing0only0
ADMIN=$(login admin@glow.example)

# upload TOKEN MUTATION FILE: uploads FILE as the variable $file; prints the import's id.
upload() {
  curl -sS --fail-with-body "$PG/graphql" -H "authorization: Bearer $1" \
    -H 'apollo-require-preflight: true' \
    -F operations="{\"query\": \"mutation (\$file: Upload!) { $2(file: \$file) { id status } }\", \"variables\": {\"file\": null}}" \
    -F map='{"0": ["variables.file"]}' \
    -F "0=@$3;type=text/csv" |
    python3 -c 'import json, sys; a = json.load(sys.stdin); assert not a.get("errors"), a; print(list(a["data"].values())[0]["id"])'
}

# report TOKEN ID: waits for the import to finish and prints its report.
report() {
  local query='query ($id: ID!) { import(id: $id) { kind status fileName rowsRead imported
    duplicates rejected rejectedRows(first: 20) { nodes { line field code message } } } }'
  for _ in $(seq 1 100); do
    if ! gql "$1" "$query" "{\"id\": \"$2\"}" | grep -q '"RUNNING"'; then break; fi
    sleep 0.2
  done
  gql "$1" "$query" "{\"id\": \"$2\"}"
}

# Creators with their channels (MANAGER or ADMIN).
report "$ADMIN" "$(upload "$ADMIN" importCreators "$HERE/creators.csv")"

# Orders from before the integration went live (an INGEST key, as recordConversions).
report "$KEY" "$(upload "$KEY" importConversions "$HERE/conversions.csv")"

# The imported creators, read like any other.
gql "$ADMIN" '{ creators(first: 5, filter: { search: "Nora" }) { nodes { displayName tier
  channels { platform handle followers } } } }'
