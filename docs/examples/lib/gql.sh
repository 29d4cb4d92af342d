# Sourced by the examples beside it: PG (the server, default http://127.0.0.1:8080) and
# `gql TOKEN QUERY [VARIABLES]`, which POSTs one GraphQL request (with `Authorization: Bearer
# TOKEN` unless TOKEN is empty), prints the answer and fails when it has "errors".
PG=${PG:-http://127.0.0.1:8080}

gql() {
  local body
  body=$(python3 -c 'import json, sys; print(json.dumps({"query": sys.argv[1], "variables": json.loads(sys.argv[2])}))' "$2" "${3:-{\}}")
  curl -sS "$PG/graphql" -H 'content-type: application/json' \
    ${1:+-H "authorization: Bearer $1"} -d "$body" |
    python3 -c 'import json, sys; a = json.load(sys.stdin); print(json.dumps(a, indent=1)); sys.exit(1 if a.get("errors") else 0)'
}

# login EMAIL: the access token of a demo login (password demo-password-2026).
login() {
  gql "" "mutation { login(email: \"$1\", password: \"demo-password-2026\") { accessToken } }" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["login"]["accessToken"])'
}
