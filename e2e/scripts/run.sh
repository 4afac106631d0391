#!/usr/bin/env bash
# The README's run command: installs what building needs (idempotent), builds the desktop agent
# (the demo's simulated people run as `presence-agent swarm --demo` beside the hub), then builds
# and runs the hub with the demo company. Arguments go to presence-hub, after `--demo`.
# When e2e/scripts/windows-agent.sh has built the Windows agent and its installer (not built
# here), they and the Linux agent are offered on /downloads from ./data/downloads.
# Usage: e2e/scripts/run.sh [hub flags...]
set -euo pipefail
cd "$(dirname "$0")/../.."
bash e2e/scripts/prepare.sh build
cargo build --release -p agent --bin presence-agent

# The agents users download (/downloads), unless a downloads folder was chosen already
# (--downloads-dir among the arguments, or HUB_DOWNLOADS_DIR).
target="${CARGO_TARGET_DIR:-target}"
windows="$target/x86_64-pc-windows-gnu/release"
downloads=()
case " $* " in
    *" --downloads-dir"*) chosen=1 ;;
    *) chosen="${HUB_DOWNLOADS_DIR:+1}" ;;
esac
if [ -z "$chosen" ] && [ -f "$windows/presence-agent.exe" ] && [ -f "$windows/presence-agent-setup.exe" ]; then
    mkdir -p data/downloads
    cp "$windows/presence-agent.exe" "$windows/presence-agent-setup.exe" "$target/release/presence-agent" data/downloads/
    downloads=(--downloads-dir ./data/downloads)
    echo "run: offering the agents on /downloads from ./data/downloads"
fi
exec cargo run --release -p server --bin presence-hub -- --demo "${downloads[@]}" "$@"
