#!/usr/bin/env bash
# Folio's pages next to nginx serving the very same bytes as static files (issue 15), in one run
# on this machine with the load generator on it: the reference a shared, noisy machine needs.
#
# It loads `folio demo --posts N` (10,000 by default) into a fresh SQLite database, saves the home
# page, a post from deep in the archive and the site feed as Folio serves them, puts those bytes
# under an nginx root, then runs wrk (one thread, 32 connections, 10 s after a 2 s warm-up) against
# nginx and Folio for each page, ROUNDS times, and prints the median req/s and p99 of each, Folio's
# share of nginx's req/s, and Folio's peak resident memory (VmHWM) after the load.
#
#   bench/pages.sh
#   POSTS=100000 ROUNDS=1 bench/pages.sh
#   FOLIO_RELEASE_BIN=/tmp/folio-release bench/pages.sh     # skip the build
#   DATABASE=postgres bench/pages.sh                         # PostgreSQL at 127.0.0.1:5432
#
# Extra Folio settings pass through as ROCKET_* variables (for example the page cache's, once it
# exists), so the same script measures Folio with a setting on and off.
set -euo pipefail
cd "$(dirname "$0")/.."

POSTS="${POSTS:-10000}"
ROUNDS="${ROUNDS:-3}"
DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-32}"
PORT="${PORT:-8199}"
NGINX_PORT=$((PORT + 1))
DATABASE="${DATABASE:-sqlite}"

source bench/lib.sh
need_wrk
command -v nginx >/dev/null || { echo "Installing nginx (Debian package)…"; apt-get install -y -qq nginx-light >/dev/null; }
NGINX="$(command -v nginx || echo /usr/sbin/nginx)"
NGINX_PID=""
stop_nginx() { [[ -n "$NGINX_PID" ]] && kill "$NGINX_PID" 2>/dev/null; NGINX_PID=""; }
trap 'stop_nginx; cleanup' EXIT

BASE="http://127.0.0.1:$PORT"
REF="http://127.0.0.1:$NGINX_PORT"

# The median req/s and the median p99 of ROUNDS runs, after a warm-up.
measure() {
  wrk -t1 -c"$CONNECTIONS" -d2s "$1" >/dev/null
  local runs=()
  for _ in $(seq "$ROUNDS"); do runs+=("$(measure_once "$1")"); done
  local rps p99
  rps="$(printf '%s\n' "${runs[@]}" | sort -n -k1 | awk -v n="$ROUNDS" 'NR == int((n + 1) / 2) {print $1}')"
  p99="$(printf '%s\n' "${runs[@]}" | sort -n -k2 | awk -v n="$ROUNDS" 'NR == int((n + 1) / 2) {print $2}')"
  echo "$rps $p99"
}

case "$DATABASE" in
  sqlite) export DATABASE_URL="sqlite://$WORK/bench.db" ;;
  postgres)
    db="folio_bench_pages"
    psql -q -h 127.0.0.1 -U postgres -d test -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
    export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db"
    ;;
  *) echo "DATABASE is sqlite or postgres" >&2; exit 1 ;;
esac
(cd "$WORK" && "$BIN" demo --posts "$POSTS" >/dev/null)
(cd "$WORK" && exec "$BIN" serve >"$WORK/folio.log") & SERVER_PID=$!
for _ in $(seq 100); do curl -fs "$BASE/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

# The same bytes for nginx: each page saved at its own path (a directory's index for `/`).
post="$(curl -fs "$BASE/?page=50" | grep -o 'href="/posts/[^"]*"' | head -n1 | cut -d'"' -f2)"
ROOT="$WORK/static"
mkdir -p "$ROOT/posts"
curl -fs -o "$ROOT/index.html" "$BASE/"
curl -fs -o "$ROOT$post" "$BASE$post"
curl -fs -o "$ROOT/feed.xml" "$BASE/feed.xml"
# nginx's workers run as an unprivileged user: they must be able to reach the files.
chmod a+x "$WORK"
chmod -R a+rX "$ROOT"
cat >"$WORK/nginx.conf" <<EOF
worker_processes auto;
daemon off;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  default_type text/html;
  types { application/rss+xml xml; }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $ROOT;
    location = / { try_files /index.html =404; }
    location / { try_files \$uri =404; }
  }
}
EOF
"$NGINX" -c "$WORK/nginx.conf" -p "$WORK" & NGINX_PID=$!
for _ in $(seq 50); do curl -fs -o /dev/null "$REF/" && break; sleep 0.1; done
for path in "/" "$post" "/feed.xml"; do
  if ! cmp -s <(curl -fs "$REF$path") <(curl -fs "$BASE$path"); then
    echo "nginx and Folio differ at $path:" >&2
    diff <(curl -fs "$REF$path") <(curl -fs "$BASE$path") | head -20 >&2
    exit 1
  fi
done

printf '\n%s posts on %s; median of %s runs of %s, %s connections, one wrk thread; 2 shared cores.\n' \
  "$POSTS" "$DATABASE" "$ROUNDS" "$DURATION" "$CONNECTIONS"
printf '%-32s %10s %9s %10s %9s %9s\n' "page" "nginx r/s" "p99 ms" "Folio r/s" "p99 ms" "share"
for path in "/" "$post" "/feed.xml"; do
  read -r ref_rps ref_p99 <<<"$(measure "$REF$path")"
  read -r rps p99 <<<"$(measure "$BASE$path")"
  share="$(awk -v a="$rps" -v b="$ref_rps" 'BEGIN {printf "%.0f %%", 100 * a / b}')"
  printf '%-32.32s %10s %9s %10s %9s %9s\n' "$path" "$ref_rps" "$ref_p99" "$rps" "$p99" "$share"
done
printf 'Folio peak RSS under this load: %s\n' "$(awk '/VmHWM/ {printf "%.1f MiB", $2 / 1024}' "/proc/$SERVER_PID/status")"
