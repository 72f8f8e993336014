// The SurrealQL shell: statements end with ';' and may span lines; each
// result is printed in SurrealQL notation, as `surreal sql` prints it (or as
// JSON with --json), with its execution time. Two commands of its own, on a
// line by themselves: `export FILE` writes the database as SurrealQL and
// `import FILE` runs such a file, each with a progress bar.
#pragma once

#include <istream>
#include <memory>
#include <optional>
#include <ostream>
#include <string>

#include "surreal/auth.hpp"

namespace surreal::cli {

struct ShellOptions {
  std::string endpoint = "mem://";
  std::string ns = "test";
  std::string db = "test";
  bool json = false;  ///< print results as JSON instead of SurrealQL
  /// Root credentials, to sign in to a server (or to a datastore with root
  /// authentication); none connects without signing in.
  std::optional<surreal::auth::Root> root;
};

/// Where the shell's lines come from.
class LineReader {
 public:
  virtual ~LineReader() = default;
  /// The next line without its newline, or nullopt at end of input.
  virtual std::optional<std::string> read(const std::string& prompt) = 0;
};

/// Plain lines from a stream (pipes, files, tests); no prompts.
std::unique_ptr<LineReader> stream_reader(std::istream& in);
/// A terminal with line editing and history (libedit).
std::unique_ptr<LineReader> terminal_reader();

/// Runs the shell until `exit`, `quit` or end of input. Returns the exit
/// status: 0, or 1 when the database could not be opened.
int run_shell(const ShellOptions& options, LineReader& reader, std::ostream& out,
              std::ostream& err);

}  // namespace surreal::cli
