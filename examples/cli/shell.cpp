#include "shell.hpp"

#include <editline/readline.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <iomanip>

#include <surreal/surreal.hpp>

namespace surreal::cli {
namespace {

class StreamReader final : public LineReader {
 public:
  explicit StreamReader(std::istream& in) : in_(in) {}
  std::optional<std::string> read(const std::string&) override {
    std::string line;
    if (!std::getline(in_, line)) return std::nullopt;
    return line;
  }

 private:
  std::istream& in_;
};

class TerminalReader final : public LineReader {
 public:
  std::optional<std::string> read(const std::string& prompt) override {
    char* raw = readline(prompt.c_str());
    if (raw == nullptr) return std::nullopt;
    std::string line(raw);
    std::free(raw);
    if (line.find_first_not_of(" \t") != std::string::npos) add_history(line.c_str());
    return line;
  }
};

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

void print_response(const Response& response, bool json, double ms, std::ostream& out) {
  for (std::size_t i = 0; i < response.size(); ++i) {
    if (response.size() > 1) out << "-- statement " << i + 1 << '\n';
    if (const auto& error = response.error(i)) {
      out << "error: " << *error << '\n';
    } else {
      const Value& result = response.results()[i];
      out << (json ? result.to_json().dump(2) : result.to_string()) << '\n';
    }
  }
  out << "(" << response.size() << (response.size() == 1 ? " statement" : " statements")
      << " in " << std::fixed << std::setprecision(2) << ms << " ms)\n";
}

/// A one-line progress bar, redrawn in place ('\r'): `[#####.....]  50%`
/// when the total is known, the byte count alone when it is not.
void draw_progress(std::ostream& out, const char* what, std::uint64_t done,
                   std::optional<std::uint64_t> total) {
  constexpr int width = 30;
  out << '\r' << what << ' ';
  if (total && *total > 0) {
    const auto filled = static_cast<int>(done * width / *total);
    out << '[' << std::string(filled, '#') << std::string(width - filled, '.') << "] "
        << std::setw(3) << done * 100 / *total << "% ";
  }
  out << done << " bytes" << std::flush;
}

/// `export FILE` and `import FILE`, with a progress bar. Answers false when
/// `line` is neither.
bool run_file_command(Database& db, const std::string& line, std::ostream& out) {
  std::string command = line.substr(0, line.find_first_of(" \t"));
  if (command != "export" && command != "import") return false;
  std::string file = line.size() > command.size() ? trim(line.substr(command.size())) : "";
  if (!file.empty() && file.back() == ';') file = trim(file.substr(0, file.size() - 1));
  if (file.empty()) {
    out << "usage: " << command << " FILE\n";
    return true;
  }
  const auto start = std::chrono::steady_clock::now();
  try {
    if (command == "export") {
      ExportOptions options;
      options.progress = [&out](std::uint64_t bytes) {
        draw_progress(out, "exporting", bytes, std::nullopt);
      };
      db.export_to(file, std::move(options)).get();
    } else {
      ImportOptions options;
      options.progress = [&out](std::uint64_t done, std::uint64_t total) {
        draw_progress(out, "importing", done, total);
      };
      db.import_from(file, std::move(options)).get();
    }
    const std::chrono::duration<double, std::milli> ms = std::chrono::steady_clock::now() - start;
    out << "\n" << (command == "export" ? "exported to " : "imported from ") << file << " in "
        << std::fixed << std::setprecision(2) << ms.count() << " ms\n";
  } catch (const std::exception& e) {
    out << "\nerror: " << e.what() << '\n';
  }
  return true;
}

}  // namespace

std::unique_ptr<LineReader> stream_reader(std::istream& in) {
  return std::make_unique<StreamReader>(in);
}

std::unique_ptr<LineReader> terminal_reader() { return std::make_unique<TerminalReader>(); }

int run_shell(const ShellOptions& options, LineReader& reader, std::ostream& out,
              std::ostream& err) {
  std::optional<Database> db;
  try {
    surreal::ConnectOptions connect;
    connect.ns = options.ns;
    connect.db = options.db;
    connect.root = options.root;
    db.emplace(Database::connect(options.endpoint, connect).get());
  } catch (const std::exception& e) {
    err << "cannot open " << options.endpoint << ": " << e.what() << '\n';
    return 1;
  }
  out << "Connected to " << options.endpoint << " (namespace " << options.ns << ", database "
      << options.db << "). End statements with ';'. Type exit or press Ctrl-D to leave.\n";

  const std::string prompt = options.ns + "/" + options.db + "> ";
  const std::string continuation = std::string(prompt.size() - 2, '.') + "> ";
  std::string statement;
  while (auto line = reader.read(statement.empty() ? prompt : continuation)) {
    const std::string trimmed = trim(*line);
    if (statement.empty() && (trimmed == "exit" || trimmed == "quit")) break;
    if (trimmed.empty() && statement.empty()) continue;
    if (statement.empty() && run_file_command(*db, trimmed, out)) continue;
    statement += *line;
    statement += '\n';
    if (trimmed.empty() || trimmed.back() != ';') continue;

    const auto start = std::chrono::steady_clock::now();
    try {
      Response response = db->query(statement).get();
      const std::chrono::duration<double, std::milli> ms = std::chrono::steady_clock::now() - start;
      print_response(response, options.json, ms.count(), out);
    } catch (const std::exception& e) {
      out << "error: " << e.what() << '\n';
    }
    out << std::flush;
    statement.clear();
  }
  if (!trim(statement).empty()) out << "(discarded an unfinished statement: no closing ';')\n";
  try {
    db->close().get();
  } catch (const std::exception& e) {
    err << "error while closing: " << e.what() << '\n';
    return 1;
  }
  return 0;
}

}  // namespace surreal::cli
