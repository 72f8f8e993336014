# Binary packages with CPack: a Debian package (libsurrealcpp-dev) and a
# .tar.gz of the same install tree. scripts/package.sh makes both from two
# Release builds, one static and one shared, installed into one tree: the
# headers, libsurrealcpp.a with libsurrealcpp_core.a (the Rust core),
# libsurrealcpp.so, the CMake package (which picks a kind: see
# surrealcppConfig.cmake.in) and surrealcpp.pc.

set(CPACK_PACKAGE_NAME libsurrealcpp-dev)
set(CPACK_PACKAGE_VENDOR surrealcpp)
set(CPACK_PACKAGE_CONTACT "surrealcpp developers <surrealcpp@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_FILE_NAME
    "surrealcpp-${PROJECT_VERSION}-${CMAKE_SYSTEM_NAME}-${CMAKE_SYSTEM_PROCESSOR}")
set(CPACK_GENERATOR DEB TGZ)
set(CPACK_VERBATIM_VARIABLES ON)
set(CPACK_STRIP_FILES OFF)  # Release builds carry no debug info; the core has line tables

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "${PROJECT_DESCRIPTION}
 SurrealDB running inside a C++20 process (in memory, RocksDB or SurrealKV)
 or reached on a server, behind an asynchronous API. Headers, the static
 and the shared library, and the CMake and pkg-config files.")
# What the headers include, and what the static library needs at link time
# (the shared one needs only the run-time libraries among them).
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "libc6, libgcc-s1, libstdc++6, nlohmann-json3-dev (>= 3.10), libcbor-dev, libssl-dev")

include(CPack)
