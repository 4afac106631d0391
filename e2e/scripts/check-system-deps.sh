#!/usr/bin/env bash
# Fails when a binary links a system library that no package of e2e/scripts/prepare.sh
# provides. A package installed by hand (libgbm-dev once was) would otherwise make the build
# pass here and fail on a fresh machine.
#
# For every shared library a binary needs (readelf NEEDED, resolved by ldd):
#   - the runtime file (e.g. libgbm.so.1) must come from an allowed package;
#   - the link-time file the linker took for `-lNAME` (libNAME.so, found the way gcc finds it)
#     must come from an allowed package too (libgbm.so is in libgbm-dev, not in libgbm1).
# And every `cargo:rustc-link-lib` a build script printed must resolve the same way.
# Allowed: the packages prepare.sh installs, the machine's toolchain (gcc, libc6-dev), and
# everything those depend on (recursively).
#
# Usage: e2e/scripts/check-system-deps.sh BINARY...   (e.g. target/debug/presence-agent)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
[ $# -gt 0 ] || { echo "usage: $0 BINARY..." >&2; exit 2; }

mapfile -t declared < <("$here/prepare.sh" packages test)
base=(gcc libc6-dev)

# The allowed packages: what is declared, the base, and their dependencies, recursively.
declare -A allowed=()
while read -r pkg; do
    pkg="${pkg%%:*}"
    [ -n "$pkg" ] && allowed["$pkg"]=1
done < <(apt-cache depends --recurse --installed --no-recommends --no-suggests --no-conflicts \
    --no-breaks --no-replaces --no-enhances "${declared[@]}" "${base[@]}" 2>/dev/null |
    grep -E '^[a-z0-9]' | tr -d '<>')

# The package owning a file (also under the other half of a merged /usr).
owner() {
    local path="$1" out
    for candidate in "$path" "${path#/usr}" "/usr$path"; do
        if out=$(dpkg-query -S "$candidate" 2>/dev/null); then
            out="${out%%: *}"
            echo "${out%%:*}"
            return 0
        fi
    done
    return 1
}

# Where `gcc -lNAME` finds its library, normalized without resolving symlinks; empty if not.
link_file() {
    local name="$1" found
    for file in "lib$name.so" "lib$name.a"; do
        found=$(gcc -print-file-name="$file")
        if [ "$found" != "$file" ] && [ -e "$found" ]; then
            realpath -s "$found"
            return 0
        fi
    done
}

problems=()
check_file() { # what, path
    local what="$1" path="$2" pkg
    if ! pkg=$(owner "$path"); then
        problems+=("$what: $path belongs to no Debian package (installed by hand?)")
    elif [ -z "${allowed[$pkg]:-}" ]; then
        problems+=("$what: $path comes from the package '$pkg', which e2e/scripts/prepare.sh does not install (add it to its lists)")
    fi
}

check_link_name() { # what, NAME of -lNAME
    local what="$1" name="$2" file
    file=$(link_file "$name")
    if [ -z "$file" ]; then
        problems+=("$what: the linker's -l$name has no lib$name.so or lib$name.a on this machine")
    else
        check_file "$what (link time, -l$name)" "$file"
    fi
}

checked=0
for binary in "$@"; do
    [ -x "$binary" ] || { problems+=("$binary: not built"); continue; }
    name=$(basename "$binary")
    declare -A resolved=()
    # "libX.so.1 => /path (0x...)", "libY.so => not found", "/lib64/ld-linux-x86-64.so.2 (0x...)"
    while read -r soname path; do
        [ "$path" = "not" ] && path=""
        resolved["$soname"]="$path"
    done < <(ldd "$binary" | awk '$2 == "=>" {print $1, $3} $2 != "=>" && $1 ~ /^\// {n = split($1, p, "/"); print p[n], $1}')
    while read -r soname; do
        checked=$((checked + 1))
        path="${resolved[$soname]:-}"
        if [ -z "$path" ]; then
            problems+=("$name: needs $soname, which ldd cannot find")
            continue
        fi
        check_file "$name needs $soname" "$path"
        case "$soname" in
        ld-linux*) ;; # the dynamic loader is not linked with -l
        lib*.so*)
            lib="${soname#lib}"
            check_link_name "$name needs $soname" "${lib%%.so*}"
            ;;
        esac
    done < <(readelf -d "$binary" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
    unset resolved
done

# Libraries build scripts asked for (pkg-config and friends), dynamic or static.
target="${CARGO_TARGET_DIR:-target}"
for output in "$target"/debug/build/*/output; do
    [ -f "$output" ] || continue
    crate=$(basename "$(dirname "$output")")
    while read -r spec; do
        lib="${spec#*=}" # [kind[:modifiers]=]name[:rename]
        lib="${lib%%:*}"
        # Libraries a build script compiled itself (jemalloc, ...) are in its own out dir.
        if [ -n "$(find "$(dirname "$output")/out" -name "lib$lib.a" -print -quit 2>/dev/null)" ]; then
            continue
        fi
        checked=$((checked + 1))
        check_link_name "build script of ${crate%-*}" "$lib"
    done < <(sed -n 's/^cargo:\{1,2\}rustc-link-lib=//p' "$output")
done

if [ ${#problems[@]} -gt 0 ]; then
    echo "check-system-deps: a library the build or the binaries need is not installed by e2e/scripts/prepare.sh:" >&2
    printf '  - %s\n' "${problems[@]}" >&2
    exit 1
fi
echo "check-system-deps: $checked libraries of $# binaries and the build scripts all come from packages prepare.sh installs (or their dependencies)"
