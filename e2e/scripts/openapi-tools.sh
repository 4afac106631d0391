#!/usr/bin/env bash
# The REST API's description as integrators' tools take it: a real hub (demo data, fresh
# SQLite) serves /api/openapi.json; openapi-spec-validator (PyPI) must accept it, and a Python
# client generated from it by openapi-python-client (PyPI) must log in, list the users and end
# a running session (e2e/openapi/client_check.py).
# Usage: e2e/scripts/openapi-tools.sh        (the hub binary must be built)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
target="${CARGO_TARGET_DIR:-target}"
hub_bin="$target/debug/presence-hub"
venv="${PRESENCE_OPENAPI_VENV:-/var/tmp/presence-hub-openapi-venv}"
validator_version="0.9.0"
generator_version="0.29.1"

[ -x "$hub_bin" ] || { echo "openapi-tools: $hub_bin is not built" >&2; exit 1; }
if ! "$venv/bin/pip" show openapi-spec-validator 2>/dev/null | grep -x "Version: $validator_version" >/dev/null ||
    ! "$venv/bin/pip" show openapi-python-client 2>/dev/null | grep -x "Version: $generator_version" >/dev/null; then
    echo "openapi-tools: installing openapi-spec-validator $validator_version and openapi-python-client $generator_version into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "openapi-spec-validator==$validator_version" \
        "openapi-python-client==$generator_version"
fi

work="$(mktemp -d /tmp/presence-hub-openapi.XXXXXX)"
port=$((25000 + RANDOM % 5000))
while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
url="http://127.0.0.1:$port"
"$hub_bin" --demo --demo-agents 0 --listen "127.0.0.1:$port" --database-url "sqlite://$work/hub.db" \
    --data-dir "$work" --a2s-poll-seconds 3600 >"$work/hub.log" 2>&1 &
hub=$!
trap 'kill "$hub" 2>/dev/null; wait "$hub" 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 150); do
    curl -fs "$url/healthz" >/dev/null 2>&1 && break
    sleep 0.2
done
curl -fsS "$url/api/openapi.json" -o "$work/openapi.json"

echo "openapi-tools: openapi-spec-validator"
"$venv/bin/openapi-spec-validator" "$work/openapi.json"

echo "openapi-tools: openapi-python-client generate"
(cd "$work" && "$venv/bin/openapi-python-client" generate --path openapi.json \
    --meta none --output-path "$work/client/presence_hub_client" \
    --config "$root/e2e/openapi/generator.yml" >"$work/generate.log" 2>&1) || {
    cat "$work/generate.log" >&2
    exit 1
}
# The generator warns about what it could not turn into code: none of that is acceptable.
if grep -qi "warning" "$work/generate.log"; then
    cat "$work/generate.log" >&2
    echo "openapi-tools: the generator warned about the description" >&2
    exit 1
fi

echo "openapi-tools: the generated client against the hub"
PYTHONPATH="$work/client" "$venv/bin/python" "$root/e2e/openapi/client_check.py" "$url"
