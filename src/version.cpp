#include "surreal/version.hpp"

namespace surreal {

// Compiled into the library, so it reports the library's version even when
// the program was built against other headers.
std::string_view library_version() noexcept { return SURREALCPP_VERSION_STRING; }

}  // namespace surreal
