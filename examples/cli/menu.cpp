#include "menu.hpp"

#include <charconv>
#include <optional>
#include <string>
#include <string_view>

#include "scenarios.hpp"

namespace surreal::cli {
namespace {

constexpr int kExit = 4;

void show_menu(std::ostream& out) {
  out << "\nChoose a scenario:\n"
         "  1. Connect and verify\n"
         "  2. CRUD operations\n"
         "  3. Storage backend comparison\n"
         "  4. Exit\n"
         "> "
      << std::flush;
}

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r");
  return text.substr(first, last - first + 1);
}

/// The menu number on a line, or nullopt for anything else.
std::optional<int> parse_choice(std::string_view line) {
  line = trim(line);
  int choice = 0;
  const auto [end, error] = std::from_chars(line.data(), line.data() + line.size(), choice);
  if (line.empty() || error != std::errc() || end != line.data() + line.size()) return std::nullopt;
  if (choice < 1 || choice > kExit) return std::nullopt;
  return choice;
}

void run_scenario(int choice, std::ostream& out) {
  static constexpr const char* kTitles[] = {"", "Connect and verify", "CRUD operations",
                                            "Storage backend comparison"};
  out << "\n== " << kTitles[choice] << " ==\n";
  ScenarioResult result;
  switch (choice) {
    case 1:
      result = connect_and_verify(out);
      break;
    case 2:
      result = crud_operations(out);
      break;
    case 3:
      result = storage_comparison(out);
      break;
  }
  out << (result.ok ? "== done ==\n" : "== scenario failed: " + result.error + " ==\n");
}

}  // namespace

int run_menu(std::istream& in, std::ostream& out) {
  out << "Welcome to surrealcpp: SurrealDB embedded in C++.\n";
  std::string line;
  for (;;) {
    show_menu(out);
    if (!std::getline(in, line)) {
      out << "\nEnd of input: goodbye.\n";
      return 0;
    }
    const std::optional<int> choice = parse_choice(line);
    if (!choice) {
      out << "Please enter a number from 1 to " << kExit << ".\n";
      continue;
    }
    if (*choice == kExit) {
      out << "Goodbye.\n";
      return 0;
    }
    run_scenario(*choice, out);
  }
}

}  // namespace surreal::cli
