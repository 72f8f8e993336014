# Fails when regenerating the C header with cbindgen would change it.
# Usage: cmake -DCBINDGEN=<exe> -DRUST_DIR=<rust/> -DOUTPUT=<scratch file> -P CheckCHeader.cmake
execute_process(
  COMMAND "${CBINDGEN}" --quiet --config cbindgen.toml --output "${OUTPUT}"
  WORKING_DIRECTORY "${RUST_DIR}"
  RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "cbindgen failed (${result})")
endif()
execute_process(
  COMMAND "${CMAKE_COMMAND}" -E compare_files "${OUTPUT}" "${RUST_DIR}/include/surreal_core.h"
  RESULT_VARIABLE different)
if(different)
  message(FATAL_ERROR
    "rust/include/surreal_core.h is out of date. Regenerate it in rust/ with:\n"
    "  cbindgen --config cbindgen.toml --output include/surreal_core.h")
endif()
message(STATUS "rust/include/surreal_core.h is up to date")
