#!/usr/bin/env bash
# Folio's page benchmark: release build, `folio demo --posts N` into a fresh SQLite database, then
# wrk (one thread, 32 connections, 10 s) against the home page, a post and a tag page, all on
# loopback. Runs N=1000 and N=10000 by default to show that latency does not grow with the archive.
#
#   bench/run.sh                 # both sizes
#   POSTS="10000" bench/run.sh   # one size
#   DURATION=30s bench/run.sh    # longer runs
set -euo pipefail
cd "$(dirname "$0")/.."

POSTS="${POSTS:-1000 10000}"
ROUNDS="${ROUNDS:-3}"
DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-32}"
PORT="${PORT:-8199}"


source bench/lib.sh
need_wrk
BASE="http://127.0.0.1:$PORT"

# The median of ROUNDS runs (this machine is shared; single runs swing by a third).
measure() {
  local runs=()
  for _ in $(seq "$ROUNDS"); do runs+=("$(measure_once "$1")"); done
  printf '%s\n' "${runs[@]}" | sort -n -k1 | awk -v n="$ROUNDS" 'NR == int((n + 1) / 2) {print}' | tr '\n' ' '
  printf '%s\n' "${runs[@]}" | sort -n -k2 | awk -v n="$ROUNDS" 'NR == int((n + 1) / 2) {print $2}'
}

printf '\nMedian of %s runs of %s each, %s connections, one wrk thread.\n' "$ROUNDS" "$DURATION" "$CONNECTIONS"
printf '%-8s %-30s %12s %12s\n' "posts" "page" "req/s" "p99 (ms)"
for n in $POSTS; do
  export DATABASE_URL="sqlite://$WORK/bench-$n.db"
  start=$(date +%s.%N)
  (cd "$WORK" && "$BIN" demo --posts "$n" >/dev/null)
  seeded=$(echo "$(date +%s.%N) - $start" | bc)
  (cd "$WORK" && exec "$BIN" serve >"$WORK/folio.log") & SERVER_PID=$!
  for _ in $(seq 50); do curl -fs "$BASE/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
  # A post from deep in the archive (page 50 exists at both sizes), and the busiest tag.
  post="$(curl -fs "$BASE/?page=50" | grep -o 'href="/posts/[^"]*"' | head -n1 | cut -d'"' -f2)"
  for path in "/" "$post" "/tags/rust"; do
    curl -fs -o /dev/null "$BASE$path" || { echo "GET $path failed" >&2; exit 1; }
    read -r rps _ p99 <<<"$(measure "$BASE$path")"
    printf '%-8s %-30.30s %12s %12s\n' "$n" "$path" "$rps" "$p99"
  done
  printf '%-8s %-30s %12s\n' "$n" "(demo load time, s)" "$(printf '%.1f' "$seeded")"
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
done
