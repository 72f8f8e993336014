// The menu's scenario functions called directly: they finish, report what
// they did, and turn failures into results instead of exceptions.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "scenarios.hpp"
#include "support/temp_dir.hpp"

namespace {

using namespace surreal::cli;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(Scenarios, ConnectAndVerifyPrintsEachStep) {
  std::ostringstream out;
  const ScenarioResult result = connect_and_verify(out);
  EXPECT_TRUE(result.ok) << result.error;
  const std::string text = out.str();
  EXPECT_TRUE(contains(text, "status: connected")) << text;
  EXPECT_TRUE(contains(text, "INFO FOR DB")) << text;
  EXPECT_TRUE(contains(text, "tables: {")) << text;  // INFO FOR DB's own output
  EXPECT_TRUE(contains(text, "Closed")) << text;
}

TEST(Scenarios, CrudShowsEveryStep) {
  std::ostringstream out;
  const ScenarioResult result = crud_operations(out);
  EXPECT_TRUE(result.ok) << result.error;
  const std::string text = out.str();
  EXPECT_TRUE(contains(text, "name: 'John'")) << text;
  EXPECT_TRUE(contains(text, "age: 31")) << text;
  EXPECT_TRUE(contains(text, "id: person:")) << text;  // a record id, not text
  EXPECT_TRUE(contains(text, "persons left: 0")) << text;
}

TEST(Scenarios, StorageComparisonPersistsAndCleansUp) {
  surreal::test_support::TempDir parent;
  std::ostringstream out;
  const ScenarioResult result = storage_comparison(out, parent.path());
  EXPECT_TRUE(result.ok) << result.error << '\n' << out.str();
  const std::string text = out.str();
  EXPECT_TRUE(contains(text, "records found after reopening: 1")) << text;
  const auto row = text.find("survives reopen");
  ASSERT_NE(row, std::string::npos) << text;
  const std::string line = text.substr(row, text.find('\n', row) - row);
  EXPECT_TRUE(contains(line, "no (by design)") && line.back() == 's' && contains(line, " yes"))
      << line;
  EXPECT_TRUE(std::filesystem::is_empty(parent.path())) << "the RocksDB directory was left behind";
}

TEST(Scenarios, StorageComparisonReportsFailureWithoutThrowing) {
  surreal::test_support::TempDir parent;
  const auto missing = parent.path() / "does" / "not" / "exist";
  std::ostringstream out;
  ScenarioResult result;
  EXPECT_NO_THROW(result = storage_comparison(out, missing));
  EXPECT_FALSE(result.ok);
  EXPECT_FALSE(result.error.empty());
  EXPECT_TRUE(contains(out.str(), "outcome")) << "the summary is printed even after a failure";
}

}  // namespace
