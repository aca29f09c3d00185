#!/usr/bin/env bash
# Folio's search benchmark: release build, `folio demo --posts N` (default 100,000), then wrk (one
# thread, 8 connections) against /search for two common words, a rare word, a phrase and a prefix,
# on SQLite, and on PostgreSQL too when BENCH_POSTGRES names a server (a `folio_bench_search`
# database is dropped and created there). Prints requests per second and the median and
# 99th-percentile latency of each, once as served (repeated queries come from the search cache)
# and once with the cache off (search_cache = 0: what every new query costs); the target is p99
# under 50 ms. With BASELINE naming another folio binary (say, one built from the previous
# commit), each query runs against it too, on the same database in the same run, and the table
# gets its figures and the ratio of uncached req/s to its req/s.
#
#   bench/search.sh
#   BENCH_POSTGRES=postgres://postgres@127.0.0.1:5432 bench/search.sh
#   POSTS=10000 DURATION=5s BASELINE=/tmp/folio-previous bench/search.sh
set -euo pipefail
cd "$(dirname "$0")/.."

POSTS="${POSTS:-100000}"
DURATION="${DURATION:-5s}"
CONNECTIONS="${CONNECTIONS:-8}"
PORT="${PORT:-8194}"

source bench/lib.sh
need_wrk
BASE="http://127.0.0.1:$PORT"

# One wrk run → "req/s p50_ms p99_ms".
measure() {
  local out
  out="$(wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency "$1")"
  if grep -q "Non-2xx" <<<"$out"; then echo "non-2xx responses for $1" >&2; echo "$out" >&2; exit 1; fi
  local ms='{v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else {sub(/s$/,"",v); v*=1000}; printf "%.2f", v}'
  printf '%s %s %s\n' "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" \
    "$(awk '$1 == "50%" '"$ms" <<<"$out")" "$(awk '$1 == "99%" '"$ms" <<<"$out")"
}

# Starts `$1` serving, waits until it answers.
start() {
  (cd "$WORK" && exec "$1" serve) & SERVER_PID=$!
  for _ in $(seq 100); do curl -fs "$BASE/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
}

stop() { kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""; }

run() {
  local label="$1"
  (cd "$WORK" && "$BIN" demo --posts "$POSTS" >/dev/null)
  start "$BIN"
  # The demo's words: "rust" is in a third of all posts, "lessons" in many titles; a rare word is
  # one post's volume number ("… (vol. 21974)"), read from its address.
  local rare
  rare="$(curl -fs "$BASE/?page=400" | grep -o 'card__title"><a href="/posts/[^"]*"' | head -n1 | grep -o '[0-9]\{4,\}' | tail -n1)"
  stop
  local queries=("rust" "lessons" "${rare:-zebra}" "%22rust+from%22" "scra")
  printf '\n%s, %s posts: one %s run a query and mode, %s connections\n' "$label" "$POSTS" "$DURATION" "$CONNECTIONS"
  printf '%-18s %8s | %9s %8s %8s | %9s %8s %8s' "query" "results" "cached/s" "p50 ms" "p99 ms" "uncached/s" "p50 ms" "p99 ms"
  [[ -n "${BASELINE:-}" ]] && printf ' | %11s %8s %8s' "baseline/s" "p99 ms" "ratio"
  printf '\n'
  for q in "${queries[@]}"; do
    start "$BIN"
    # "12 results", or "2000+ results" when ranking stopped at its candidates.
    local count
    count="$(curl -fs "$BASE/search?q=$q" | grep -o '[0-9][0-9,]*+\? results\?' | head -n1)"
    read -r rps p50 p99 <<<"$(measure "$BASE/search?q=$q")"
    stop
    # The same query with the search cache off: what every new query costs.
    ROCKET_SEARCH_CACHE=0 start "$BIN"
    read -r cold_rps cold_p50 cold_p99 <<<"$(measure "$BASE/search?q=$q")"
    stop
    printf '%-18s %8s | %9s %8s %8s | %9s %8s %8s' "$q" "${count%% *}" "$rps" "$p50" "$p99" "$cold_rps" "$cold_p50" "$cold_p99"
    if [[ -n "${BASELINE:-}" ]]; then
      start "$BASELINE"
      read -r base_rps _ base_p99 <<<"$(measure "$BASE/search?q=$q")"
      stop
      printf ' | %11s %8s %8s' "$base_rps" "$base_p99" "$(awk -v a="$cold_rps" -v b="$base_rps" 'BEGIN {if (b > 0) printf "%.1f×", a / b; else print "—"}')"
    fi
    printf '\n'
  done
}

export DATABASE_URL="sqlite://$WORK/search.db"
run "SQLite"
if [[ -n "${BENCH_POSTGRES:-}" ]]; then
  psql "$BENCH_POSTGRES/postgres" -qc "DROP DATABASE IF EXISTS folio_bench_search" -c "CREATE DATABASE folio_bench_search"
  export DATABASE_URL="$BENCH_POSTGRES/folio_bench_search"
  run "PostgreSQL"
fi
