#!/usr/bin/env bash
# Builds the binary packages: a Debian package, libsurrealcpp-dev_<version>_<arch>.deb,
# and surrealcpp-<version>-Linux-<cpu>.tar.gz, both holding the headers, the
# static and the shared library, and the CMake and pkg-config files.
#
#   scripts/package.sh [OUTPUT_DIR]    (default: build-package)
#
# Two Release builds, static and shared, under OUTPUT_DIR link the Rust core
# the other builds use (cmake/RustCore.cmake); CPack installs both into one
# tree (cmake/Package.cmake) and writes the packages into OUTPUT_DIR.
# SURREALCPP_CARGO_TARGET_DIR picks another cargo target directory.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/install-deps.sh
out=$(realpath -m "${1:-build-package}")

options=(-DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=/usr
         -DSURREALCPP_BUILD_TESTS=OFF -DSURREALCPP_BUILD_EXAMPLES=OFF -DSURREALCPP_BUILD_BENCH=OFF)
if [[ -n ${SURREALCPP_CARGO_TARGET_DIR:-} ]]; then
  options+=(-DSURREALCPP_CARGO_TARGET_DIR="$SURREALCPP_CARGO_TARGET_DIR")
fi
for kind in static shared; do
  shared=OFF
  [[ $kind == shared ]] && shared=ON
  cmake -S . -B "$out/$kind" "${options[@]}" -DBUILD_SHARED_LIBS=$shared >/dev/null
  cmake --build "$out/$kind" --parallel "$build_jobs" --target surrealcpp
done

cd "$out"
rm -f ./*.deb ./*.tar.gz
cpack --config static/CPackConfig.cmake \
  -D "CPACK_INSTALL_CMAKE_PROJECTS=$out/static;surrealcpp;ALL;/;$out/shared;surrealcpp;ALL;/"
ls -l "$out"/*.deb "$out"/*.tar.gz
