#!/usr/bin/env bash
# Builds and runs the C++ tests (kernels against their references under every ISA the CPU has, layers
# against finite differences). Arguments are passed to the test executable (a test name filters).
#
# Where it builds:
#   - by default, in build/ (the tree `npm install` configured with cmake-js), as the extra target
#     cnn_native_tests: the core is already compiled there, so only the test sources are built, and a
#     second run with nothing changed builds nothing;
#   - in build-tests/ when there is no such tree (a node-gyp install, or before `npm install`);
#   - CNN_SANITIZE=1: in build-tests-san/, with AddressSanitizer + UndefinedBehaviorSanitizer.
# Progress is printed as one line per compiled file; the full build log is kept in <dir>.log.
set -euo pipefail
cd "$(dirname "$0")/.."

progress() {
  # cmake/ninja/make print "[ 12/40] Building CXX object ..." or "[ 30%] Building ..."; keep those short.
  local log=$1
  while IFS= read -r line; do
    printf '%s\n' "$line" >>"$log"
    case "$line" in
      \[*Building*|\[*Linking*) printf '  native tests: %s\n' "$(sed -E 's#(Building CXX object|Linking CXX (executable|static library)) .*/#\1 #' <<<"$line")" ;;
    esac
  done
}

build_in() {
  local dir=$1 target=$2
  : >"$dir.log"
  set +e
  cmake --build "$dir" --target "$target" -j "$(nproc)" 2>&1 | progress "$dir.log"
  local rc=${PIPESTATUS[0]}
  set -e
  if [ "$rc" != 0 ]; then tail -50 "$dir.log"; exit "$rc"; fi
}

if [ "${CNN_SANITIZE:-0}" != 1 ] && [ -f build/CMakeCache.txt ] && grep -q '^CMAKE_JS_INC' build/CMakeCache.txt; then
  echo "native tests: building in build/ (reusing the core that npm install compiled)"
  build_in build cnn_native_tests
  exe=$(find build -name cnn_native_tests -type f -perm -u+x | head -1)
else
  dir=build-tests
  flags=()
  if [ "${CNN_SANITIZE:-0}" = 1 ]; then
    dir=build-tests-san
    flags+=(-DCNN_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo)
  fi
  echo "native tests: configuring and building in $dir/"
  cmake -S native -B "$dir" -DCNN_BUILD_TESTS=ON "${flags[@]}" >"$dir.config.log" 2>&1 || { cat "$dir.config.log"; exit 1; }
  build_in "$dir" cnn_native_tests
  exe="$dir/cnn_native_tests"
fi
"$exe" "$@"
