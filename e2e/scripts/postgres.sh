#!/usr/bin/env bash
# Starts a throw-away PostgreSQL server on loopback for the tests and prints its admin URL.
# Usage: eval "$(e2e/scripts/postgres.sh start)"   ...   e2e/scripts/postgres.sh stop "$PGDATA_DIR"
#
# An outage of that same server, for the cluster tests (its data and its port are kept):
#   e2e/scripts/postgres.sh halt "$PGDATA_DIR"      stop it (fast: open connections are cut)
#   e2e/scripts/postgres.sh resume "$PGDATA_DIR"    start it again on the same port
#   e2e/scripts/postgres.sh restart "$PGDATA_DIR"   both
set -euo pipefail
# Below the kernel's ephemeral range (32768 and up here): a test's outgoing connection may
# have taken a port in that range as its local port, and the bind would then fail.
port="${PRESENCE_TEST_PG_PORT:-25432}"
bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"

as_pg() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# The server's options: loopback only, on $1, and fast rather than durable (a test database).
server_options() {
    echo "-k /tmp -c listen_addresses=127.0.0.1 -p $1 -c max_connections=400 -c fsync=off -c synchronous_commit=off"
}

# The port `start` chose for the data folder $1, kept there for `resume`.
port_of() {
    [ -f "$1/presence-test-port" ] || { echo "postgres.sh: $1 was not made by 'postgres.sh start'" >&2; exit 2; }
    cat "$1/presence-test-port"
}

# Starts the stopped server of data folder $1 on its port again.
resume() {
    local dir="$1" port
    port="$(port_of "$dir")"
    if ! as_pg "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -o "$(server_options "$port")" start >/dev/null; then
        echo "postgres.sh: PostgreSQL did not start again on port $port; its log:" >&2
        tail -n 30 "$dir/server.log" >&2
        exit 1
    fi
}

case "${1:-start}" in
start)
    dir="$(mktemp -d /tmp/presence-hub-pg.XXXXXX)"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir"
    as_pg "$bin/initdb" -D "$dir" -A trust -U postgres >/dev/null
    # Another cluster (a parallel run) may hold the port: take the next free one, and try
    # again on a port that turns out to be taken when the server binds it.
    for attempt in 1 2 3 4 5; do
        while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
        if as_pg "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w -o "$(server_options "$port")" start >/dev/null; then
            break
        fi
        if [ "$attempt" -eq 5 ] || ! grep -q "Address already in use" "$dir/server.log"; then
            echo "postgres.sh: PostgreSQL did not start; its log:" >&2
            cat "$dir/server.log" >&2
            exit 1
        fi
        : >"$dir/server.log"
        port=$((port + 1))
    done
    echo "$port" >"$dir/presence-test-port"
    echo "export PGDATA_DIR='$dir'"
    echo "export PRESENCE_TEST_PG='postgres://postgres@127.0.0.1:$port/postgres'"
    ;;
stop)
    dir="$2"
    as_pg "$bin/pg_ctl" -D "$dir" -m fast -w stop >/dev/null || true
    rm -rf "$dir"
    ;;
halt)
    port_of "$2" >/dev/null
    as_pg "$bin/pg_ctl" -D "$2" -m fast -w stop >/dev/null
    ;;
resume)
    resume "$2"
    ;;
restart)
    port_of "$2" >/dev/null
    as_pg "$bin/pg_ctl" -D "$2" -m fast -w stop >/dev/null || true
    resume "$2"
    ;;
*)
    echo "usage: $0 start | stop DIR | halt DIR | resume DIR | restart DIR" >&2
    exit 2
    ;;
esac
