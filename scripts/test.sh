#!/usr/bin/env bash
# The test command README.md gives: formatting, lints, unit tests, the front-door
# integration tests (real pgrq binary, real psql and tokio-postgres), three gossiping
# `pgrq node` processes, and — when an rqlited binary is available — the engine tests
# (real 3-replica rqlite clusters, hibernation and wake).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/pgrq/target}
cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings
cargo test --locked --lib --bins --test frontdoor --test cluster -- --test-threads=2

# Same lookup order as pgrq itself: PGRQ_RQLITED, the install script's cache, PATH.
version=$(awk '/github.com\/rqlite\/rqlite\/v10 v/ {print $NF; exit}' tools/rqlite/go.mod)
cached="${PGRQ_CACHE_DIR:-$HOME/.cache/pgrq}/rqlite/$version/rqlited"
if [ -n "${PGRQ_RQLITED:-}" ] || [ -x "$cached" ] || command -v rqlited >/dev/null 2>&1; then
  cargo test --locked --test engine --test ddl --test syscatalog --test nodes --test lifecycle --test advisory --test batch --test floats --test array_params -- --test-threads=2
  # The differential corpus against PostgreSQL 15's recorded answers (prints pass rates).
  cargo test --locked --test differential -- --nocapture
  # psql's \d family against pgrq and a real PostgreSQL (skips when no server binaries).
  cargo test --locked --test psql_catalog -- --nocapture
else
  echo "engine tests: NOT RUN — no rqlited binary (scripts/install-rqlited.sh could not build one; see README)"
  echo "differential corpus: NOT RUN — no rqlited binary"
fi
