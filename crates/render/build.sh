#!/usr/bin/env bash
# Builds render.wasm (the demo path tracer, Plinth task ABI v1) from wasm/render.c
# with Debian's clang and lld (`apt-get install clang lld`).
#
#   crates/render/build.sh [OUT]     (default: render.wasm beside this script)
#
# The flags are pinned: the tests rebuild the module and compare it with the
# committed bytes. Freestanding C: no libc, no libm (sqrt is the f64.sqrt
# instruction), no imports; plain WebAssembly MVP (-mcpu=mvp) so that any runtime
# runs it; the stack first (an overflow traps instead of overwriting data); 2 MiB of
# memory at start, at most 16 MiB; no custom sections (--strip-all), so the bytes do
# not depend on the directory or the machine it is built on.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/render.wasm}"
CLANG="${CLANG:-clang}"
# The committed render.wasm was built by Debian 12's clang and lld 14.0.6; another
# version may emit other (equally valid) bytes, which the rebuild check reports.
built_with="Debian clang version 14.0.6"
if ! "$CLANG" --version | head -1 | grep -qF "$built_with"; then
  echo "build.sh: warning: render.wasm was built with $built_with; this is $("$CLANG" --version | head -1)" >&2
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# Build in a fresh directory from a copy of the source, so no path of this checkout
# can reach the output.
cp "$here/wasm/render.c" "$tmp/render.c"
(
  cd "$tmp"
  "$CLANG" --target=wasm32-unknown-unknown -mcpu=mvp -std=c11 -O2 \
    -ffreestanding -nostdlib -fno-math-errno -ffp-contract=off \
    -Wall -Wextra -Werror \
    -fuse-ld=lld \
    -Wl,--no-entry -Wl,--strip-all -Wl,--stack-first \
    -Wl,-z,stack-size=65536 -Wl,--initial-memory=2097152 -Wl,--max-memory=16777216 \
    -o render.wasm render.c
)
cp "$tmp/render.wasm" "$out"
