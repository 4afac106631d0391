#!/usr/bin/env bash
# Fuzzes every parser that reads bytes from outside (server/fuzz: socket frames and messages of
# both endpoints, A2S datagrams and split answers, the screenshot upload, query strings, the
# holiday import's iCalendar files) with
# cargo-fuzz (libFuzzer). First every target runs once over each input that ever crashed it
# (server/fuzz/regressions/<target>/), then fuzzes for SECONDS (default 20) from its seeds.
#
#   e2e/scripts/fuzz.sh [SECONDS] [TARGET...]      FUZZ_SECONDS=3600 for a long run
#
# A crash stops the run and leaves its input in $FUZZ_WORK/artifacts/<target>/: copy it into
# server/fuzz/regressions/<target>/ with the fix.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
seconds="${1:-${FUZZ_SECONDS:-20}}"
shift || true
export CARGO_TARGET_DIR="${FUZZ_TARGET_DIR:-/var/tmp/presence-hub-fuzz-target}"
export CARGO_INCREMENTAL=0
work="${FUZZ_WORK:-/var/tmp/presence-hub-fuzz}"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz from crates.io"
    cargo install --locked cargo-fuzz
fi
# libFuzzer's instrumentation flags are unstable rustc options. This machine has one stable
# toolchain and cannot fetch a nightly, so the bootstrap switch lets it take them.
export RUSTC_BOOTSTRAP=1
# cargo-fuzz asks for line tables, which make each of the seven binaries (the whole server
# linked in) hundreds of megabytes and once filled a CI disk. A finding is a panic whose message
# names file and line anyway; the last -C flag wins, so this one turns them off.
export RUSTFLAGS="${RUSTFLAGS:-} -Cdebuginfo=0"
# The parsers are safe Rust: no sanitizer (a panic or a failed assertion is the finding), which
# keeps the instrumented build of the server to a few minutes.
fz() {
    local command=$1
    shift
    cargo fuzz "$command" --fuzz-dir "$root/server/fuzz" "$@"
}
common=(--sanitizer none --release)

if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    listed=$(fz list)
    mapfile -t targets <<<"$listed"
fi
[ "${#targets[@]}" -gt 0 ] && [ -n "${targets[0]}" ] || { echo "fuzz: no targets" >&2; exit 1; }
echo "fuzz: building ${#targets[@]} targets"
fz build "${common[@]}"

total_runs=0
for target in "${targets[@]}"; do
    regressions="$root/server/fuzz/regressions/$target"
    if [ -d "$regressions" ] && [ -n "$(ls -A "$regressions")" ]; then
        fz run "${common[@]}" "$target" "$regressions" -- -runs=0
    fi
    corpus="$work/corpus/$target"
    artifacts="$work/artifacts/$target"
    mkdir -p "$corpus" "$artifacts"
    cp -n "$root/server/fuzz/seeds/$target/"* "$corpus/" 2>/dev/null || true
    log="$work/$target.log"
    if ! fz run "${common[@]}" "$target" "$corpus" -- \
        -max_total_time="$seconds" -max_len=20000 -rss_limit_mb=2048 -timeout=10 \
        -artifact_prefix="$artifacts/" -print_final_stats=1 >"$log" 2>&1; then
        tail -n 60 "$log"
        echo "fuzz: $target FAILED; the input is in $artifacts/" >&2
        exit 1
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    total_runs=$((total_runs + ${runs:-0}))
    printf 'fuzz: %-18s %9s runs in %s s, corpus %s inputs, no crash\n' \
        "$target" "${runs:-?}" "$seconds" "$(ls "$corpus" | wc -l)"
done
echo "fuzz: ${#targets[@]} targets, $total_runs runs, no crash"
