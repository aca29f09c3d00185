#!/usr/bin/env bash
# What compression costs: release build, `folio demo --posts N` (1,000 by default) into a fresh
# SQLite database, then wrk (one thread, 32 connections) against the home page asking for no
# coding, for gzip, for Brotli and for zstd, and once more with the page's ETag in If-None-Match
# (the 304 path). The variants are interleaved round by round, so a slow spell on this shared
# machine hits them all alike, and the median of ROUNDS runs of each is printed with its share of
# the uncompressed figure and the bytes sent.
#
#   bench/compression.sh
#   ROUNDS=5 DURATION=5s bench/compression.sh
set -euo pipefail
cd "$(dirname "$0")/.."

POSTS="${POSTS:-1000}"
ROUNDS="${ROUNDS:-3}"
DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-32}"
PORT="${PORT:-8195}"

source bench/lib.sh
need_wrk
BASE="http://127.0.0.1:$PORT"
PAGE="${PAGE:-/}"

export DATABASE_URL="sqlite://$WORK/compression.db"
(cd "$WORK" && "$BIN" demo --posts "$POSTS" >/dev/null)
(cd "$WORK" && exec "$BIN" serve >"$WORK/folio.log") & SERVER_PID=$!
for _ in $(seq 50); do curl -fs "$BASE/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

etag="$(curl -fsI "$BASE$PAGE" | awk -F': ' 'tolower($1) == "etag" {print $2}' | tr -d '\r')"
[[ -n "$etag" ]] || { echo "no ETag on $PAGE" >&2; exit 1; }
# name|request header
VARIANTS=(
  "identity|Accept-Encoding: identity"
  "gzip|Accept-Encoding: gzip"
  "br|Accept-Encoding: br"
  "zstd|Accept-Encoding: zstd"
  "304|If-None-Match: $etag"
)

# One wrk run → "req/s p99_ms".
measure_once() {
  local out rps p99
  out="$(wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency -H "$2" "$1")"
  if grep -q "Non-2xx" <<<"$out"; then echo "error responses for $1 ($2)" >&2; echo "$out" >&2; exit 1; fi
  rps="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
  p99="$(awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else {sub(/s$/,"",v); v*=1000}; printf "%.2f", v}' <<<"$out")"
  echo "$rps $p99"
}

declare -A runs
for round in $(seq "$ROUNDS"); do
  for variant in "${VARIANTS[@]}"; do
    name="${variant%%|*}"
    runs[$name]+="$(measure_once "$BASE$PAGE" "${variant#*|}")"$'\n'
  done
  echo "round $round of $ROUNDS done" >&2
done

median() { sort -n -k"$1" | awk -v n="$ROUNDS" -v k="$1" 'NF && ++i == int((n + 1) / 2) {print $k}'; }
base_rps="$(median 1 <<<"${runs[identity]}")"
printf '\n%s posts, page %s, median of %s runs of %s each, %s connections, one wrk thread.\n' \
  "$POSTS" "$PAGE" "$ROUNDS" "$DURATION" "$CONNECTIONS"
printf '%-10s %12s %10s %12s %10s\n' "coding" "req/s" "share" "p99 (ms)" "bytes"
for variant in "${VARIANTS[@]}"; do
  name="${variant%%|*}"
  rps="$(median 1 <<<"${runs[$name]}")"
  p99="$(median 2 <<<"${runs[$name]}")"
  bytes="$(curl -fs -o /dev/null -w '%{size_download}' -H "${variant#*|}" "$BASE$PAGE" || true)"
  printf '%-10s %12s %9.0f%% %12s %10s\n' "$name" "$rps" "$(echo "100 * $rps / $base_rps" | bc -l)" "$p99" "$bytes"
done
