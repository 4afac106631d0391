#!/usr/bin/env bash
# Cluster mode at home: several presence-hub processes on one PostgreSQL, behind HAProxy
# (SPEC §13) — the same layout as the cluster tests (e2e/tests/cluster/), from the same
# HAProxy template (e2e/cluster/haproxy.cfg.template).
#
# Usage:
#   e2e/scripts/cluster.sh start     start PostgreSQL (unless DATABASE_URL is set), the hubs, HAProxy
#   e2e/scripts/cluster.sh status    what runs, and HAProxy's view of the hubs
#   e2e/scripts/cluster.sh stop      stop everything it started (a PostgreSQL it started is removed)
#
# Settings (environment):
#   DATABASE_URL            an existing postgres:// database to use (kept on stop); default: a
#                           throw-away server from e2e/scripts/postgres.sh
#   PRESENCE_HUB_BIN        the hub binary; default: release, else debug build in $CARGO_TARGET_DIR
#                           or ./target (build it with `cargo build --release -p server --bin presence-hub`)
#   CLUSTER_NODES           number of hubs (3)
#   CLUSTER_PORT            the load balancer's port (8080); CLUSTER_STATS_PORT HAProxy's page (8404)
#   CLUSTER_HUB_PORT        the first hub's port (3001; the others follow)
#   CLUSTER_MAXCONN         HAProxy's maxconn (4000)
#   CLUSTER_DIR             where pids, logs and the HAProxy config go (/tmp/presence-hub-cluster)
# Every other HUB_* variable (HUB_NODE_LEASE_MS, HUB_OFFLINE_GRACE_MS, RUST_LOG...) reaches the hubs.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
nodes="${CLUSTER_NODES:-3}"
lb_port="${CLUSTER_PORT:-8080}"
stats_port="${CLUSTER_STATS_PORT:-8404}"
hub_port="${CLUSTER_HUB_PORT:-3001}"
maxconn="${CLUSTER_MAXCONN:-4000}"
state="${CLUSTER_DIR:-/tmp/presence-hub-cluster}"

say() { printf 'cluster: %s\n' "$*"; }
die() { printf 'cluster: %s\n' "$*" >&2; exit 1; }

# Waits up to $2 seconds for GET $1 to answer 200.
wait_healthy() {
    local url="$1" seconds="$2" i
    for ((i = 0; i < seconds * 10; i++)); do
        if [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" || true)" = 200 ]; then return 0; fi
        sleep 0.1
    done
    return 1
}

hub_binary() {
    if [ -n "${PRESENCE_HUB_BIN:-}" ]; then echo "$PRESENCE_HUB_BIN"; return; fi
    local target="${CARGO_TARGET_DIR:-$root/target}" profile
    for profile in release debug; do
        if [ -x "$target/$profile/presence-hub" ]; then
            echo "$target/$profile/presence-hub"
            return
        fi
    done
    die "no presence-hub binary in $target/{release,debug}: build it with
    cargo build --release -p server --bin presence-hub   (or set PRESENCE_HUB_BIN)"
}

haproxy_binary() {
    command -v haproxy 2>/dev/null || { [ -x /usr/sbin/haproxy ] && echo /usr/sbin/haproxy; } ||
        die "haproxy is not installed (Debian: apt-get install haproxy, or e2e/scripts/prepare.sh test)"
}

# Starts a background process that outlives this script: $1 name, the rest the command.
spawn() {
    local name="$1"
    shift
    setsid "$@" >"$state/$name.log" 2>&1 </dev/null &
    echo $! >"$state/$name.pid"
}

stop_pid() {
    local file="$1" pid i
    [ -f "$file" ] || return 0
    pid="$(cat "$file")"
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for ((i = 0; i < 150; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$pid" 2>/dev/null; then
            say "$(basename "$file" .pid) ignored SIGTERM for 15 s; killing it"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    rm -f "$file"
}

start() {
    if [ -f "$state/haproxy.pid" ] && kill -0 "$(cat "$state/haproxy.pid")" 2>/dev/null; then
        die "already running (e2e/scripts/cluster.sh stop first); state in $state"
    fi
    mkdir -p "$state/data"
    local bin haproxy db i port servers=""
    bin="$(hub_binary)"
    haproxy="$(haproxy_binary)"
    command -v curl >/dev/null || die "curl is needed to wait for the hubs"

    if [ -n "${DATABASE_URL:-}" ]; then
        case "$DATABASE_URL" in postgres://* | postgresql://*) ;; *) die "DATABASE_URL must be postgres:// (SQLite stays single-node)" ;; esac
        db="$DATABASE_URL"
        say "using the database $db"
    else
        local pg_env
        pg_env="$("$root/e2e/scripts/postgres.sh" start)" || die "PostgreSQL did not start"
        eval "$pg_env"
        echo "$PGDATA_DIR" >"$state/pgdata"
        psql "$PRESENCE_TEST_PG" -X -q -c "CREATE DATABASE presence" >/dev/null
        db="${PRESENCE_TEST_PG%/postgres}/presence"
        say "PostgreSQL: $db (data in $PGDATA_DIR, removed on stop)"
    fi

    local public="http://127.0.0.1:$lb_port"
    for ((i = 1; i <= nodes; i++)); do
        port=$((hub_port + i - 1))
        local demo=()
        # The first hub runs the migrations (and makes the demo company) before the others join.
        if [ "$i" -eq 1 ]; then demo=(--demo); fi
        spawn "hub-$i" env HUB_NODE_ID="hub-$i" HUB_TRUST_PROXY=1 HUB_PUBLIC_URL="$public" \
            "$bin" --listen "127.0.0.1:$port" --database-url "$db" --data-dir "$state/data" "${demo[@]}"
        servers+="    server hub-$i 127.0.0.1:$port check"$'\n'
        if [ "$i" -eq 1 ]; then
            wait_healthy "http://127.0.0.1:$port/healthz" 60 ||
                { tail -n 20 "$state/hub-1.log" >&2; die "hub-1 did not become healthy (log: $state/hub-1.log)"; }
        fi
    done
    for ((i = 2; i <= nodes; i++)); do
        wait_healthy "http://127.0.0.1:$((hub_port + i - 1))/healthz" 60 ||
            { tail -n 20 "$state/hub-$i.log" >&2; die "hub-$i did not become healthy (log: $state/hub-$i.log)"; }
    done

    SERVERS="${servers%$'\n'}" awk '$0 == "@SERVERS@" { print ENVIRON["SERVERS"]; next } { print }' \
        "$root/e2e/cluster/haproxy.cfg.template" |
        sed -e "s|@BIND@|127.0.0.1:$lb_port|" -e "s|@STATS_BIND@|127.0.0.1:$stats_port|" \
            -e "s|@RUN_DIR@|$state|" -e "s|@MAXCONN@|$maxconn|" >"$state/haproxy.cfg"
    "$haproxy" -c -q -f "$state/haproxy.cfg" || die "HAProxy refused $state/haproxy.cfg"
    spawn haproxy "$haproxy" -db -f "$state/haproxy.cfg"
    wait_healthy "$public/healthz" 20 ||
        { tail -n 20 "$state/haproxy.log" >&2; die "nothing answers through HAProxy (log: $state/haproxy.log)"; }

    say "$nodes hubs behind HAProxy: open $public"
    say "HAProxy's status page: http://127.0.0.1:$stats_port/ — logs in $state/"
    say "demo logins (password demo-pass-1): owner@demo.test admin@demo.test lead@demo.test alice@demo.test bob@demo.test carol@demo.test"
    say "stop with: e2e/scripts/cluster.sh stop"
}

status() {
    local f name
    for f in "$state"/*.pid; do
        [ -e "$f" ] || { say "nothing runs (no pid files in $state)"; return; }
        name="$(basename "$f" .pid)"
        if kill -0 "$(cat "$f")" 2>/dev/null; then say "$name: running (pid $(cat "$f"))"; else say "$name: gone"; fi
    done
    # HAProxy's view of the hubs, from its status page in CSV.
    curl -s --max-time 2 "http://127.0.0.1:$stats_port/;csv" |
        awk -F, '$1 == "hubs" && $2 != "BACKEND" { printf "cluster: HAProxy: %s %s (last check %s)\n", $2, $18, $37 }' || true
}

stop() {
    local f
    stop_pid "$state/haproxy.pid"
    # Every hub at once (each closes its sockets with 1012 and flushes), then wait for each.
    for f in "$state"/hub-*.pid; do
        if [ -e "$f" ]; then kill -TERM "$(cat "$f")" 2>/dev/null || true; fi
    done
    for f in "$state"/hub-*.pid; do
        if [ -e "$f" ]; then stop_pid "$f"; fi
    done
    if [ -f "$state/pgdata" ]; then
        "$root/e2e/scripts/postgres.sh" stop "$(cat "$state/pgdata")"
        rm -f "$state/pgdata"
    fi
    say "stopped (logs kept in $state/)"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
status) status ;;
*)
    sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
