#!/usr/bin/env bash
# The README's run command: installs what building needs (idempotent), builds the desktop agent
# (the demo's simulated people run as `presence-agent swarm --demo` beside the hub), then builds
# and runs the hub with the demo company. Arguments go to presence-hub, after `--demo`.
# Usage: e2e/scripts/run.sh [hub flags...]
set -euo pipefail
cd "$(dirname "$0")/../.."
bash e2e/scripts/prepare.sh build
cargo build --release -p agent --bin presence-agent
exec cargo run --release -p server --bin presence-hub -- --demo "$@"
