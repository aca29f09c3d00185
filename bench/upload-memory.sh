#!/usr/bin/env bash
# Folio's upload memory benchmark: the release build (and, with REFERENCE, another binary such as
# the previous commit's) started on a fresh SQLite database, an owner signed in with curl, then
# image uploads sent all at once. For each it reports the process's resident memory before, its
# peak (VmHWM in /proc/PID/status) and what it holds 15 s after the last answer, and the
# answers' statuses. Scenarios:
#   bomb    4 × a 420 KB PNG declaring 11,999 × 11,999 RGB pixels (144 megapixels)
#   cap     4 × a 9,459 × 9,459 RGBA PNG, just under the 89,478,485-pixel cap: the worst accepted
#   photos  20 × a 4,032 × 3,024 JPEG (a 12-megapixel phone photo; needs cjpeg, installed from
#           Debian's libjpeg-turbo-progs when missing)
#
#   bench/upload-memory.sh
#   REFERENCE=/tmp/folio-before SCENARIOS="bomb cap" bench/upload-memory.sh
set -euo pipefail
cd "$(dirname "$0")/.."

PORT="${PORT:-8196}"
SCENARIOS="${SCENARIOS:-bomb cap photos}"
source bench/lib.sh
PASSWORD="correct horse battery staple"
URL="http://127.0.0.1:$PORT"

# A one-colour PNG written row by row with zlib: WIDTH HEIGHT CHANNELS (3: RGB, 4: RGBA) OUT.
make_png() {
  python3 - "$@" <<'PY'
import struct, sys, zlib
width, height, channels, out = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
colour = {3: 2, 4: 6}[channels]
pack = zlib.compressobj(9)
row = b"\0" + bytes([90, 120, 150, 255][:channels]) * width
idat = b"".join(pack.compress(row) for _ in range(height)) + pack.flush()
with open(out, "wb") as f:
    f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0)))
    f.write(chunk(b"IDAT", idat) + chunk(b"IEND", b""))
PY
}

# A 4,032 × 3,024 picture with detail everywhere, as a JPEG: OUT.
make_photo() {
  if ! command -v cjpeg >/dev/null; then
    echo "Installing cjpeg (Debian package libjpeg-turbo-progs)…" >&2
    apt-get install -y -qq libjpeg-turbo-progs >/dev/null
  fi
  python3 - "$WORK/photo.ppm" <<'PY'
import sys
width, height = 4032, 3024
with open(sys.argv[1], "wb") as f:
    f.write(b"P6 %d %d 255\n" % (width, height))
    rows = [bytes((x * 7 + y * 13 + (x * y) % 251) % 256 for x in range(width * 3)) for y in range(64)]
    for y in range(height):
        f.write(rows[y % 64])
PY
  cjpeg -quality 90 "$WORK/photo.ppm" >"$1"
}

kib() { awk -v k="$2" '$1 == k":" { print $2 }' "/proc/$1/status"; }
mb() { awk -v k="$1" 'BEGIN { printf "%.0f MB", k * 1024 / 1e6 }'; }

# Starts BIN on a fresh database, signs in, sends COUNT copies of FILE at once, and prints a line.
measure() {
  local bin="$1" label="$2" file="$3" count="$4"
  local dir="$WORK/$label-$(basename "$file")"
  mkdir -p "$dir"
  export DATABASE_URL="sqlite://$dir/folio.db"
  echo "$PASSWORD" | "$bin" create-admin --email bench@example.org --password-stdin >/dev/null
  "$bin" serve & SERVER_PID=$!
  for _ in $(seq 100); do curl -fs "$URL/healthz" >/dev/null && break; sleep 0.1; done
  local jar="$dir/jar" token
  token="$(curl -fs -c "$jar" -b "$jar" "$URL/sign-in" | grep -o 'name="_csrf" value="[^"]*"' | head -1 | sed 's/.*value="//;s/"//')"
  curl -fs -o /dev/null -c "$jar" -b "$jar" --data-urlencode "_csrf=$token" \
    --data-urlencode "email=bench@example.org" --data-urlencode "password=$PASSWORD" \
    --data-urlencode "next=" "$URL/sign-in"
  token="$(curl -fs -c "$jar" -b "$jar" "$URL/admin/media" | grep -o 'name="_csrf" value="[^"]*"' | head -1 | sed 's/.*value="//;s/"//')"
  local before start
  before="$(kib "$SERVER_PID" VmRSS)"
  start="$(date +%s.%N)"
  for i in $(seq "$count"); do
    curl -s -o /dev/null -w '%{http_code}\n' -b "$jar" -F "_csrf=$token" \
      -F "file=@$file;type=application/octet-stream;filename=upload$i" "$URL/admin/media" >"$dir/status$i" &
  done
  wait $(jobs -p | grep -v "^$SERVER_PID$")
  local took peak after statuses
  took="$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f s", e - s }')"
  peak="$(kib "$SERVER_PID" VmHWM)"
  # Blocking threads idle out after 10 s; what is still held after 15 s is kept.
  sleep 15
  after="$(kib "$SERVER_PID" VmRSS)"
  statuses="$(cat "$dir"/status* | sort | uniq -c | awk '{ printf "%s%d×%s", (NR > 1 ? ", " : ""), $1, $2 }')"
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""
  printf '%-9s %2d × %-22s before %7s  peak %8s  after 15 s %8s  answers %-14s in %s\n' \
    "$label" "$count" "$(basename "$file") ($(du -k "$file" | cut -f1) KB)" \
    "$(mb "$before")" "$(mb "$peak")" "$(mb "$after")" "$statuses" "$took"
}

declare -A FILES COUNTS
for scenario in $SCENARIOS; do
  case "$scenario" in
    bomb) make_png 11999 11999 3 "$WORK/bomb.png"; FILES[bomb]="$WORK/bomb.png"; COUNTS[bomb]=4 ;;
    cap) make_png 9459 9459 4 "$WORK/cap.png"; FILES[cap]="$WORK/cap.png"; COUNTS[cap]=4 ;;
    photos) make_photo "$WORK/photo.jpg"; FILES[photos]="$WORK/photo.jpg"; COUNTS[photos]=20 ;;
    *) echo "unknown scenario $scenario" >&2; exit 1 ;;
  esac
done
for scenario in $SCENARIOS; do
  [[ -n "${REFERENCE:-}" ]] && measure "$REFERENCE" reference "${FILES[$scenario]}" "${COUNTS[$scenario]}"
  measure "$BIN" this "${FILES[$scenario]}" "${COUNTS[$scenario]}"
done
