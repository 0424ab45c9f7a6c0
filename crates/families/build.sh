#!/usr/bin/env bash
# Builds one WebAssembly proof family (the Plinth family ABI v1, ABI.md) from
# NAME/NAME.c and the SDK (sdk/plinth_family.h) with Debian's clang and lld
# (`apt-get install clang lld`).
#
#   crates/families/build.sh NAME [OUT]     (default: NAME.wasm beside this script)
#
# The flags are pinned: the tests rebuild every family and compare it with the
# committed bytes. Freestanding C: no libc, no libm; the only imports are the host
# functions of module `plinth` the SDK declares; plain WebAssembly MVP (-mcpu=mvp)
# plus bulk memory off; the stack first (an overflow traps instead of overwriting
# data), 1 MiB of it; 2 MiB of memory at start, at most 2 GiB (the family limit);
# no custom sections (--strip-all), so the bytes depend on neither the directory
# nor the machine.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
name="${1:?usage: build.sh NAME [OUT]}"
out="${2:-$here/$name.wasm}"
CLANG="${CLANG:-clang}"
# The committed modules were built by Debian 12's clang and lld 14.0.6; another
# version may emit other (equally valid) bytes, which the rebuild check reports.
built_with="Debian clang version 14.0.6"
if ! "$CLANG" --version | head -1 | grep -qF "$built_with"; then
  echo "build.sh: warning: the families were built with $built_with; this is $("$CLANG" --version | head -1)" >&2
fi
[ -f "$here/$name/$name.c" ] || { echo "build.sh: no $name/$name.c" >&2; exit 2; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# Build in a fresh directory from a copy of the sources, so no path of this
# checkout can reach the output.
mkdir -p "$tmp/sdk"
cp "$here/sdk/"*.h "$tmp/sdk/"
cp "$here/$name/"*.c "$here/$name/"*.h "$tmp/" 2>/dev/null || cp "$here/$name/"*.c "$tmp/"
(
  cd "$tmp"
  "$CLANG" --target=wasm32-unknown-unknown -mcpu=mvp -std=c11 -O2 \
    -ffreestanding -nostdlib -fno-math-errno -ffp-contract=off \
    -Wall -Wextra -Werror -Isdk \
    -fuse-ld=lld \
    -Wl,--no-entry -Wl,--strip-all -Wl,--stack-first \
    -Wl,-z,stack-size=1048576 -Wl,--initial-memory=2097152 -Wl,--max-memory=2147483648 \
    -o out.wasm "$name.c"
)
cp "$tmp/out.wasm" "$out"
