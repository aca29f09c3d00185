#!/usr/bin/env bash
# Folio's admin benchmark: release build, `folio demo --posts N` (100,000 by default) into a fresh
# SQLite database, an owner signed in with curl, then wrk (one thread, 8 connections) against the
# admin's post list: first page, a deep page, each filter, title search and each sort. Shows that
# the lists stay fast however many posts there are. Also times one editor page and the dashboard.
#
#   bench/admin.sh
#   POSTS=10000 DURATION=5s bench/admin.sh
#   BENCH_POSTGRES=postgres://postgres@127.0.0.1:5432 bench/admin.sh   # a fresh folio_bench database there
set -euo pipefail
cd "$(dirname "$0")/.."

POSTS="${POSTS:-100000}"
DURATION="${DURATION:-5s}"
CONNECTIONS="${CONNECTIONS:-8}"
PORT="${PORT:-8197}"


source bench/lib.sh
need_wrk
BASE="http://127.0.0.1:$PORT"
if [[ -n "${BENCH_POSTGRES:-}" ]]; then
  psql "$BENCH_POSTGRES/postgres" -qc 'DROP DATABASE IF EXISTS folio_bench' -c 'CREATE DATABASE folio_bench'
  export DATABASE_URL="$BENCH_POSTGRES/folio_bench"
else
  export DATABASE_URL="sqlite://$WORK/admin.db"
fi
echo "database: $DATABASE_URL"
PASSWORD="correct horse battery staple"

start=$(date +%s.%N)
(cd "$WORK" && "$BIN" demo --posts "$POSTS" >/dev/null)
printf 'demo with %s posts loaded in %.1f s\n' "$POSTS" "$(echo "$(date +%s.%N) - $start" | bc)"
echo "$PASSWORD" | "$BIN" create-admin --email bench@example.org --password-stdin >/dev/null
(cd "$WORK" && exec "$BIN" serve >"$WORK/folio.log") & SERVER_PID=$!
for _ in $(seq 50); do curl -fs "$BASE/healthz" >/dev/null 2>&1 && break; sleep 0.1; done

jar="$WORK/jar"
token="$(curl -fs -c "$jar" -b "$jar" "$BASE/sign-in" | grep -o 'name="_csrf" value="[^"]*"' | head -1 | sed 's/.*value="//;s/"//')"
curl -fs -o /dev/null -c "$jar" -b "$jar" --data-urlencode "_csrf=$token" --data-urlencode "email=bench@example.org" \
  --data-urlencode "password=$PASSWORD" --data-urlencode "next=" "$BASE/sign-in"
cookie="$(awk '$6 == "folio_session" {print $6 "=" $7}' "$jar")"
[[ -n "$cookie" ]] || { echo "sign-in failed" >&2; exit 1; }

post="$(curl -fs -b "$cookie" "$BASE/admin/posts" | grep -o 'href="/admin/posts/[0-9]*/edit"' | head -1 | cut -d'"' -f2)"

printf '\n%s connections, %s per URL, one wrk thread; %s posts.\n' "$CONNECTIONS" "$DURATION" "$POSTS"
printf '%-44s %10s %10s %10s\n' "page" "req/s" "p50 (ms)" "p99 (ms)"
for path in "/admin" "/admin/posts" "/admin/posts?page=199" "/admin/posts?status=draft" \
  "/admin/posts?status=scheduled" "/admin/posts?tag=1" "/admin/posts?tag=1&page=100" "/admin/posts?tag=1&sort=created" "/admin/posts?author=2" "/admin/posts?series=1" \
  "/admin/posts?q=rust" "/admin/posts?q=zzzz-no-match" "/admin/posts?q=ru" "/admin/posts?sort=title&page=100" \
  "/admin/posts?sort=created" "$post"; do
  code="$(curl -s -o /dev/null -w '%{http_code}' -b "$cookie" "$BASE$path")"
  [[ "$code" == "200" ]] || { echo "GET $path answered $code" >&2; exit 1; }
  out="$(wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency -H "Cookie: $cookie" "$BASE$path")"
  if grep -q "Non-2xx" <<<"$out"; then echo "non-2xx responses for $path" >&2; exit 1; fi
  ms() { awk -v p="$1" '$1 == p {v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else {sub(/s$/,"",v); v*=1000}; printf "%.1f", v}' <<<"$out"; }
  printf '%-44s %10s %10s %10s\n' "$path" "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" "$(ms 50%)" "$(ms 99%)"
done
