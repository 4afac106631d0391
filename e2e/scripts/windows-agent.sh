#!/usr/bin/env bash
# Builds the Windows agent from Linux: presence-agent.exe (release, x86_64-pc-windows-gnu,
# linked by Debian's mingw-w64) and its per-user installer presence-agent-setup.exe (NSIS), in
# $CARGO_TARGET_DIR/x86_64-pc-windows-gnu/release/. Fails, saying what to install, when a piece
# of the toolchain is missing (e2e/scripts/prepare.sh test installs them all).
#
#   e2e/scripts/windows-agent.sh          build both, print their paths and sizes
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
target=x86_64-pc-windows-gnu

missing=()
command -v x86_64-w64-mingw32-gcc >/dev/null || missing+=("x86_64-w64-mingw32-gcc (Debian gcc-mingw-w64-x86-64)")
command -v makensis >/dev/null || missing+=("makensis (Debian nsis)")
rustup target list --installed 2>/dev/null | grep -qx "$target" || missing+=("the Rust target $target (rustup target add $target)")
if [ ${#missing[@]} -gt 0 ]; then
    printf 'windows-agent: missing %s\n' "${missing[@]}" >&2
    echo "windows-agent: e2e/scripts/prepare.sh test installs them" >&2
    exit 1
fi

# One build for the program and the agent's unit tests (which test-all runs under Wine): the
# test build resolves tokio with the tests' test-util, and a separate `cargo build` would
# compile tokio and all that depends on it a second time. Under test-all, clippy's driver
# (RUSTC_WORKSPACE_WRAPPER) lints the Windows-only code as well.
cargo test --release --target "$target" -p agent --no-run
out="$CARGO_TARGET_DIR/$target/release"
# The unit-test programs, one a line, for running them under Wine without cargo (test-all runs
# them while the macOS check holds this target folder's lock).
cargo test --release --target "$target" -p agent --no-run --message-format=json 2>/dev/null |
    python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("profile", {}).get("test") and m.get("executable"):
        print(m["executable"])' >"$out/agent-unit-tests.txt"
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
makensis -V2 -DAGENT_EXE="$out/presence-agent.exe" -DOUTFILE="$out/presence-agent-setup.exe" \
    -DVERSION="$version" agent/windows/installer.nsi
for file in presence-agent.exe presence-agent-setup.exe; do
    printf 'windows-agent: %s  %s bytes\n' "$out/$file" "$(stat -c %s "$out/$file")"
done
