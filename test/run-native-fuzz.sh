#!/usr/bin/env bash
# Builds the libFuzzer targets of the native core (native/fuzz/*.cc: network construction and training
# from arbitrary specs, conv/pool geometry and kernels) with clang, ASan and UBSan into build-fuzz/, runs
# each for N seconds (default 60) from its seed corpus in test/fuzz/corpus/<target>/, and exits non-zero
# when any target crashes (the reproducer is left in build-fuzz/crashes/<target>/).
#   bash test/run-native-fuzz.sh [--seconds N]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=60
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds="${2:?--seconds needs a number}"; shift 2 ;;
    --seconds=*) seconds="${1#--seconds=}"; shift ;;
    *) echo "usage: bash test/run-native-fuzz.sh [--seconds N]" >&2; exit 2 ;;
  esac
done
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "--seconds must be a whole number, got $seconds" >&2; exit 2; }
command -v clang++ > /dev/null || { echo "clang++ is needed (apt-get install clang)" >&2; exit 1; }

dir=build-fuzz
mkdir -p "$dir"
cmake -S native -B "$dir" -DCNN_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  > "$dir/cmake.log" 2>&1 || { cat "$dir/cmake.log"; exit 1; }
cmake --build "$dir" -j "$(nproc)" >> "$dir/cmake.log" 2>&1 || { tail -50 "$dir/cmake.log"; exit 1; }

# Every allocation of a valid spec is small by construction; anything past 512 MiB is a finding.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
status=0
total_execs=0
summary=()
for target in $(ls native/fuzz/*.cc | xargs -n1 basename | sed 's/\.cc$//'); do
  corpus="$dir/corpus/$target"
  crashes="$dir/crashes/$target"
  mkdir -p "$corpus" "$crashes"
  seeds=()
  [ -d "test/fuzz/corpus/$target" ] && seeds+=("test/fuzz/corpus/$target")
  log="$dir/$target.log"
  rc=0
  CNN_THREADS=1 "$dir/$target" "$corpus" "${seeds[@]}" -max_total_time="$seconds" -rss_limit_mb=1024 \
    -malloc_limit_mb=512 -timeout=20 -print_final_stats=1 -artifact_prefix="$crashes/" > "$log" 2>&1 || rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  execs=${execs:-0}
  total_execs=$((total_execs + execs))
  if [ "$rc" -ne 0 ]; then
    status=1
    echo "FAIL $target (exit $rc): $(ls "$crashes" | head -1)"
    grep -m1 -A25 -E 'ERROR: |runtime error|fuzz_[a-z]+: ' "$log" || tail -30 "$log"
    summary+=("$target: CRASH after $execs execs")
  else
    summary+=("$target: $execs execs, no crash")
  fi
done
echo "fuzz: ${seconds}s per target, $total_execs executions in all; $(IFS=';'; echo "${summary[*]}")"
exit "$status"
