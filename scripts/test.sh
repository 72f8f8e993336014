#!/usr/bin/env bash
# Quick start, second command: installs what is missing, builds surrealcpp and
# runs every test (C++ GoogleTest suites, the Rust crate's tests, the C header
# check, the CLI tests) through ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/install-deps.sh
build_dir=${BUILD_DIR:-build}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Debug}" >/dev/null
cmake --build "$build_dir" --parallel
ctest --test-dir "$build_dir" --output-on-failure --timeout 900 "$@"
