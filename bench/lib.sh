# Shared set-up of the benchmark scripts (sourced; expects PORT): a release build, a scratch
# directory removed on exit with the server started in it, and release-profile settings.
# FOLIO_RELEASE_BIN names a release binary already built (the build is then skipped).
if [[ -n "${FOLIO_RELEASE_BIN:-}" ]]; then
  BIN="$(realpath "$FOLIO_RELEASE_BIN")"
else
  cargo build --release --locked --quiet
  BIN="${CARGO_TARGET_DIR:-$PWD/target}/release/folio"
fi
WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() { [[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

export ROCKET_PROFILE=release ROCKET_PORT="$PORT" ROCKET_ADDRESS=127.0.0.1 ROCKET_LOG_LEVEL=off
export ROCKET_SECRET_KEY="$(head -c 32 /dev/urandom | base64)"

# Installs wrk from Debian when it is missing (load benchmarks only).
need_wrk() {
  if ! command -v wrk >/dev/null; then
    echo "Installing wrk (Debian package)…"
    apt-get install -y -qq wrk >/dev/null
  fi
}

# One wrk run (one thread, CONNECTIONS connections, DURATION) → "req/s p99_ms"; a non-2xx answer
# stops the benchmark.
measure_once() {
  local out rps p99
  out="$(wrk -t1 -c"$CONNECTIONS" -d"$DURATION" --latency "$1")"
  if grep -q "Non-2xx" <<<"$out"; then echo "non-2xx responses for $1" >&2; echo "$out" >&2; exit 1; fi
  rps="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
  # wrk prints 99% as 812.00us, 5.62ms or 1.02s; normalise to milliseconds.
  p99="$(awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else {sub(/s$/,"",v); v*=1000}; printf "%.2f", v}' <<<"$out")"
  echo "$rps $p99"
}

