#!/usr/bin/env bash
# Instructions per request for one Folio URL, counted by callgrind: repeatable whatever else the
# shared machine is doing (wall-clock figures are not), so two builds can be compared exactly.
# Loads `folio demo --posts N` into a fresh SQLite database, starts the release binary under
# valgrind, asks for URL once (a miss, which fills the page cache when it is on), then counts
# REQUESTS more requests on one keep-alive connection and prints the instructions per request
# and the functions of Folio's own code that take the most of them (inclusive).
#
#   bench/callgrind.sh /                                   # the home page, from the cache
#   ROCKET_PAGE_CACHE=0 bench/callgrind.sh /posts/slug     # rendered every time
#   FOLIO_RELEASE_BIN=/tmp/folio-old bench/callgrind.sh /  # another build, the same count
#   CALLGRIND_OUT=/tmp/hit.out bench/callgrind.sh /         # keep the profile for callgrind_annotate
set -euo pipefail
cd "$(dirname "$0")/.."

URL_PATH="${1:-/}"
POSTS="${POSTS:-10000}"
REQUESTS="${REQUESTS:-200}"
PORT="${PORT:-8299}"
TOP="${TOP:-25}"

source bench/lib.sh
command -v valgrind >/dev/null || { echo "Installing valgrind (Debian package)…"; apt-get install -y -qq valgrind >/dev/null; }
export DATABASE_URL="sqlite://$WORK/bench.db"
(cd "$WORK" && "$BIN" demo --posts "$POSTS" >/dev/null)
(cd "$WORK" && exec valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.out" "$BIN" serve >"$WORK/valgrind.log" 2>&1) &
SERVER_PID=$!
BASE="http://127.0.0.1:$PORT"
for _ in $(seq 300); do curl -fs -o /dev/null "$BASE/healthz" 2>/dev/null && break; sleep 0.2; done
curl -fs -o /dev/null "$BASE$URL_PATH"
curl -fs -o /dev/null "$BASE$URL_PATH"
callgrind_control -z "$SERVER_PID" >/dev/null
args=()
for _ in $(seq "$REQUESTS"); do args+=(-o /dev/null "$BASE$URL_PATH"); done
curl -fs "${args[@]}"
callgrind_control -d "$SERVER_PID" >/dev/null
sleep 1
dump="$(ls -t "$WORK"/cg.out.* | head -n1)"
[[ -n "${CALLGRIND_OUT:-}" ]] && cp "$dump" "$CALLGRIND_OUT"
total="$(callgrind_annotate "$dump" | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')"
printf '%s: %s instructions per request (%s requests, %s posts, page_cache=%s)\n' \
  "$URL_PATH" "$((total / REQUESTS))" "$REQUESTS" "$POSTS" "${ROCKET_PAGE_CACHE:-default}"
callgrind_annotate --inclusive=yes "$dump" | grep -E 'folio::|rocket::server|sqlx|askama|hash_one|memcpy|malloc' \
  | head -n "$TOP" | awk -v n="$REQUESTS" '{v=$1; gsub(",", "", v); $1=""; $2=""; printf "%10d  %s\n", v / n, $0}' | cut -c1-170
