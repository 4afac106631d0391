#!/usr/bin/env bash
# Makes (once) the Wine prefix the Windows agent's tests run in, and prints its environment:
#   eval "$(e2e/scripts/wine-prefix.sh [DIR])"      export lines for a shell
#   e2e/scripts/wine-prefix.sh --env-lines [DIR]    KEY=VALUE lines (what e2e/src/agent.rs reads)
# DIR: $PRESENCE_WINEPREFIX, else /var/tmp/presence-hub-wine.
#
# Debian 12's Wine 8 lacks ProcessPrng (bcryptprimitives.dll), which every Rust program since
# 1.78 imports: a stand-in built from e2e/wine/processprng.c goes into this prefix's system32
# and is preferred to Wine's own by WINEDLLOVERRIDES. Only this test prefix has it; what users
# install does not contain it. Mono and Gecko (which wineboot would offer to download) are
# switched off: the agent needs neither.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
format=export
if [ "${1:-}" = --env-lines ]; then
    format=lines
    shift
fi
prefix="${1:-${PRESENCE_WINEPREFIX:-/var/tmp/presence-hub-wine}}"
for tool in wine wineboot x86_64-w64-mingw32-gcc; do
    command -v "$tool" >/dev/null || {
        echo "wine-prefix: $tool is missing; run e2e/scripts/prepare.sh test" >&2
        exit 1
    }
done
export WINEPREFIX="$prefix" WINEARCH=win64 WINEDEBUG=-all
export WINEDLLOVERRIDES="mscoree,mshtml=;bcryptprimitives=n,b"
if [ ! -f "$prefix/system.reg" ]; then
    echo "wine-prefix: creating $prefix" >&2
    mkdir -p "$prefix"
    # No display needed to create it; a fresh prefix takes ~20 s.
    DISPLAY= wineboot --init >/dev/null 2>&1
    wineserver -w
fi
dll="$prefix/drive_c/windows/system32/bcryptprimitives.dll"
source_file="$here/../wine/processprng.c"
if [ ! -f "$dll" ] || [ "$source_file" -nt "$dll" ]; then
    x86_64-w64-mingw32-gcc -O2 -shared -o "$dll" "$source_file" "$here/../wine/bcryptprimitives.def" -ladvapi32
fi
if [ "$format" = lines ]; then
    printf '%s\n' "WINEPREFIX=$prefix" WINEARCH=win64 WINEDEBUG=-all "WINEDLLOVERRIDES=$WINEDLLOVERRIDES"
else
    printf 'export WINEPREFIX=%q WINEARCH=win64 WINEDEBUG=-all WINEDLLOVERRIDES=%q\n' "$prefix" "$WINEDLLOVERRIDES"
fi
