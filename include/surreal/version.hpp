// The version of surrealcpp: macros for the preprocessor, and the version of
// the library actually linked.
#pragma once

#include <string_view>

/// @file
/// Version macros. CMakeLists.txt reads the project's version from the three
/// numbers below, so they are its one source.

/// Major version: changes when code written against the API stops compiling
/// or working. While it is 0, a minor version may do that too.
#define SURREALCPP_VERSION_MAJOR 0
/// Minor version: new features, compatible within a major version (from 1.0).
#define SURREALCPP_VERSION_MINOR 2
/// Patch version: fixes only.
#define SURREALCPP_VERSION_PATCH 0

/// The version as one comparable number: major * 10000 + minor * 100 + patch,
/// so that `#if SURREALCPP_VERSION >= 200` selects 0.2.0 and later.
#define SURREALCPP_VERSION \
  (SURREALCPP_VERSION_MAJOR * 10000 + SURREALCPP_VERSION_MINOR * 100 + SURREALCPP_VERSION_PATCH)

/// The version as text, "major.minor.patch".
#define SURREALCPP_VERSION_STRING "0.2.0"

namespace surreal {

/// The version of the surrealcpp library the program runs with, as
/// "major.minor.patch". With a shared library this is the installed
/// library's, which may be newer than the headers the program was compiled
/// with (SURREALCPP_VERSION_STRING). Not the engine's version: that is
/// Database::version().
///
/// Never throws; any thread may call it.
std::string_view library_version() noexcept;

}  // namespace surreal
