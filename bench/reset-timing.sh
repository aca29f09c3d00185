#!/usr/bin/env bash
# Does a password-reset request take longer for an address that has an account? Release build;
# N accounts made with `folio create-admin`; then N requests for known addresses interleaved with
# N for unknown ones, each from its own client address (X-Forwarded-For, trusted here) so the
# throttles never answer. Prints the median of each and their difference.
#
#   bench/reset-timing.sh        # N=40
set -euo pipefail
cd "$(dirname "$0")/.."

N="${N:-40}"
PORT="${PORT:-8197}"
source bench/lib.sh
export DATABASE_URL="sqlite://$WORK/folio.db" ROCKET_CLIENT_IP_HEADER=X-Forwarded-For
for i in $(seq "$N"); do
  echo "correct horse battery staple" | "$BIN" create-admin --email "known$i@example.org" --password-stdin >/dev/null
done
"$BIN" serve >/dev/null & SERVER_PID=$!
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done

jar="$WORK/jar"
token="$(curl -fs -c "$jar" -b "$jar" "http://127.0.0.1:$PORT/password-reset" | grep -o 'name="_csrf" value="[^"]*"' | head -1 | sed 's/.*value="//;s/"//')"
request() { # email, client address → seconds
  curl -s -o /dev/null -b "$jar" -H "X-Forwarded-For: $2" -w '%{http_code} %{time_total}' \
    --data-urlencode "_csrf=$token" --data-urlencode "email=$1" "http://127.0.0.1:$PORT/password-reset"
}
known=() unknown=()
for i in $(seq "$N"); do
  out="$(request "known$i@example.org" "10.1.$((i / 250)).$((i % 250 + 1))")"
  [[ "${out%% *}" == "303" ]] || { echo "known $i answered ${out%% *}" >&2; exit 1; }
  known+=("${out##* }")
  out="$(request "nobody$i@example.org" "10.2.$((i / 250)).$((i % 250 + 1))")"
  [[ "${out%% *}" == "303" ]] || { echo "unknown $i answered ${out%% *}" >&2; exit 1; }
  unknown+=("${out##* }")
done
median() { printf '%s\n' "$@" | sort -n | awk '{ t[NR] = $1 * 1000 } END { print t[int((NR + 1) / 2)] }'; }
k="$(median "${known[@]}")" u="$(median "${unknown[@]}")"
awk -v k="$k" -v u="$u" -v n="$N" 'BEGIN {
  printf "password reset, median of %d each: known address %.2f ms, unknown %.2f ms, difference %+.2f ms\n", n, k, u, k - u }'
