#!/usr/bin/env bash
# Folio's API benchmark (issue 14): release build, `folio demo --posts N` into a fresh SQLite
# database, then wrk (one thread, 32 connections, 10 s, after a 2 s warm-up) on loopback.
#  1. At SMALL posts (default 10,000): `GET /api/v1/posts?limit=20` and a post by slug next to the
#     HTML pages that show the same (the home page and the post's page), with req/s, p99 and the
#     API/HTML ratio of each pair, all in the same run.
#  2. At LARGE posts (default 100,000): keyset pagination deep into the archive. It follows
#     `meta.next` (a hundred posts a hop) to the cursor of page 1, the page at DEEP (default
#     2,500) and the last page of twenty, then measures each; the p99 of the deep and the last
#     page over page 1's shows whether the cost stays flat.
#
#   bench/api.sh
#   SMALL=1000 LARGE=20000 DEEP=500 bench/api.sh
#   FOLIO_RELEASE_BIN=/tmp/folio-release bench/api.sh   # skip the build
set -euo pipefail
cd "$(dirname "$0")/.."

SMALL="${SMALL:-10000}"
LARGE="${LARGE:-100000}"
DEEP="${DEEP:-2500}"
DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-32}"
PORT="${PORT:-8193}"

source bench/lib.sh
need_wrk
BASE="http://127.0.0.1:$PORT"

# One wrk run (after a 2 s warm-up) → "req/s p99_ms".
measure() {
  wrk -t1 -c"$CONNECTIONS" -d2s "$1" >/dev/null
  local out
  out="$(wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency "$1")"
  if grep -q "Non-2xx" <<<"$out"; then echo "non-2xx responses for $1" >&2; echo "$out" >&2; exit 1; fi
  local ms='{v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else {sub(/s$/,"",v); v*=1000}; printf "%.2f", v}'
  printf '%s %s\n' "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" "$(awk '$1 == "99%" '"$ms" <<<"$out")"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "-"}'; }

# Loads N demo posts into a fresh database and starts serving it.
serve() {
  rm -f "$WORK"/folio.db*
  (cd "$WORK" && "$BIN" demo --posts "$1" >/dev/null)
  (cd "$WORK" && exec "$BIN" serve >"$WORK/folio.log") & SERVER_PID=$!
  for _ in $(seq 100); do curl -fs "$BASE/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
}

stop() { kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""; }

# The query string of a list answer's `meta.next` (empty on the last page).
next_query() { python3 -c 'import json, sys; n = json.load(sys.stdin)["meta"]["next"]; print(n.split("?", 1)[1] if n else "")'; }

printf '\n%s posts: one %s run each after a 2 s warm-up, %s connections, one wrk thread\n' "$SMALL" "$DURATION" "$CONNECTIONS"
serve "$SMALL"
# A post from deep in the archive (page 50 of the home page), as the page benchmark picks it.
slug="$(curl -fs "$BASE/?page=50" | grep -o 'href="/posts/[^"]*"' | head -n1 | cut -d'"' -f2 | sed 's|^/posts/||')"
printf '%-34s %10s %9s | %-22s %10s %9s | %9s %9s\n' "API" "req/s" "p99 ms" "HTML" "req/s" "p99 ms" "req/s ×" "p99 ×"
for pair in "/api/v1/posts?limit=20 /" "/api/v1/posts/slug/$slug /posts/$slug"; do
  read -r api html <<<"$pair"
  read -r api_rps api_p99 <<<"$(measure "$BASE$api")"
  read -r html_rps html_p99 <<<"$(measure "$BASE$html")"
  printf '%-34.34s %10s %9s | %-22.22s %10s %9s | %9s %9s\n' "$api" "$api_rps" "$api_p99" "$html" "$html_rps" "$html_p99" \
    "$(ratio "$api_rps" "$html_rps")" "$(ratio "$api_p99" "$html_p99")"
done
stop

printf '\n%s posts: /api/v1/posts?limit=20 by cursor, page 1, page %s and the last page\n' "$LARGE" "$DEEP"
serve "$LARGE"
# Walk with limit=100 and fields=id (five pages of twenty a hop, small answers) and keep the cursors where pages of twenty
# begin: page p of twenty starts after 20 × (p − 1) posts.
deep_after=$((20 * (DEEP - 1)))
query="limit=100&fields=id" walked=0 deep_cursor="" last_cursor=""
started=$(date +%s.%N)
while :; do
  body="$(curl -fs "$BASE/api/v1/posts?$query")"
  next="$(next_query <<<"$body")"
  [[ -z "$next" ]] && break
  walked=$((walked + 100))
  cursor="$(sed 's/.*cursor=\([^&]*\).*/\1/' <<<"$next")"
  ((walked == deep_after - deep_after % 100)) && deep_cursor="$cursor"
  last_cursor="$cursor"
  query="$next"
done
printf '(walked %s posts a hundred a hop in %.1f s)\n' "$walked" "$(echo "$(date +%s.%N) - $started" | bc)"
# The last page of twenty begins twenty before the end: step 80 on from the last hundred (fewer
# when the archive does not end on a hundred).
tail_size=$(( $(curl -fs "$BASE/api/v1/posts?limit=100&fields=id&cursor=$last_cursor" | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["posts"]))') ))
if ((tail_size > 20)); then
  step=$((tail_size - 20))
  last_cursor="$(curl -fs "$BASE/api/v1/posts?limit=$step&fields=id&cursor=$last_cursor" | next_query | sed 's/.*cursor=\([^&]*\).*/\1/')"
  walked=$((walked + step))
fi
printf '%-12s %12s %10s %9s | %9s %9s\n' "page" "posts before" "req/s" "p99 ms" "req/s ×" "p99 ×"
read -r first_rps first_p99 <<<"$(measure "$BASE/api/v1/posts?limit=20")"
printf '%-12s %12s %10s %9s | %9s %9s\n' "1" 0 "$first_rps" "$first_p99" "1.00" "1.00"
for row in "$DEEP $((deep_after - deep_after % 100)) $deep_cursor" "last $walked $last_cursor"; do
  read -r label before cursor <<<"$row"
  read -r rps p99 <<<"$(measure "$BASE/api/v1/posts?limit=20&cursor=$cursor")"
  printf '%-12s %12s %10s %9s | %9s %9s\n' "$label" "$before" "$rps" "$p99" "$(ratio "$rps" "$first_rps")" "$(ratio "$p99" "$first_p99")"
done
stop
