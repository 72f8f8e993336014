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
#   deb           build the binary packages (scripts/package.sh), unpack the
#                 Debian package into a scratch root (dpkg -x), check that the
#                 .tar.gz holds the same files, then consume the static and
#                 the shared library through find_package(), and the shared
#                 one through pkg-config
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

consumer_dir="$work/consumer"
build_consumer() {  # <cmake options...>: into $consumer_dir
  cmake -S "$consumer_source" -B "$consumer_dir" -DCMAKE_BUILD_TYPE="$build_type" "$@" >/dev/null
  cmake --build "$consumer_dir" --parallel "$jobs"
}

loads() {  # <program> <library file name>: is it among the program's DT_NEEDED?
  readelf -d "$1" | grep -q "Shared library: \[$2\]"
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
    # user's build. Only the static library is installed, so --static: its
    # dependencies are in Libs.private and Requires.private.
    # shellcheck disable=SC2046  # pkg-config's output is meant to split into words
    g++ -std=c++20 -Wall -Wextra -Wpedantic -Wshadow -Werror "$consumer_source/main.cpp" -o "$consumer" \
      $(PKG_CONFIG_PATH="$pc_dir" pkg-config --static --cflags --libs surrealcpp)
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
    loads "$consumer" "libsurrealcpp.so.$major_minor" ||
      { echo "the consumer does not load libsurrealcpp.so.$major_minor"; exit 1; }
    ;;
  deb)
    SURREALCPP_CARGO_TARGET_DIR="$cargo_target_dir" \
      bash "$source_dir/scripts/package.sh" "$work/package" >/dev/null
    deb=$(find "$work/package" -maxdepth 1 -name "libsurrealcpp-dev_${version}_*.deb")
    tarball=$(find "$work/package" -maxdepth 1 -name "surrealcpp-${version}-*.tar.gz")
    [[ -f $deb && -f $tarball ]] || { echo "no .deb or .tar.gz in $work/package"; exit 1; }
    dpkg-deb --field "$deb" Package Version Depends
    root="$work/root"
    rm -rf "$root"
    dpkg -x "$deb" "$root"
    libdir=$(dirname "$(find "$root" -name libsurrealcpp.a)")
    for file in include/surreal/surreal.hpp lib/*/libsurrealcpp.a lib/*/libsurrealcpp_core.a \
                "lib/*/libsurrealcpp.so.$version" "lib/*/libsurrealcpp.so.$major_minor" \
                lib/*/libsurrealcpp.so lib/*/pkgconfig/surrealcpp.pc \
                lib/*/cmake/surrealcpp/surrealcppConfig.cmake \
                lib/*/cmake/surrealcpp/surrealcppTargets-static.cmake \
                lib/*/cmake/surrealcpp/surrealcppTargets-shared.cmake; do
      # shellcheck disable=SC2086  # the pattern is meant to expand
      compgen -G "$root/usr/"$file >/dev/null || { echo "the .deb has no usr/$file"; exit 1; }
    done
    # The tarball is the same install tree under one top directory.
    diff <(cd "$root/usr" && find . ! -type d | sort) \
         <(tar -tzf "$tarball" | grep -v '/$' | sed 's|^[^/]*/|./|' | sort) ||
      { echo "the .tar.gz and the .deb hold different files"; exit 1; }

    # find_package: static by default, shared when the project asks.
    consumer_dir="$work/consumer-static"
    build_consumer -DCMAKE_PREFIX_PATH="$root/usr" -DSURREALCPP_REQUIRED_VERSION="$major_minor"
    ! loads "$consumer_dir/consumer" "libsurrealcpp.so.$major_minor" ||
      { echo "the static consumer loads libsurrealcpp.so"; exit 1; }
    "$consumer_dir/consumer" "$version"
    consumer_dir="$work/consumer-shared"
    build_consumer -DCMAKE_PREFIX_PATH="$root/usr" -DSURREALCPP_REQUIRED_VERSION="$major_minor" \
      -DSURREALCPP_SHARED=ON
    loads "$consumer_dir/consumer" "libsurrealcpp.so.$major_minor" ||
      { echo "the shared consumer does not load libsurrealcpp.so.$major_minor"; exit 1; }
    "$consumer_dir/consumer" "$version"
    # pkg-config without --static: the shared library.
    consumer="$work/consumer-pkg-config"
    # shellcheck disable=SC2046  # pkg-config's output is meant to split into words
    g++ -std=c++20 -Wall -Wextra -Werror "$consumer_source/main.cpp" -o "$consumer" \
      $(PKG_CONFIG_PATH="$libdir/pkgconfig" pkg-config --cflags --libs surrealcpp)
    loads "$consumer" "libsurrealcpp.so.$major_minor" ||
      { echo "the pkg-config consumer does not load libsurrealcpp.so.$major_minor"; exit 1; }
    export LD_LIBRARY_PATH="$libdir"
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
# What is installed, unpacked or packed goes; the builds stay for the next run.
rm -rf "$prefix" "$work/root" "$work/package/_CPack_Packages" "$work"/package/*.deb \
  "$work"/package/*.tar.gz
