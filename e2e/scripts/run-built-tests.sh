#!/usr/bin/env bash
# Runs test binaries that `cargo test --workspace --no-default-features` (test-all.sh) built,
# without building them again.
#
#   e2e/scripts/run-built-tests.sh PACKAGE[,PACKAGE…] [TEST_TARGET] [-- TEST_ARGS...]
#   e2e/scripts/run-built-tests.sh server -- --test-threads 2      every test binary of server
#   e2e/scripts/run-built-tests.sh shared,hub-core,web              those packages' binaries
#   e2e/scripts/run-built-tests.sh e2e faults -- --ignored --nocapture
#
# Why: `cargo test -p server` resolves the dependencies' features for that package alone
# (resolver 2), which differ from the workspace's (the agent and e2e enable more of rustix,
# uuid, smallvec, …), so it compiled server, web and every test binary a second time: minutes
# on two cores and ~10 GB of disk per CI run. The steps after the first `cargo test --workspace`
# (PostgreSQL, faults, cluster) run what that one built. Each binary runs in its package's
# folder, as `cargo test` runs it.
set -euo pipefail
cd "$(dirname "$0")/../.."
package=${1:?usage: $0 PACKAGE[,PACKAGE…] [TEST_TARGET] [-- TEST_ARGS...]}
shift
target=""
if [ "$#" -gt 0 ] && [ "$1" != "--" ]; then
    target=$1
    shift
fi
[ "${1:-}" = "--" ] && shift

# `--no-run` only lists what is up to date (and builds what is not, as `cargo test` would).
# The features are test-all.sh's (no jemalloc in the tests' hub).
listing=$(cargo test --workspace --no-default-features --no-run --message-format=json)
IFS= read -r -d '' pick <<'EOF' || true
import json, sys
packages, target = sys.argv[1].split(","), sys.argv[2]
for line in sys.stdin:
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("reason") != "compiler-artifact" or not m.get("profile", {}).get("test"):
        continue
    if not m.get("executable"):
        continue
    t = m["target"]
    # package_id: "path+file:///…/server#0.1.0", or "…/folder#name@0.1.0" when the package
    # is not named after its folder.
    source, _, fragment = m["package_id"].partition("#")
    name = fragment.split("@")[0] if "@" in fragment else source.rstrip("/").rsplit("/", 1)[-1]
    if name not in packages or (target and t["name"] != target):
        continue
    manifest_dir = m["manifest_path"].rsplit("/", 1)[0]
    print(f'{t["kind"][0]}\t{t["name"]}\t{manifest_dir}\t{m["executable"]}')
EOF
mapfile -t binaries < <(python3 -c "$pick" "$package" "$target" <<<"$listing")
if [ "${#binaries[@]}" -eq 0 ]; then
    echo "run-built-tests: no test binary of package '$package'${target:+ named '$target'}" >&2
    exit 1
fi
failed=0
for entry in "${binaries[@]}"; do
    IFS=$'\t' read -r kind name dir exe <<<"$entry"
    echo "     Running $kind $name ($exe)"
    (cd "$dir" && CARGO_MANIFEST_DIR="$dir" "$exe" "$@") || failed=$((failed + 1))
done
if [ "$failed" -gt 0 ]; then
    echo "run-built-tests: $failed test binaries of $package failed" >&2
    exit 1
fi
