#!/usr/bin/env bash
# Consumes surrealcpp the ways a user's project does, and runs the result
# (tests/package/consumer). Registered with ctest in tests/CMakeLists.txt.
#
#   check_package.sh <way> <source dir> <build dir> <work dir> <version>
#
# <way>:
#   cmake         cmake --install the build dir, then find_package() it
#   pkg-config    cmake --install the build dir, then compile with pkg-config
#   shared        build the library shared (BUILD_SHARED_LIBS=ON), install
#                 it, check its SONAME and exported symbols, then find_package() it
#   subdirectory  add_subdirectory() the source tree
# Builds inside the work dir are kept for the next run; what is installed
# is removed first and after a pass.
set -euo pipefail

way=$1 source_dir=$2 build_dir=$3 work=$4 version=$5
major_minor=${version%.*}
consumer_source="$source_dir/tests/package/consumer"

cache_value() {  # <name>: a variable from the build dir's CMake cache
  sed -n "s/^$1:[A-Z]*=//p" "$build_dir/CMakeCache.txt"
}
build_type=$(cache_value CMAKE_BUILD_TYPE)
cargo_target_dir=$(cache_value SURREALCPP_CARGO_TARGET_DIR)
jobs=${SURREALCPP_JOBS:-$(nproc)}

prefix="$work/prefix"
rm -rf "$prefix"
mkdir -p "$work"

build_consumer() {  # <cmake options...>
  cmake -S "$consumer_source" -B "$work/consumer" -DCMAKE_BUILD_TYPE="$build_type" "$@" >/dev/null
  cmake --build "$work/consumer" --parallel "$jobs"
}

case $way in
  cmake)
    cmake --install "$build_dir" --prefix "$prefix" >/dev/null
    build_consumer -DCMAKE_PREFIX_PATH="$prefix" -DSURREALCPP_REQUIRED_VERSION="$major_minor"
    consumer="$work/consumer/consumer"
    ;;
  pkg-config)
    cmake --install "$build_dir" --prefix "$prefix" >/dev/null
    pc_dir=$(dirname "$(find "$prefix" -name surrealcpp.pc)")
    pc_version=$(PKG_CONFIG_PATH="$pc_dir" pkg-config --modversion surrealcpp)
    [[ $pc_version == "$version" ]] || { echo "surrealcpp.pc says $pc_version, not $version"; exit 1; }
    consumer="$work/consumer-pkg-config"
    # Strict warnings as errors: the public headers must not warn in a
    # user's build.
    # shellcheck disable=SC2046  # pkg-config's output is meant to split into words
    g++ -std=c++20 -Wall -Wextra -Wpedantic -Wshadow -Werror "$consumer_source/main.cpp" -o "$consumer" \
      $(PKG_CONFIG_PATH="$pc_dir" pkg-config --cflags --libs surrealcpp)
    ;;
  shared)
    cmake -S "$source_dir" -B "$work/build" -DCMAKE_BUILD_TYPE="$build_type" \
      -DBUILD_SHARED_LIBS=ON -DSURREALCPP_CARGO_TARGET_DIR="$cargo_target_dir" \
      -DSURREALCPP_BUILD_TESTS=OFF -DSURREALCPP_BUILD_EXAMPLES=OFF -DSURREALCPP_BUILD_BENCH=OFF >/dev/null
    cmake --build "$work/build" --parallel "$jobs" --target surrealcpp
    cmake --install "$work/build" --prefix "$prefix" >/dev/null
    library=$(find "$prefix" -name "libsurrealcpp.so.$version")
    [[ -n $library ]] || { echo "no libsurrealcpp.so.$version under $prefix"; exit 1; }
    soname=$(readelf -d "$library" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
    [[ $soname == "libsurrealcpp.so.$major_minor" ]] || { echo "SONAME is '$soname'"; exit 1; }
    # The Rust core stays inside: neither its C ABI nor Rust's own symbols
    # are exported (they would clash with another Rust library's).
    leaked=$(nm -D --defined-only "$library" | grep -cE ' (surreal_[a-z_]+|_ZN3std|rust_)' || true)
    [[ $leaked == 0 ]] || { echo "$leaked Rust core symbols exported"; exit 1; }
    [[ ! -e $(dirname "$library")/libsurrealcpp_core.a ]] || { echo "libsurrealcpp_core.a installed"; exit 1; }
    build_consumer -DCMAKE_PREFIX_PATH="$prefix" -DSURREALCPP_REQUIRED_VERSION="$major_minor"
    consumer="$work/consumer/consumer"
    needed=$(readelf -d "$consumer" | grep -c "Shared library: \[libsurrealcpp.so.$major_minor\]" || true)
    [[ $needed == 1 ]] || { echo "the consumer does not load libsurrealcpp.so.$major_minor"; exit 1; }
    ;;
  subdirectory)
    build_consumer -DSURREALCPP_CONSUME=subdirectory -DSURREALCPP_SOURCE_DIR="$source_dir" \
      -DSURREALCPP_CARGO_TARGET_DIR="$cargo_target_dir"
    consumer="$work/consumer/consumer"
    ;;
  *)
    echo "unknown way '$way'" >&2
    exit 2
    ;;
esac

"$consumer" "$version"
rm -rf "$prefix"
