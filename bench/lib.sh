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
