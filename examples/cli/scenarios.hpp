// The three demonstration scenarios of the menu. Each prints what it does and
// what came back, and reports failure instead of throwing.
#pragma once

#include <filesystem>
#include <optional>
#include <ostream>
#include <string>

namespace surreal::cli {

struct ScenarioResult {
  bool ok = true;
  std::string error;  ///< a readable message when !ok
};

/// 1. Connect to mem://, use test/test, run INFO FOR DB, close.
ScenarioResult connect_and_verify(std::ostream& out);

/// 2. Create, select, update and delete a person on mem://.
ScenarioResult crud_operations(std::ostream& out);

/// 3. The same work on mem:// and on RocksDB (in a fresh directory under
/// `scratch_parent`, removed afterwards whatever happens), RocksDB reopened to
/// show persistence, then a side-by-side summary.
ScenarioResult storage_comparison(std::ostream& out,
                                  const std::filesystem::path& scratch_parent =
                                      std::filesystem::temp_directory_path());

}  // namespace surreal::cli
