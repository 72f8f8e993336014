// The interactive scenario menu.
#pragma once

#include <istream>
#include <ostream>

namespace surreal::cli {

/// Shows the welcome and the menu, runs the chosen scenarios until Exit or
/// end of input. Returns the process exit status (0).
int run_menu(std::istream& in, std::ostream& out);

}  // namespace surreal::cli
