#!/usr/bin/env bash
# Installs what building and testing Presence Hub needs on a fresh Debian machine of this kind,
# idempotently: the Rust targets (wasm32 for the web app; Windows and macOS for the agent) and
# the Debian packages below.
# Usage: e2e/scripts/prepare.sh [build|test]    install what is missing
#        e2e/scripts/prepare.sh packages [build|test]   print the package list (one a line)
#
# The lists are the single source of truth: e2e/scripts/check-system-deps.sh fails the test
# command when a library the binaries link comes from a package that is not here (or pulled in
# by one that is), so a package installed by hand cannot hide a missing install step again.
set -euo pipefail

# Building: the hub's allocator (tikv-jemalloc-sys builds jemalloc with make and a C compiler).
# The desktop agent links no X library (x11rb speaks the protocol itself); its window loads
# libX11, EGL and xkbcommon at run time, which these bring.
build_packages=(
    make gcc pkg-config
    libxss-dev libx11-dev libxcb1-dev libegl-dev libxkbcommon-dev
)
# The Windows agent, built and tested from here: the mingw-w64 cross compiler (Rust's
# x86_64-pc-windows-gnu linker), Wine to run it, NSIS for its installer.
windows_packages=(gcc-mingw-w64-x86-64 wine wine64 nsis)
# Testing: the browser and its driver, a virtual display for the agent's window, pictures of it
# (imagemagick's import) and input on it (xdotool), PostgreSQL, HAProxy (cluster tests), curl,
# a C++ compiler for libFuzzer (libfuzzer-sys builds it from source for the fuzz targets), and
# poppler's pdftotext and pdftoppm to read the exported timesheet PDFs.
test_packages=(
    chromium chromium-driver xvfb imagemagick xdotool postgresql haproxy curl g++ poppler-utils
    "${windows_packages[@]}"
)

packages_for() {
    printf '%s\n' "${build_packages[@]}"
    if [ "$1" = test ]; then printf '%s\n' "${test_packages[@]}"; fi
}

case "${1:-build}" in
packages)
    packages_for "${2:-test}"
    exit 0
    ;;
build | test) what="${1:-build}" ;;
*)
    echo "usage: $0 [build|test|packages [build|test]]" >&2
    exit 2
    ;;
esac

# wasm32: the web app's browser half. Testing also builds the agent for Windows and checks
# that its macOS code compiles.
rust_targets=(wasm32-unknown-unknown)
[ "$what" = test ] && rust_targets+=(x86_64-pc-windows-gnu aarch64-apple-darwin)
installed_targets=$(rustup target list --installed 2>/dev/null || true)
for target in "${rust_targets[@]}"; do
    if ! grep -qx "$target" <<<"$installed_targets"; then
        echo "prepare: adding the $target target"
        rustup target add "$target"
    fi
done

need=()
while read -r pkg; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done < <(packages_for "$what")

if [ ${#need[@]} -gt 0 ]; then
    echo "prepare: installing ${need[*]}"
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need[@]}" >/dev/null
fi

# Testing in the browser also takes axe-core (npm, pinned), the accessibility engine the
# accessibility test runs in each page (e2e/tests/pages/accessibility.rs reads AXE_CORE_JS or this path).
if [ "$what" = test ]; then
    node_dir="${PRESENCE_NODE_DIR:-/var/tmp/presence-hub-node}"
    axe_version="4.14.1"
    if ! grep -q "\"version\": \"$axe_version\"" "$node_dir/node_modules/axe-core/package.json" 2>/dev/null; then
        command -v npm >/dev/null || { echo "prepare: npm is needed for axe-core" >&2; exit 1; }
        echo "prepare: installing axe-core $axe_version into $node_dir"
        mkdir -p "$node_dir"
        npm install --prefix "$node_dir" --no-audit --no-fund --loglevel=error "axe-core@$axe_version" >/dev/null
    fi
    # The OpenID provider of the single sign-on tests (e2e/sso/mock-idp.mjs, e2e/tests/pages/sign_in/sso.rs):
    # real signed tokens, JWKS and PKCE on loopback. It needs Node.js 20.19 or newer.
    mock_idp_version="8.2.2"
    if ! grep -q "\"version\": \"$mock_idp_version\"" "$node_dir/node_modules/oauth2-mock-server/package.json" 2>/dev/null; then
        command -v npm >/dev/null || { echo "prepare: npm is needed for oauth2-mock-server" >&2; exit 1; }
        echo "prepare: installing oauth2-mock-server $mock_idp_version into $node_dir"
        mkdir -p "$node_dir"
        npm install --prefix "$node_dir" --no-audit --no-fund --loglevel=error "oauth2-mock-server@$mock_idp_version" >/dev/null
    fi
fi

