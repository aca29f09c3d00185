#!/usr/bin/env bash
# Vendors htmx into static/js/ from the npm registry, pinned by version and SHA-256.
# To upgrade: change VERSION, run with --print-sha to see the new digest, review, update SHA256.
set -euo pipefail
VERSION="2.0.11"
SHA256="d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717"
DEST="$(cd "$(dirname "$0")/.." && pwd)/static/js/htmx.min.js"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack "htmx.org@${VERSION}" --silent >/dev/null && tar xzf "htmx.org-${VERSION}.tgz")
actual="$(sha256sum "$work/package/dist/htmx.min.js" | cut -d' ' -f1)"
if [[ "${1:-}" == "--print-sha" ]]; then
  echo "$actual"
  exit 0
fi
if [[ "$actual" != "$SHA256" ]]; then
  echo "htmx ${VERSION}: checksum mismatch (expected $SHA256, got $actual)" >&2
  exit 1
fi
cp "$work/package/dist/htmx.min.js" "$DEST"
echo "static/js/htmx.min.js = htmx ${VERSION} (sha256 ${SHA256})"
