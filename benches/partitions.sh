#!/usr/bin/env bash
# Issue #24's partition figure: a 90-day range of raw clicks (the report's raw-click statement,
# `service::performance::raw_clicks`, counted) on the partitioned `clicks` against an
# unpartitioned copy with the same rows and indexes (`clicks_flat`, made on first use), side by
# side: alternated, RUNS times each, medians of the server's execution time (EXPLAIN ANALYZE).
# Also the whole-report case: the report's own raw-click reads cover only its partial edge
# days, so the same statement over one day is timed too.
#
#   benches/partitions.sh DATABASE_URL BRAND_ID FROM TO [RUNS]
#
# FROM/TO are RFC 3339 (the manifest's performance_from/performance_to). Prints a Markdown table.
set -euo pipefail
url=$1 brand=$2 from=$3 to=$4 runs=${5:-7}
psql_do() { psql -X -q -At "$url" "$@"; }

if [[ $(psql_do -c "SELECT to_regclass('clicks_flat') IS NOT NULL") != t ]]; then
  echo "making the unpartitioned copy clicks_flat (once)..." >&2
  psql_do -c "CREATE TABLE clicks_flat (LIKE clicks INCLUDING DEFAULTS)" \
    -c "INSERT INTO clicks_flat SELECT * FROM clicks" \
    -c "CREATE INDEX ON clicks_flat (brand_id, occurred_at)" \
    -c "ANALYZE clicks_flat"
fi
psql_do -c "ANALYZE clicks" >/dev/null

# Execution time (ms) of the raw-click statement over [$2, $3) on table $1.
timed() {
  psql_do -c "EXPLAIN (ANALYZE, FORMAT JSON) SELECT count(*) FROM $1
    WHERE brand_id = $brand AND is_bot = false AND occurred_at >= '$2' AND occurred_at < '$3'" |
    jq '.[0]["Execution Time"]'
}
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
partitions() {
  psql_do -c "EXPLAIN SELECT 1 FROM clicks WHERE brand_id = $brand AND occurred_at >= '$1' AND occurred_at < '$2'" |
    grep -oE 'on clicks_(p[0-9]{4}_[0-9]{2}|default)' | sort -u | wc -l
}

day_to=$(date -u -d "$from + 1 day" +%Y-%m-%dT%H:%M:%SZ)
echo "| range | rows | partitioned ms (partitions read) | unpartitioned ms | ratio |"
echo "|---|---|---|---|---|"
for range in "$from $to" "$from $day_to"; do
  read -r a b <<<"$range"
  rows=$(psql_do -c "SELECT count(*) FROM clicks WHERE brand_id = $brand AND is_bot = false AND occurred_at >= '$a' AND occurred_at < '$b'")
  p=() f=()
  timed clicks "$a" "$b" >/dev/null
  timed clicks_flat "$a" "$b" >/dev/null
  for ((i = 0; i < runs; i++)); do
    p+=("$(timed clicks "$a" "$b")")
    f+=("$(timed clicks_flat "$a" "$b")")
  done
  pm=$(printf '%s\n' "${p[@]}" | median)
  fm=$(printf '%s\n' "${f[@]}" | median)
  echo "| $a .. $b | $rows | $pm ($(partitions "$a" "$b")) | $fm | $(awk -v a="$pm" -v b="$fm" 'BEGIN { printf "%.2f", a / b }') |"
done
