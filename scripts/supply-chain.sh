#!/bin/sh
# Supply-chain checks (CI): licences, bans (duplicate versions, wildcards) and sources.
# Needs cargo-deny (`cargo install cargo-deny --locked`). Works offline: it reads Cargo.lock and
# the local registry cache. Advisories need the RustSec database (see docs/robustness.md):
#   cargo deny check advisories
set -eu
cd "$(dirname "$0")/.."
if ! command -v cargo-deny >/dev/null 2>&1; then
    echo "supply-chain: cargo-deny not installed (cargo install cargo-deny --locked)" >&2
    exit 2
fi
cargo deny --locked check licenses bans sources
# The fuzz crate has its own lock file and dependency tree.
if [ -f fuzz/Cargo.lock ]; then
    cargo deny --locked --manifest-path fuzz/Cargo.toml --config "$PWD/deny.toml" check licenses bans sources
fi
