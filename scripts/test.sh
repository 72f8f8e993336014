#!/usr/bin/env bash
# Quick start, second command: installs what is missing, builds surrealcpp and
# runs every test through ctest:
#   1. the Debug build: C++ GoogleTest suites (labels unit, worker, async,
#      concurrency, integration, cli, durability), the example programs
#      (examples), the Rust crate's tests, the C header check, the
#      benchmark harnesses at 1/100 size (bench), the installed package
#      consumed through CMake, pkg-config, a shared build and
#      add_subdirectory (package), and the API reference without a Doxygen
#      warning (docs);
#   2. the C++ suites again under AddressSanitizer + UndefinedBehaviorSanitizer
#      (but the soak test: ASan's quarantine holds freed memory on purpose;
#      the damaged-file tests, which wait out SurrealDB's own retry; and the
#      package and docs checks, which build nothing under the sanitizers);
#   3. the worker's, the async core's, and the transaction and live-query
#      tests under ThreadSanitizer;
#   4. the libFuzzer targets over the C ABI and over the value codecs, for
#      SURREALCPP_FUZZ_SECONDS (60) each.
# SURREALCPP_SKIP_SANITIZERS=1 runs step 1 only. Extra arguments go to the
# first ctest run (e.g. -L unit).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/install-deps.sh
if [[ ${CI:-} == true ]]; then
  # A fresh clone each run: cargo's incremental state for this crate would
  # start from nothing and stay behind (about 2 GB per clone path).
  export CARGO_INCREMENTAL=0
fi

configure_and_build() {  # <build dir> <target> [cmake options...]
  local dir=$1 target=$2
  shift 2
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Debug "$@" >/dev/null
  cmake --build "$dir" --parallel "$build_jobs" --target "$target"
}

configure_and_build build all
ctest --test-dir build --output-on-failure --timeout 3600 "$@"

if [[ ${SURREALCPP_SKIP_SANITIZERS:-0} != 1 ]]; then
  echo "== AddressSanitizer + UndefinedBehaviorSanitizer =="
  configure_and_build build-asan all -DSURREALCPP_SANITIZE=address,undefined
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp" \
    ctest --test-dir build-asan --output-on-failure --timeout 1800 -LE 'rust|soak|package|docs' \
    -E 'DamagedFiles'  # SurrealDB's 2-minute retry on a damaged store: engine code, not ours

  echo "== ThreadSanitizer =="
  configure_and_build build-tsan surrealcpp_worker_tests -DSURREALCPP_SANITIZE=thread \
    -DSURREALCPP_RUST_CORE_SHARED=ON
  cmake --build build-tsan --parallel "$build_jobs" --target surrealcpp_async_tests surrealcpp_concurrency_tests
  TSAN_OPTIONS="suppressions=$PWD/tests/tsan.supp halt_on_error=1" \
    ctest --test-dir build-tsan --output-on-failure --timeout 1800 -L 'worker|async|concurrency'

  fuzz_seconds=${SURREALCPP_FUZZ_SECONDS:-60}
  echo "== libFuzzer over the C ABI and the value codecs (${fuzz_seconds} s each) =="
  CC=clang CXX=clang++ configure_and_build build-fuzz all -DSURREALCPP_BUILD_FUZZ=ON \
    -DSURREALCPP_BUILD_TESTS=OFF -DSURREALCPP_BUILD_EXAMPLES=OFF -DSURREALCPP_BUILD_BENCH=OFF
  corpus=$(mktemp -d)
  trap 'rm -rf "$corpus"' EXIT
  for target in c_abi values; do
    seeds=fuzz/corpus
    [[ $target == values ]] && seeds=fuzz/values_corpus
    mkdir -p "$corpus/$target"
    cp "$seeds"/* "$corpus/$target"
    (cd build-fuzz && LSAN_OPTIONS="suppressions=$PWD/../tests/lsan.supp" \
      "./fuzz/fuzz_$target" -max_total_time="$fuzz_seconds" -timeout=30 \
      -rss_limit_mb=4096 -print_final_stats=1 "$corpus/$target")
  done
  echo "fuzz: no crash, leak or contract violation"
fi
