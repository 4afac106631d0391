#!/usr/bin/env bash
# Makes room for a test run before it starts instead of failing an hour in with "No space left
# on device" (it happened in the fuzz build). The shared build directories keep one copy of the
# workspace crates per checkout path, so they grow with every clone that used them; when the disk
# is short they are removed (the run then builds from scratch, which it must manage anyway).
#
#   e2e/scripts/check-disk.sh NEEDED_GB DIR...      DIRs: the build caches it may remove
set -euo pipefail
needed_gb=$1
shift
free_gb() {
    local probe=$1
    while [ ! -e "$probe" ]; do probe=$(dirname "$probe"); done
    df -Pk "$probe" | awk 'NR == 2 { print int($4 / 1048576) }'
}
report() {
    for dir in "$@"; do
        [ -d "$dir" ] && du -sh "$dir" 2>/dev/null | sed 's/^/disk: build cache /'
    done
    return 0
}
free=$(free_gb "$1")
echo "disk: ${free} GB free, a run from scratch needs about ${needed_gb} GB"
report "$@"
if [ "$free" -lt "$needed_gb" ]; then
    echo "disk: short of space; removing the build caches $*"
    rm -rf "$@"
    free=$(free_gb "$1")
    if [ "$free" -lt "$needed_gb" ]; then
        echo "disk: only ${free} GB free even without the build caches; a test run needs ${needed_gb} GB" >&2
        exit 1
    fi
fi
