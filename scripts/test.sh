#!/usr/bin/env bash
# The test command README.md gives: formatting, lints, unit tests and the integration
# tests in tests/ (real pgrq binary, real psql and tokio-postgres).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/pgrq/target}
cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings
cargo test --locked -- --test-threads=2
