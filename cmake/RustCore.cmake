# Builds the Rust crate in rust/ with cargo and exposes it as imported
# targets:
#   surrealcpp::rust_core_static  libsurrealcpp_core.a, what the installed
#                                 package and a shared libsurrealcpp carry;
#   surrealcpp::rust_core_shared  libsurrealcpp_core.so, which the test
#                                 programs link, so that each link is quick
#                                 and small instead of copying all of SurrealDB;
#   surrealcpp::rust_core         the one of the two that this build links
#                                 (SURREALCPP_RUST_CORE_SHARED).
#
# One cargo profile ("core" in rust/Cargo.toml) serves every CMake build type
# and every sanitizer: the sanitizers instrument our C++, not SurrealDB, so a
# Debug, Release, ASan, TSan and fuzz build all link the same core, and
# SurrealDB is compiled once per machine. Cargo's target directory lives
# outside the source tree by default, so a fresh clone (CI's, for one)
# reuses the build an earlier one left.

find_program(CARGO_EXECUTABLE cargo HINTS "$ENV{HOME}/.cargo/bin" REQUIRED)

if(DEFINED ENV{CARGO_TARGET_DIR})
  set(_surrealcpp_default_target_dir "$ENV{CARGO_TARGET_DIR}")
else()
  set(_surrealcpp_default_target_dir "$ENV{HOME}/.cache/surrealcpp/target")
endif()
set(SURREALCPP_CARGO_TARGET_DIR "${_surrealcpp_default_target_dir}"
    CACHE PATH "Cargo target directory for the Rust core (kept outside the build tree so it survives fresh clones)")
set(SURREALCPP_CARGO_PROFILE core CACHE STRING
    "Cargo profile of the Rust core (rust/Cargo.toml); the default serves every build type")

# Where cargo puts a profile's artifacts: its name, but "debug" for dev.
if(SURREALCPP_CARGO_PROFILE STREQUAL "dev")
  set(SURREALCPP_CARGO_PROFILE_DIR debug)
else()
  set(SURREALCPP_CARGO_PROFILE_DIR "${SURREALCPP_CARGO_PROFILE}")
endif()
set(SURREALCPP_CARGO_PROFILE_ARGS --profile "${SURREALCPP_CARGO_PROFILE}")
set(_rust_out "${SURREALCPP_CARGO_TARGET_DIR}/${SURREALCPP_CARGO_PROFILE_DIR}")

# The test programs link the shared core by default; a library that is
# installed or built shared carries the static one.
if(PROJECT_IS_TOP_LEVEL AND SURREALCPP_BUILD_TESTS AND NOT BUILD_SHARED_LIBS)
  set(_surrealcpp_core_shared_default ON)
else()
  set(_surrealcpp_core_shared_default OFF)
endif()
option(SURREALCPP_RUST_CORE_SHARED
  "Link the build tree's programs against the shared Rust core (libsurrealcpp_core.so) instead of the static one"
  ${_surrealcpp_core_shared_default})
if(SURREALCPP_RUST_CORE_SHARED AND BUILD_SHARED_LIBS)
  message(FATAL_ERROR "SURREALCPP_RUST_CORE_SHARED and BUILD_SHARED_LIBS: a shared "
                      "libsurrealcpp carries the static Rust core; turn one of them off")
endif()

set(SURREALCPP_RUST_STATIC_LIBRARY "${_rust_out}/libsurrealcpp_core.a")
set(SURREALCPP_RUST_SHARED_LIBRARY "${_rust_out}/libsurrealcpp_core.so")

file(GLOB_RECURSE _rust_sources CONFIGURE_DEPENDS "${PROJECT_SOURCE_DIR}/rust/src/*.rs")

# One rustc run emits both kinds (crate-type in rust/Cargo.toml), so every
# build directory runs the same cargo command and none rebuilds the crate
# for another.
add_custom_command(
  OUTPUT "${SURREALCPP_RUST_STATIC_LIBRARY}" "${SURREALCPP_RUST_SHARED_LIBRARY}"
  COMMAND "${CARGO_EXECUTABLE}" build --locked --lib -p surrealcpp
          ${SURREALCPP_CARGO_PROFILE_ARGS}
          --manifest-path "${PROJECT_SOURCE_DIR}/rust/Cargo.toml"
          --target-dir "${SURREALCPP_CARGO_TARGET_DIR}"
  DEPENDS ${_rust_sources} "${PROJECT_SOURCE_DIR}/rust/build.rs"
          "${PROJECT_SOURCE_DIR}/rust/Cargo.toml" "${PROJECT_SOURCE_DIR}/rust/Cargo.lock"
  WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}/rust"
  COMMENT "Building the Rust core (cargo, ${SURREALCPP_CARGO_PROFILE} profile)"
  USES_TERMINAL
  VERBATIM)
add_custom_target(surrealcpp_rust_build
  DEPENDS "${SURREALCPP_RUST_STATIC_LIBRARY}" "${SURREALCPP_RUST_SHARED_LIBRARY}")

# What the Rust standard library, the bundled RocksDB and TLS to remote
# servers (the system's OpenSSL, Debian: libssl-dev) need from the system.
find_package(Threads REQUIRED)
find_package(OpenSSL REQUIRED)

add_library(surrealcpp_rust_core_static STATIC IMPORTED GLOBAL)
set_target_properties(surrealcpp_rust_core_static PROPERTIES
  IMPORTED_LOCATION "${SURREALCPP_RUST_STATIC_LIBRARY}"
  INTERFACE_INCLUDE_DIRECTORIES "${PROJECT_SOURCE_DIR}/rust/include")
target_link_libraries(surrealcpp_rust_core_static INTERFACE
  Threads::Threads OpenSSL::SSL OpenSSL::Crypto ${CMAKE_DL_LIBS} m)

add_library(surrealcpp_rust_core_shared SHARED IMPORTED GLOBAL)
set_target_properties(surrealcpp_rust_core_shared PROPERTIES
  IMPORTED_LOCATION "${SURREALCPP_RUST_SHARED_LIBRARY}"
  IMPORTED_SONAME libsurrealcpp_core.so   # rust/build.rs
  INTERFACE_INCLUDE_DIRECTORIES "${PROJECT_SOURCE_DIR}/rust/include")
target_link_libraries(surrealcpp_rust_core_shared INTERFACE Threads::Threads)

foreach(_kind static shared)
  add_dependencies(surrealcpp_rust_core_${_kind} surrealcpp_rust_build)
  add_library(surrealcpp::rust_core_${_kind} ALIAS surrealcpp_rust_core_${_kind})
endforeach()
if(SURREALCPP_RUST_CORE_SHARED)
  add_library(surrealcpp::rust_core ALIAS surrealcpp_rust_core_shared)
else()
  add_library(surrealcpp::rust_core ALIAS surrealcpp_rust_core_static)
endif()
