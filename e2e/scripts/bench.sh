#!/usr/bin/env bash
# The benchmark of SPEC §14: builds the release hub and the load generator, raises the
# open-files limit (20,000 a process here), then runs e2e's `bench`, which seeds a fresh
# database, starts the hub on it, holds ~19,000 sockets from worker processes on loopback, runs
# the scenarios (last a reconnect storm: 10,000 agents and a hub restart), prints one table
# and writes it as JSON (e2e/output/bench.json).
#
# With --cluster it runs the cluster benchmark instead: its own PostgreSQL server (seeded before
# the hubs start), 3 hubs behind HAProxy (e2e/cluster/haproxy.cfg.template), the sockets spread
# straight over the hubs and the measured ones through HAProxy; cross-node force-end, policy
# fan-out, the bus ceiling and a hub killed with -9 (e2e/output/bench-cluster.json). Needs
# PostgreSQL's server binaries and haproxy (e2e/scripts/prepare.sh test).
#
# Usage: e2e/scripts/bench.sh [--database-url postgres://user@127.0.0.1:port/db] [bench flags]
#        e2e/scripts/bench.sh --help        # every flag (socket counts, rates, …)
#        e2e/scripts/bench.sh --cluster [--help | cluster flags]
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/presence-hub-target}"

cargo build --release -p server --bin presence-hub
cargo build --release -p e2e --bin bench
# The reconnect storm's agents: `presence-agent swarm`, the desktop agent's own socket code.
cargo build --release -p agent --bin presence-agent

hard="$(ulimit -Hn)"
if [ "$hard" = "unlimited" ] || [ "$hard" -gt 20000 ]; then hard=20000; fi
ulimit -Sn "$hard"
if [ "$hard" -lt 19500 ]; then
    echo "warning: open-files limit $hard; 19,000 sockets need about 19,100 in the hub process" >&2
fi

export PRESENCE_HUB_BIN="$CARGO_TARGET_DIR/release/presence-hub"
export PRESENCE_AGENT_BIN="$CARGO_TARGET_DIR/release/presence-agent"
exec "$CARGO_TARGET_DIR/release/bench" "$@"
