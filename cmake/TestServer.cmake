# Builds surreal-test-server (tests/server): the official SurrealDB server,
# for the tests that reach SurrealDB over the network. Cargo builds it in the
# Rust core's target directory and profile, beside the library, so both use
# one build of SurrealDB (see "Kept in step" in rust/Cargo.toml).

set(SURREALCPP_TEST_SERVER
    "${SURREALCPP_CARGO_TARGET_DIR}/${SURREALCPP_CARGO_PROFILE_DIR}/surreal-test-server")

add_custom_command(
  OUTPUT "${SURREALCPP_TEST_SERVER}"
  COMMAND "${CARGO_EXECUTABLE}" build --locked -p surreal-test-server
          ${SURREALCPP_CARGO_PROFILE_ARGS}
          --manifest-path "${PROJECT_SOURCE_DIR}/rust/Cargo.toml"
          --target-dir "${SURREALCPP_CARGO_TARGET_DIR}"
  DEPENDS "${PROJECT_SOURCE_DIR}/tests/server/src/main.rs"
          "${PROJECT_SOURCE_DIR}/tests/server/Cargo.toml"
          "${PROJECT_SOURCE_DIR}/rust/Cargo.lock"
          # After the library: the two cargo runs would only wait for each
          # other's lock on the target directory.
          surrealcpp_rust_build
  WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}/rust"
  COMMENT "Building surreal-test-server (cargo, ${SURREALCPP_CARGO_PROFILE} profile)"
  USES_TERMINAL
  VERBATIM)
add_custom_target(surreal-test-server DEPENDS "${SURREALCPP_TEST_SERVER}")
