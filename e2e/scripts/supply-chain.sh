#!/usr/bin/env bash
# The supply chain, checked with cargo-deny without its advisory database (policy: e2e/supply-chain/deny.toml):
# banned and duplicate crates, licenses, and crates.io as the only source.
# The advisory check needs the RustSec database from the network; run it by hand:
#   cargo deny --config e2e/supply-chain/deny.toml check advisories
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! cargo deny --version >/dev/null 2>&1; then
    echo "supply-chain: installing cargo-deny from crates.io"
    cargo install --locked cargo-deny
fi
for manifest in Cargo.toml server/fuzz/Cargo.toml; do
    echo "supply-chain: $manifest"
    cargo deny --manifest-path "$manifest" --config e2e/supply-chain/deny.toml \
        --log-level error check bans licenses sources
done
