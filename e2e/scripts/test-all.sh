#!/usr/bin/env bash
# Runs every test of Presence Hub: format and lint checks, the supply-chain check, unit and
# integration tests on SQLite (the fuzz targets' seeds and regressions among them), the
# end-to-end tests (real hub process, real sockets, headless Chromium), the Windows agent built
# here and run under Wine, the macOS agent compiled, the OpenAPI tools and schemathesis, the
# integration tests again on PostgreSQL, and the cluster tests. FUZZ=1 adds a short fuzzing run
# (its instrumented build takes ~20 minutes cold; e2e/scripts/fuzz.sh runs it on its own).
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/presence-hub-target}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# Incremental caches grow by gigabytes per checkout and do not help a one-off run.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

e2e/scripts/prepare.sh test
fuzz_target_dir="${FUZZ_TARGET_DIR:-/var/tmp/presence-hub-fuzz-target}"
# The Windows and macOS builds' own target folder (see the side builds below).
cross_target="${CROSS_TARGET_DIR:-/var/tmp/presence-hub-cross-target}"
e2e/scripts/check-disk.sh "${PRESENCE_NEEDED_GB:-15}" "$CARGO_TARGET_DIR" "$cross_target" "$fuzz_target_dir"

started=$(date +%s)
step() { printf '\n=== %s  [%s s]\n' "$*" "$(($(date +%s) - started))"; }

step "cargo fmt --check"
cargo fmt --all -- --check

command -v clippy-driver >/dev/null || rustup component add clippy
# The workspace's own crates are compiled by clippy's driver, which lints them and then builds
# them as rustc would: what `cargo clippy --workspace --all-targets -- -D warnings` checks, without
# its second compile of every dependency in check mode (~12 minutes cold on 2 cores). This is
# how `cargo clippy` runs its driver; CLIPPY_ARGS carries its flags, "__CLIPPY_HACKERY__"
# between them. Exported: every later cargo call must see the same wrapper, or it rebuilds.
export RUSTC_WORKSPACE_WRAPPER=clippy-driver
export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"

# The builds no Linux test needs run beside the tests, at the lowest CPU priority: the Windows
# agent (its exe, installer and unit tests) and then the macOS check in a target folder of their
# own (cargo locks a target folder for as long as it runs tests), and cargo-deny in a second lane.
# The test steps mostly wait on browsers, sockets and databases, and these builds take that idle
# time (~15 minutes of them cold) instead of adding to the run. The Wine step waits for the
# Windows build only; the rest is waited for at the end. Their logs are printed then.
mkdir -p e2e/output
cross_log=e2e/output/side-builds.log
deny_log=e2e/output/supply-chain.log
windows_ready="$cross_target/windows-agent.ready"
rm -f "$windows_ready"
cross_builds() {
    local began=$SECONDS
    part() { printf '\n--- %s  [%s s]\n' "$*" "$((SECONDS - began))"; }
    part "the Windows agent: presence-agent.exe, presence-agent-setup.exe, unit tests (mingw-w64, NSIS)"
    CARGO_TARGET_DIR="$cross_target" e2e/scripts/windows-agent.sh
    touch "$windows_ready"
    part "the agent's macOS code compiles and passes clippy (compiled, not run: no Mac here)"
    # --release: the build scripts and proc-macros it runs on this machine are then the very
    # ones the Windows release build compiled (a dev-profile check compiled them all again).
    CARGO_TARGET_DIR="$cross_target" cargo check --release --target aarch64-apple-darwin -p agent
    part "done"
}
deny_builds() {
    local began=$SECONDS
    printf -- '--- supply chain: banned and duplicate crates, licenses, sources (cargo deny; advisories: README)\n'
    e2e/scripts/supply-chain.sh
    printf -- '--- done  [%s s]\n' "$((SECONDS - began))"
}
# setsid: its own process group, so that the trap ends the cargo and rustc under it too. A new
# session is also a new scheduler autogroup (kernel.sched_autogroup_enabled), and nice only
# ranks processes inside one autogroup: the group itself is niced, or it takes half the CPU.
beside() {
    setsid nice -n 19 bash -c "echo 19 >/proc/self/autogroup 2>/dev/null || true; $(declare -f cross_builds deny_builds); set -euo pipefail; cross_target='$cross_target'; windows_ready='$windows_ready'; $1"
}
beside cross_builds >"$cross_log" 2>&1 &
side_pid=$!
beside deny_builds >"$deny_log" 2>&1 &
deny_pid=$!
# A failed run must not leave the side builds compiling.
stop_side_builds() { kill -- "-$side_pid" "-$deny_pid" 2>/dev/null || true; }
trap stop_side_builds EXIT

step "clippy (warnings are errors) and every test binary, the hub and agent binaries: one build"
# One build for all: the binaries come out of the test build itself (`cargo build -p …` alone
# resolves other features — tokio without the tests' test-util — and compiled tokio and all
# that depends on it a second time). --timings leaves a report of what took how long in
# $CARGO_TARGET_DIR/cargo-timings/.
# --no-default-features: the hub's jemalloc stays out of the tests (see server/src/main.rs).
cargo test --workspace --no-default-features --no-run --timings

step "every system library the binaries link comes from a package prepare.sh installs"
e2e/scripts/check-system-deps.sh "$CARGO_TARGET_DIR/debug/presence-hub" "$CARGO_TARGET_DIR/debug/presence-agent"

# From here on the steps run the test binaries that build made (run-built-tests.sh says why).
step "unit tests on SQLite: shared, hub-core, web, agent"
e2e/scripts/run-built-tests.sh shared,hub-core,web,agent
step "the hub's tests on SQLite (its unit tests, real hubs in-process, fuzz seeds and regressions)"
# Six at a time: these hubs mostly wait on sockets and timers (one test waits a minute for a
# wall-clock stop time), ~40 CPU-seconds in all.
e2e/scripts/run-built-tests.sh server -- --test-threads 6
step "end-to-end tests on SQLite: real hub processes, real sockets, headless Chromium"
e2e/scripts/run-built-tests.sh e2e

step "faults: restart under 2,000 agents, half-open agent, stalled tabs, kill -9 (SQLite)"
e2e/scripts/run-built-tests.sh e2e faults -- --ignored --nocapture --test-threads 1

# The API checks against a hub of their own run beside the PostgreSQL steps (the in-process
# tests there mostly wait); their output is printed when they are waited for.
api_log=e2e/output/api-tools.log
api_checks() {
    echo "--- OpenAPI as integrators' tools take it: openapi-spec-validator, a generated Python client"
    e2e/scripts/openapi-tools.sh
    echo "--- schemathesis: the REST API fuzzed from /api/openapi.json against a real hub"
    e2e/scripts/schemathesis.sh "${SCHEMATHESIS_SECONDS:-90}"
}
# setsid, as for the side builds: a failed run stops them and the hubs they started.
setsid bash -c "$(declare -f api_checks); set -euo pipefail; api_checks" >"$api_log" 2>&1 &
api_pid=$!
stop_api_checks() { kill -- "-$api_pid" 2>/dev/null || true; }
trap 'stop_side_builds; stop_api_checks' EXIT

if [ "${FUZZ:-0}" = 1 ]; then
    step "fuzzing: every parser of outside bytes, ${FUZZ_SECONDS:-20} s a target (cargo-fuzz)"
    e2e/scripts/fuzz.sh "${FUZZ_SECONDS:-20}"
fi

step "integration tests on PostgreSQL"
# Not `eval "$(…)"` alone: a failed start must fail the run, not test SQLite twice.
pg_env="$(e2e/scripts/postgres.sh start)"
eval "$pg_env"
[ -n "${PRESENCE_TEST_PG:-}" ] || { echo "PostgreSQL did not start" >&2; exit 1; }
trap 'stop_side_builds; stop_api_checks; e2e/scripts/postgres.sh stop "$PGDATA_DIR"' EXIT
e2e/scripts/run-built-tests.sh server -- --test-threads 6
step "fault test on PostgreSQL: kill -9 during concurrent writes"
e2e/scripts/run-built-tests.sh e2e faults -- kill9 --ignored --nocapture

step "the API checks run beside the PostgreSQL steps: OpenAPI tools, schemathesis"
api_status=0
wait "$api_pid" || api_status=$?
cat "$api_log"
[ "$api_status" -eq 0 ] || { echo "the API checks failed (exit $api_status): $api_log" >&2; exit 1; }

step "cluster mode: three hubs on their own PostgreSQL server behind HAProxy"
e2e/scripts/run-built-tests.sh e2e cluster -- --ignored --nocapture --test-threads 1

step "the Windows agent under Wine: its unit tests, then the agent scenarios and the installer"
# Built beside the tests above; waited for here if it is not done yet.
while [ ! -e "$windows_ready" ]; do
    if ! kill -0 "$side_pid" 2>/dev/null; then
        cat "$cross_log"
        echo "the Windows build stopped before it was done: $cross_log" >&2
        exit 1
    fi
    sleep 2
done
wine_env="$(e2e/scripts/wine-prefix.sh)"
eval "$wine_env"
export PRESENCE_AGENT_EXE="$cross_target/x86_64-pc-windows-gnu/release/presence-agent.exe"
# The unit tests as cargo would run them (from the package's folder), without cargo: the macOS
# check may hold the target folder meanwhile.
while read -r unit_tests; do
    echo "     Running $unit_tests (under Wine)"
    (cd agent && CARGO_MANIFEST_DIR="$PWD" wine "$unit_tests")
done <"$cross_target/x86_64-pc-windows-gnu/release/agent-unit-tests.txt"
# One at a time: Wine keeps one desktop per prefix, on the first program's X display.
e2e/scripts/run-built-tests.sh e2e agent_process -- --ignored windows_ --nocapture --test-threads 1
e2e/scripts/run-built-tests.sh e2e agent_install -- --ignored windows_ --nocapture

step "the side builds: Windows agent, macOS check, supply chain (run beside the tests above)"
side_status=0
wait "$side_pid" || side_status=$?
deny_status=0
wait "$deny_pid" || deny_status=$?
cat "$cross_log" "$deny_log"
[ "$side_status" -eq 0 ] || { echo "side builds failed (exit $side_status): $cross_log" >&2; exit 1; }
[ "$deny_status" -eq 0 ] || { echo "the supply-chain check failed (exit $deny_status): $deny_log" >&2; exit 1; }

e2e/scripts/check-disk.sh 0 "$CARGO_TARGET_DIR" "$cross_target" "$fuzz_target_dir"
step "all tests passed in $(( $(date +%s) - started )) s"
