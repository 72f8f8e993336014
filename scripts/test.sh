#!/usr/bin/env bash
# Quick start, second command: installs what is missing, builds surrealcpp
# and runs its tests through ctest, one test per core at a time.
#
#   scripts/test.sh [--all] [ctest arguments...]
#
# Without --all: the Debug build and every ctest label: the C++ GoogleTest
# suites (unit, worker, async, concurrency, integration, remote, cli,
# durability, soak), the example programs (examples), the Rust crate's tests
# and the C ABI from C (rust, unit), the benchmark harnesses at 1/100 size
# (bench), the library installed, consumed through CMake, pkg-config, a
# shared build, add_subdirectory and the Debian package (package), and the
# API reference without a Doxygen warning (docs). Extra arguments go to this
# ctest run (e.g. -L unit).
#
# --all (what CI runs, .ci/run) then adds, each in a build of its own that
# links the same Rust core:
#   1. the C++ suites under AddressSanitizer + UndefinedBehaviorSanitizer;
#   2. the worker's, the async core's, and the transaction and live-query
#      suites under ThreadSanitizer;
#   3. the libFuzzer targets over the C ABI and over the value codecs, for
#      SURREALCPP_FUZZ_SECONDS (60) each.
# What leaves a sanitizer stage is listed below with its reason: the
# sanitizers instrument our C++ only, so a test that exercises nothing but
# SurrealDB or the SDK's network client (Rust, uninstrumented) finds nothing
# more there. Everything that runs through our worker, future, value codec
# or C ABI stays.
#
# Under CI=true each sanitizer build directory is removed once its tests
# pass, and cargo keeps no incremental state, so a run leaves only the Debug
# build and the shared cargo target behind.
set -euo pipefail
cd "$(dirname "$0")/.."

all=0
if [[ ${1:-} == --all ]]; then
  all=1
  shift
fi

source scripts/install-deps.sh
if [[ ${CI:-} == true ]]; then
  # A fresh clone each run: cargo's incremental state for this workspace's
  # crates would start from nothing and stay behind (about 2 GB per clone).
  export CARGO_INCREMENTAL=0
fi

configure_and_build() {  # <build dir> <target> [cmake options...]
  local dir=$1 target=$2
  shift 2
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Debug "$@" >/dev/null
  cmake --build "$dir" --parallel "$build_jobs" --target "$target"
}

run_ctest() {  # <build dir> [ctest arguments...]
  local dir=$1
  shift
  ctest --test-dir "$dir" --output-on-failure --parallel "$build_jobs" --timeout 3600 "$@"
}

done_with() {  # <build dir>: under CI, its tests passed and nothing reads it again
  if [[ ${CI:-} == true ]]; then
    rm -rf "$1"
  fi
}

configure_and_build build all
run_ctest build "$@"

if ((!all)); then
  exit 0
fi

# Tests that leave the sanitizer stages, as ctest regular expressions over
# test names. Parameterised suites name their server variants /Server and
# /ServerHttp (ctest's name goes on with "  # GetParam() = ..."): they run
# the same C++ as the embedded variants, and what differs (the SDK's network
# client, the server) is Rust.
server_variants='/Server(Http)?( |$)'
# SurrealDB's own 2-minute retry on a damaged store: engine code, not ours.
damaged_files='DamagedFiles'

echo "== AddressSanitizer + UndefinedBehaviorSanitizer =="
configure_and_build build-asan all -DSURREALCPP_SANITIZE=address,undefined
# Labels left out: rust (no C++ in it), soak (ASan's quarantine holds freed
# memory on purpose, so resident memory says nothing), package and docs
# (they build and check files, and instrument nothing).
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  LSAN_OPTIONS="suppressions=$PWD/tests/lsan.supp" \
  run_ctest build-asan --timeout 1800 -LE 'rust|soak|package|docs' \
  -E "$damaged_files|$server_variants"
done_with build-asan

echo "== ThreadSanitizer =="
# The suites where threads meet: the worker, the async core, transactions and
# live queries (tests/tsan.supp says why the Rust core is left out).
tsan_targets=(surrealcpp_worker_tests surrealcpp_async_tests surrealcpp_concurrency_tests)
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DSURREALCPP_SANITIZE=thread \
  -DSURREALCPP_BUILD_EXAMPLES=OFF -DSURREALCPP_BUILD_BENCH=OFF >/dev/null
cmake --build build-tsan --parallel "$build_jobs" --target "${tsan_targets[@]}"
TSAN_OPTIONS="suppressions=$PWD/tests/tsan.supp halt_on_error=1" \
  run_ctest build-tsan --timeout 1800 -L 'worker|async|concurrency' -E "$server_variants"
done_with build-tsan

fuzz_seconds=${SURREALCPP_FUZZ_SECONDS:-60}
echo "== libFuzzer over the C ABI and the value codecs (${fuzz_seconds} s each) =="
CC=clang CXX=clang++ configure_and_build build-fuzz all -DSURREALCPP_BUILD_FUZZ=ON \
  -DSURREALCPP_BUILD_TESTS=OFF -DSURREALCPP_BUILD_EXAMPLES=OFF -DSURREALCPP_BUILD_BENCH=OFF \
  -DSURREALCPP_RUST_CORE_SHARED=ON  # the fuzzers link in seconds; the core is not instrumented either way
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
done_with build-fuzz
