#!/usr/bin/env bash
# Builds and runs the C++ tests (kernels against their references under every ISA the CPU has, layers
# against finite differences). CNN_SANITIZE=1 builds them with ASan+UBSan into build-tests-san/.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=build-tests
flags=()
if [ "${CNN_SANITIZE:-0}" = 1 ]; then
  dir=build-tests-san
  flags+=(-DCNN_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo)
fi
cmake -S native -B "$dir" -DCNN_BUILD_TESTS=ON "${flags[@]}" > "$dir.log" 2>&1 || { cat "$dir.log"; exit 1; }
cmake --build "$dir" -j "$(nproc)" >> "$dir.log" 2>&1 || { tail -50 "$dir.log"; exit 1; }
"$dir/cnn_native_tests" "$@"
