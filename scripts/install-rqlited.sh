#!/usr/bin/env bash
# Builds rqlited from the Go module pinned in tools/rqlite/go.mod, through the Go module
# proxy, into a cache dir outside the clone. Idempotent: does nothing when the binary for
# the pinned version is already there. Prints the binary's path on success.
#
#   scripts/install-rqlited.sh            # build if missing, print path
#   PGRQ_CACHE_DIR=/some/dir scripts/...  # other cache root (default ~/.cache/pgrq)
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
mod_dir="$here/tools/rqlite"
version=$(awk '/github.com\/rqlite\/rqlite\/v10 v/ {print $NF; exit}' "$mod_dir/go.mod")
cache_root=${PGRQ_CACHE_DIR:-$HOME/.cache/pgrq}
out_dir="$cache_root/rqlite/$version"
bin="$out_dir/rqlited"

if [ -x "$bin" ] && "$bin" -version >/dev/null 2>&1; then
  echo "$bin"
  exit 0
fi

command -v go >/dev/null || { echo "install-rqlited: Go toolchain not found (need go >= 1.26 and a C compiler for cgo)" >&2; exit 1; }
command -v cc >/dev/null || command -v gcc >/dev/null || { echo "install-rqlited: no C compiler (cgo needs one)" >&2; exit 1; }

mkdir -p "$out_dir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Work on a copy so that go.sum updates never dirty the clone.
cp "$mod_dir/go.mod" "$mod_dir/tools.go" "$tmp/"
[ -f "$mod_dir/go.sum" ] && cp "$mod_dir/go.sum" "$tmp/"
cd "$tmp"
# SQLite's math functions (sqrt, exp, ln, pow, trigonometry) and percentile aggregates
# (percentile_cont/percentile_disc, median): pgrq translates PostgreSQL's to them.
echo "install-rqlited: building rqlited $version (cgo) into $out_dir" >&2
if ! go mod download github.com/rqlite/rqlite/v10 >"$tmp/log" 2>&1 \
   || ! GOFLAGS=-mod=mod go mod tidy >>"$tmp/log" 2>&1 \
   || ! CGO_ENABLED=1 go build -trimpath -tags "sqlite_math_functions sqlite_percentile" \
        -ldflags "-X github.com/rqlite/rqlite/v10/cmd.Version=$version" \
        -o "$bin.tmp" github.com/rqlite/rqlite/v10/cmd/rqlited >>"$tmp/log" 2>&1; then
  echo "install-rqlited: could not build rqlited $version through the Go module proxy ($(go env GOPROXY)):" >&2
  sed 's/^/  /' "$tmp/log" >&2
  rm -f "$bin.tmp"
  exit 1
fi
mv "$bin.tmp" "$bin"
echo "$bin"
