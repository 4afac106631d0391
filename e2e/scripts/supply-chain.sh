#!/usr/bin/env bash
# The supply chain, checked with cargo-deny without its advisory database (policy: e2e/supply-chain/deny.toml):
# banned and duplicate crates, licenses, and crates.io as the only source.
# The advisory check needs the RustSec database from the network; run it by hand:
#   cargo deny --config e2e/supply-chain/deny.toml check advisories
set -euo pipefail
cd "$(dirname "$0")/../.."
deny_version=0.20.2
if [ "$(cargo deny --version 2>/dev/null)" != "cargo-deny $deny_version" ]; then
    echo "supply-chain: installing cargo-deny from crates.io"
    # Its release profile asks for fat LTO in one codegen unit: a tool that checks two
    # manifests once per test run does not need that, nor any optimisation (it still checks
    # them in about a second), and without them the cold install takes minutes less.
    CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
        CARGO_PROFILE_RELEASE_OPT_LEVEL=0 env -u CARGO_TARGET_DIR \
        cargo install --locked --version "$deny_version" cargo-deny
fi
for manifest in Cargo.toml server/fuzz/Cargo.toml; do
    echo "supply-chain: $manifest"
    cargo deny --manifest-path "$manifest" --config e2e/supply-chain/deny.toml \
        --log-level error check bans licenses sources
done
