// surrealcpp: embedded SurrealDB for C++20. Include this one header.
#pragma once

#include "surreal/auth.hpp"        // IWYU pragma: export
#include "surreal/database.hpp"    // IWYU pragma: export
#include "surreal/exceptions.hpp"  // IWYU pragma: export
#include "surreal/resource.hpp"    // IWYU pragma: export
#include "surreal/value.hpp"       // IWYU pragma: export
