#!/usr/bin/env bash
# Folio's sign-in benchmark: release build, an owner created with `folio create-admin`, then N
# sequential sign-ins (GET the form for its CSRF token and cookie, POST the password) with curl,
# timing the POST alone. Reports the median and the slowest; most of the time is argon2id.
#
#   bench/sign-in.sh          # 20 sign-ins
#   N=50 bench/sign-in.sh
set -euo pipefail
cd "$(dirname "$0")/.."

N="${N:-20}"
PORT="${PORT:-8198}"
source bench/lib.sh
export DATABASE_URL="sqlite://$WORK/folio.db"
PASSWORD="correct horse battery staple"
echo "$PASSWORD" | "$BIN" create-admin --email bench@example.org --password-stdin >/dev/null
"$BIN" serve & SERVER_PID=$!
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done

times=()
for i in $(seq "$N"); do
  jar="$WORK/jar$i"
  token="$(curl -fs -c "$jar" -b "$jar" "http://127.0.0.1:$PORT/sign-in" | grep -o 'name="_csrf" value="[^"]*"' | head -1 | sed 's/.*value="//;s/"//')"
  out="$(curl -s -o /dev/null -c "$jar" -b "$jar" -w '%{http_code} %{time_total}' \
    --data-urlencode "_csrf=$token" --data-urlencode "email=bench@example.org" \
    --data-urlencode "password=$PASSWORD" --data-urlencode "next=" "http://127.0.0.1:$PORT/sign-in")"
  [[ "${out%% *}" == "303" ]] || { echo "sign-in $i answered ${out%% *}" >&2; exit 1; }
  times+=("${out##* }")
done
printf '%s\n' "${times[@]}" | sort -n | awk -v n="$N" '
  { t[NR] = $1 * 1000 }
  END { printf "sign-in (argon2id m=19456 KiB, t=2, p=1): median %.1f ms, slowest %.1f ms over %d\n", t[int((n + 1) / 2)], t[n], n }'
