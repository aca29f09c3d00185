#!/usr/bin/env bash
# The newsletter's sending (issue 18): one post to SUBSCRIBERS subscribers (default 10,000) into
# a local SMTP sink (aiosmtpd, installed from PyPI into a scratch virtualenv), then a short run at
# a low rate to check that the configured pace is kept.
#
# For each run it prints the wall time from the server's start to the last message received,
# messages per second, Folio's peak resident memory (VmHWM), and what the sink counted: messages,
# distinct recipients and duplicates (which must be 0: each subscriber gets a mailing once).
#
#   bench/newsletter.sh                                   # SQLite
#   BENCH_POSTGRES=postgres://postgres@127.0.0.1:5432 bench/newsletter.sh   # a fresh folio_bench database
# Knobs: SUBSCRIBERS, RATE (messages a minute for the big run, default 100000: as fast as Folio
# goes), PACED (subscribers of the paced run, default 300), PACED_RATE (default 1200 a minute),
# PORT (default 8195), SMTP_PORT (default 2525), FOLIO_RELEASE_BIN.
set -euo pipefail
cd "$(dirname "$0")/.."

SUBSCRIBERS="${SUBSCRIBERS:-10000}"
RATE="${RATE:-100000}"
PACED="${PACED:-300}"
PACED_RATE="${PACED_RATE:-1200}"
PORT="${PORT:-8195}"
SMTP_PORT="${SMTP_PORT:-2525}"
source bench/lib.sh

python3 -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install -q aiosmtpd
SINK_LOG="$WORK/sink.log"
: >"$SINK_LOG"
"$WORK/venv/bin/python" bench/smtp_sink.py "$SMTP_PORT" "$SINK_LOG" & SINK_PID=$!
trap 'kill $SINK_PID 2>/dev/null; cleanup' EXIT
export ROCKET_SMTP_URL="smtp://127.0.0.1:$SMTP_PORT"

# Runs SQL against the benchmark database.
sql() {
  if [[ -n "${BENCH_POSTGRES:-}" ]]; then
    psql -q "$DATABASE_URL" -c "$1" >/dev/null
  else
    python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(sys.argv[2]); c.commit()' "${DATABASE_URL#sqlite://}" "$1"
  fi
}

fresh_database() {
  if [[ -n "${BENCH_POSTGRES:-}" ]]; then
    psql "$BENCH_POSTGRES/postgres" -qc 'DROP DATABASE IF EXISTS folio_bench' -c 'CREATE DATABASE folio_bench' >/dev/null
    export DATABASE_URL="$BENCH_POSTGRES/folio_bench"
  else
    rm -f "$WORK"/news.db*
    export DATABASE_URL="sqlite://$WORK/news.db"
  fi
  (cd "$WORK" && "$BIN" demo --posts 20 >/dev/null)
}

# One run: N subscribers, a post marked "publish and send", Folio started at RATE a minute;
# waits for N messages (or 10 minutes) and prints the figures.
run() {
  local n="$1" rate="$2" label="$3"
  fresh_database
  sql "INSERT INTO subscribers (email, status, cadence, source, created_at, consent_at, consent_how, changed_at)
       SELECT 'reader' || x || '@example.org', 'subscribed', 'post', 'import', 1, 1, 'bench', 1
       FROM (WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < $n) SELECT x FROM s) AS s;
       UPDATE posts SET newsletter = 'send' WHERE id = (SELECT MAX(id) FROM posts WHERE status = 'published');"
  : >"$SINK_LOG"
  local start end
  start=$(date +%s%N)
  (cd "$WORK" && ROCKET_NEWSLETTER_RATE="$rate" exec "$BIN" serve >"$WORK/folio.log" 2>&1) & SERVER_PID=$!
  for _ in $(seq 6000); do
    [[ $(wc -l <"$SINK_LOG") -ge $n ]] && break
    sleep 0.1
  done
  end=$(date +%s%N)
  local hwm
  hwm=$(awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$SERVER_PID/status")
  sleep 2 # anything sent twice would arrive now
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
  python3 - "$SINK_LOG" "$n" "$rate" "$label" "$start" "$end" "$hwm" <<'PY'
import collections, sys
path, n, rate, label, start, end, hwm = sys.argv[1:8]
lines = [l.split() for l in open(path) if l.strip()]
times = sorted(int(t) for t, _ in lines)
per = collections.Counter(r for _, r in lines)
wall = (int(end) - int(start)) / 1e9
spread = (times[-1] - times[0]) / 1000 if len(times) > 1 else 0
observed = (len(times) - 1) / spread * 60 if spread else float("inf")
# The pace allows a second's worth at once; after that first second it should hold exactly.
later = [t for t in times if t >= times[0] + 1000]
steady = (len(later) - 1) / ((later[-1] - later[0]) / 1000) * 60 if len(later) > 1 and later[-1] > later[0] else float("inf")
print(f"{label}: {len(lines)} messages to {len(per)} recipients of {n}, duplicates {sum(c - 1 for c in per.values())}")
print(f"  wall time from start {wall:.1f} s; {len(lines) / wall:.0f} messages/s overall; "
      f"first to last {spread:.1f} s, {observed:.0f} a minute, {steady:.0f} after the first second "
      f"(configured {rate}); peak RSS {hwm} MiB")
PY
}

# The reference, in the same run: Python's smtplib sending the same number of messages of the
# same size to the same sink over one connection, as fast as it can. Folio's figure is read
# against it (the sink, one Python process, is part of both).
reference() {
  local n="$1"
  : >"$SINK_LOG"
  python3 - "$SMTP_PORT" "$n" <<'PY'
import smtplib, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
body = ("From: bench@localhost\r\nSubject: Reference\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n" + ("A line of the post's text. " * 3 + "\r\n") * 120)
start = time.time()
with smtplib.SMTP("127.0.0.1", port) as s:
    for i in range(n):
        s.sendmail("bench@localhost", [f"ref{i}@example.org"], body)
wall = time.time() - start
print(f"reference (smtplib, one connection): {n} messages in {wall:.1f} s, {n / wall:.0f} messages/s")
PY
}

echo "database: ${BENCH_POSTGRES:-SQLite}"
reference "$SUBSCRIBERS"
run "$SUBSCRIBERS" "$RATE" "one post to $SUBSCRIBERS"
run "$PACED" "$PACED_RATE" "paced: $PACED at $PACED_RATE a minute"
