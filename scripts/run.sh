#!/usr/bin/env bash
# Quick start, first command: installs what is missing, builds surrealcpp and
# runs its main program, the example CLI. Arguments go to the CLI
# (e.g. `scripts/run.sh sql --endpoint mem://`).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/install-deps.sh
build_dir=${BUILD_DIR:-build}
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-Debug}" >/dev/null
cmake --build "$build_dir" --parallel "$build_jobs" --target surreal-cli
exec "$build_dir/examples/cli/surreal-cli" "$@"
