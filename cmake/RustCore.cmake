# Builds the Rust crate in rust/ with cargo and exposes it as the imported
# target surrealcpp::rust_core (a static library, or shared with SURREALCPP_RUST_CORE_SHARED).
#
# Cargo's target directory lives outside the source tree by default, so a
# fresh clone (CI's, for one) reuses the SurrealDB build an earlier one left.
# The CMake build type selects the cargo profile: Debug -> dev, anything else
# -> release.

find_program(CARGO_EXECUTABLE cargo HINTS "$ENV{HOME}/.cargo/bin" REQUIRED)

if(DEFINED ENV{CARGO_TARGET_DIR})
  set(_surrealcpp_default_target_dir "$ENV{CARGO_TARGET_DIR}")
else()
  set(_surrealcpp_default_target_dir "$ENV{HOME}/.cache/surrealcpp/target")
endif()
set(SURREALCPP_CARGO_TARGET_DIR "${_surrealcpp_default_target_dir}"
    CACHE PATH "Cargo target directory for the Rust core (kept outside the build tree so it survives fresh clones)")

set(_rust_dir "${PROJECT_SOURCE_DIR}/rust")

# Multi-config generators are not supported: the profile is fixed at configure time.
if(CMAKE_BUILD_TYPE STREQUAL "Debug" OR CMAKE_BUILD_TYPE STREQUAL "")
  set(SURREALCPP_CARGO_PROFILE_DIR debug)
  set(SURREALCPP_CARGO_PROFILE_ARGS)
else()
  set(SURREALCPP_CARGO_PROFILE_DIR release)
  set(SURREALCPP_CARGO_PROFILE_ARGS --release)
endif()

option(SURREALCPP_RUST_CORE_SHARED
  "Link the Rust core as a shared library (for ThreadSanitizer, which can then tell its uninstrumented code apart)"
  OFF)
if(SURREALCPP_RUST_CORE_SHARED)
  set(_rust_crate_type cdylib)
  set(_rust_library_kind SHARED)
  set(_rust_library_file libsurrealcpp.so)
  set(_rust_extra_args -- -C link-arg=-Wl,-soname,libsurrealcpp.so)
else()
  set(_rust_crate_type staticlib)
  set(_rust_library_kind STATIC)
  set(_rust_library_file libsurrealcpp.a)
  set(_rust_extra_args)
endif()
set(SURREALCPP_RUST_LIBRARY
    "${SURREALCPP_CARGO_TARGET_DIR}/${SURREALCPP_CARGO_PROFILE_DIR}/${_rust_library_file}")

file(GLOB_RECURSE _rust_sources CONFIGURE_DEPENDS "${_rust_dir}/src/*.rs")

# Only the library kind needed is built (`cargo rustc --crate-type`), not the
# other one beside it, which would cost a second link of all of SurrealDB.
add_custom_command(
  OUTPUT "${SURREALCPP_RUST_LIBRARY}"
  COMMAND "${CARGO_EXECUTABLE}" rustc --locked --lib --crate-type ${_rust_crate_type}
          ${SURREALCPP_CARGO_PROFILE_ARGS}
          --manifest-path "${_rust_dir}/Cargo.toml"
          --target-dir "${SURREALCPP_CARGO_TARGET_DIR}"
          ${_rust_extra_args}
  DEPENDS ${_rust_sources} "${_rust_dir}/Cargo.toml" "${_rust_dir}/Cargo.lock"
  WORKING_DIRECTORY "${_rust_dir}"
  COMMENT "Building the Rust core (cargo, ${SURREALCPP_CARGO_PROFILE_DIR} profile, ${_rust_crate_type})"
  USES_TERMINAL
  VERBATIM)
add_custom_target(surrealcpp_rust_build DEPENDS "${SURREALCPP_RUST_LIBRARY}")

add_library(surrealcpp_rust_core ${_rust_library_kind} IMPORTED GLOBAL)
set_target_properties(surrealcpp_rust_core PROPERTIES
  IMPORTED_LOCATION "${SURREALCPP_RUST_LIBRARY}"
  IMPORTED_SONAME libsurrealcpp.so
  INTERFACE_INCLUDE_DIRECTORIES "${_rust_dir}/include")
# What the Rust standard library, the bundled RocksDB and TLS to remote
# servers (the system's OpenSSL, Debian: libssl-dev) need from the system.
find_package(Threads REQUIRED)
find_package(OpenSSL REQUIRED)
target_link_libraries(surrealcpp_rust_core INTERFACE
  Threads::Threads OpenSSL::SSL OpenSSL::Crypto ${CMAKE_DL_LIBS} m)
add_dependencies(surrealcpp_rust_core surrealcpp_rust_build)
add_library(surrealcpp::rust_core ALIAS surrealcpp_rust_core)
