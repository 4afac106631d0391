#!/usr/bin/env bash
# Installs what building and testing Presence Hub needs on a fresh Debian machine of this kind,
# idempotently: the wasm32 target, and (for tests) Chromium, ChromeDriver, Xvfb and PostgreSQL.
# Usage: e2e/scripts/prepare.sh [build|test]
set -euo pipefail
what="${1:-build}"

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    echo "prepare: adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
fi

need=()
# The hub's allocator: tikv-jemalloc-sys builds jemalloc from source with make and a C compiler.
command -v make >/dev/null 2>&1 || need+=(make)
command -v cc >/dev/null 2>&1 || need+=(gcc)
# The desktop agent: xcap builds PipeWire bindings (bindgen needs libclang); user-idle needs
# the X screensaver extension; the window needs EGL and xkbcommon.
for pkg in libpipewire-0.3-dev libclang-dev libxss-dev libx11-dev libxcb1-dev libegl-dev libxkbcommon-dev pkg-config; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ "$what" = test ]; then
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
command -v Xvfb >/dev/null 2>&1 || need+=(xvfb)
# Pictures of the agent's window (import) and input on the virtual display (xdotool).
command -v import >/dev/null 2>&1 || need+=(imagemagick)
command -v xdotool >/dev/null 2>&1 || need+=(xdotool)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
fi
if [ ${#need[@]} -gt 0 ]; then
    echo "prepare: installing ${need[*]}"
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need[@]}" >/dev/null
fi
