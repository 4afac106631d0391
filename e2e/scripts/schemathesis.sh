#!/usr/bin/env bash
# Fuzzes the REST API from its own description: schemathesis (PyPI) reads
# /api/openapi.json of a real hub (demo data, fresh SQLite) and sends generated requests,
# valid and invalid, for a bounded time. Fails on any server error (5xx) and on any answer
# whose status, content type or body the description does not allow.
# Usage: e2e/scripts/schemathesis.sh [SECONDS]   (default 90; the hub binary must be built)
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-90}"
target="${CARGO_TARGET_DIR:-target}"
hub_bin="$target/debug/presence-hub"
venv="${PRESENCE_HUB_VENV:-/var/tmp/presence-hub-venv}"
version="4.32.5"

if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$version"; then
    echo "schemathesis: installing schemathesis $version into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "schemathesis==$version"
fi

work="$(mktemp -d /tmp/presence-hub-st.XXXXXX)"
port=$((20000 + RANDOM % 5000))
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
url="http://127.0.0.1:$port"
"$hub_bin" --demo --listen "127.0.0.1:$port" --database-url "sqlite://$work/hub.db" \
    --data-dir "$work" --login-attempts-per-minute 100000 --a2s-poll-seconds 3600 \
    >"$work/hub.log" 2>&1 &
hub=$!
trap 'kill "$hub" 2>/dev/null; wait "$hub" 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do
    curl -fs "$url/healthz" >/dev/null 2>&1 && break
    sleep 0.2
done
token=$(curl -fs "$url/api/auth/login" -H 'content-type: application/json' \
    -d '{"email":"owner@demo.test","password":"demo-pass-1"}' |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')

mkdir -p e2e/output
# Logging out, and revoking tokens by id, would end the run's own login half way.
set +e
timeout $((seconds + 120)) "$venv/bin/schemathesis" run "$url/api/openapi.json" \
    --header "Authorization: Bearer $token" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --exclude-path /api/auth/logout --exclude-path "/api/auth/tokens/{id}" \
    --max-time "$seconds" --max-examples 40 --seed 20261201 \
    --request-timeout 10 --no-color --report junit --report-dir e2e/output/schemathesis \
    2>&1 | tee e2e/output/schemathesis.txt
status=${PIPESTATUS[0]}
set -e
if [ "$status" -ne 0 ]; then
    echo "schemathesis found problems (exit $status); the hub's log: $work/hub.log" >&2
    tail -n 50 "$work/hub.log" >&2
fi
exit "$status"
