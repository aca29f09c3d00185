#!/usr/bin/env bash
# Folio's search benchmark: release build, `folio demo --posts N` (default 100,000), then wrk (one
# thread, 8 connections) against /search for a common word, a rare word, a phrase and a prefix,
# on SQLite, and on PostgreSQL too when BENCH_POSTGRES names a server (a `folio_bench_search`
# database is dropped and created there). Prints requests per second and the median and
# 99th-percentile latency of each; the target is p99 under 50 ms.
#
#   bench/search.sh
#   BENCH_POSTGRES=postgres://postgres@127.0.0.1:5432 bench/search.sh
#   POSTS=10000 DURATION=5s bench/search.sh
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

run() {
  local label="$1"
  (cd "$WORK" && "$BIN" demo --posts "$POSTS" >/dev/null)
  (cd "$WORK" && exec "$BIN" serve) & SERVER_PID=$!
  for _ in $(seq 100); do curl -fs "$BASE/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
  # The demo's words: "rust" is in many titles, a rare word is taken from one post's title.
  local rare
  rare="$(curl -fs "$BASE/?page=400" | grep -o 'card__title"><a href="/posts/[^"]*"' | head -n1 | sed 's/.*posts\///; s/".*//' | tr '-' '\n' | awk 'length > 6' | head -n1)"
  printf '\n%s, %s posts: median of one %s run, %s connections\n' "$label" "$POSTS" "$DURATION" "$CONNECTIONS"
  printf '%-34s %10s %10s %10s %8s\n' "query" "req/s" "p50 (ms)" "p99 (ms)" "results"
  for q in "rust" "${rare:-zebra}" "%22rust+from%22" "scra"; do
    local count
    count="$(curl -fs "$BASE/search?q=$q" | grep -o '[0-9,]* results\?' | head -n1)"
    read -r rps p50 p99 <<<"$(measure "$BASE/search?q=$q")"
    printf '%-34s %10s %10s %10s %8s\n' "$q" "$rps" "$p50" "$p99" "${count%% *}"
  done
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
}

export DATABASE_URL="sqlite://$WORK/search.db"
run "SQLite"
if [[ -n "${BENCH_POSTGRES:-}" ]]; then
  psql "$BENCH_POSTGRES/postgres" -qc "DROP DATABASE IF EXISTS folio_bench_search" -c "CREATE DATABASE folio_bench_search"
  export DATABASE_URL="$BENCH_POSTGRES/folio_bench_search"
  run "PostgreSQL"
fi
