// The built surreal-cli run the way a person or a script runs it: input on
// stdin, output read back.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/server.hpp"
#include "support/temp_dir.hpp"

namespace {

struct CliRun {
  int status;
  std::string output;
};

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

/// Runs the CLI with `input` on stdin and TMPDIR pointing into `tmp`.
CliRun run_cli(const std::string& args, const std::string& input,
            const surreal::test_support::TempDir& tmp) {
  const auto input_file = tmp.path() / "stdin.txt";
  const auto output_file = tmp.path() / "stdout.txt";
  std::ofstream(input_file) << input;
  const auto scratch = tmp.path() / "scratch";
  std::filesystem::create_directories(scratch);
  const std::string command = "TMPDIR='" + scratch.string() + "' '" SURREAL_CLI_PATH "' " + args +
                              " < '" + input_file.string() + "' > '" + output_file.string() +
                              "' 2>&1";
  const int raw = std::system(command.c_str());
  return {WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, read_file(output_file)};
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(CliMenu, ScenariosOneTwoThreeThenExit) {
  surreal::test_support::TempDir tmp;
  const CliRun run = run_cli("", "1\n2\n3\n4\n", tmp);
  EXPECT_EQ(run.status, 0) << run.output;
  EXPECT_TRUE(contains(run.output, "Welcome to surrealcpp")) << run.output;
  EXPECT_TRUE(contains(run.output, "== Connect and verify ==")) << run.output;
  EXPECT_TRUE(contains(run.output, "status: connected")) << run.output;
  EXPECT_TRUE(contains(run.output, "created: {")) << run.output;
  EXPECT_TRUE(contains(run.output, "persons left: 0")) << run.output;
  EXPECT_TRUE(contains(run.output, "records found after reopening: 1")) << run.output;
  EXPECT_FALSE(contains(run.output, "scenario failed")) << run.output;
  EXPECT_TRUE(contains(run.output, "Goodbye.")) << run.output;
  EXPECT_TRUE(std::filesystem::is_empty(tmp.path() / "scratch"))
      << "the storage scenario left its directory behind";
}

TEST(CliMenu, InvalidInputGetsAMessageAndTheMenuAgain) {
  surreal::test_support::TempDir tmp;
  const CliRun run = run_cli("", "abc\n\n0\n9\n2x\n4\n", tmp);
  EXPECT_EQ(run.status, 0) << run.output;
  std::size_t complaints = 0;
  for (auto at = run.output.find("Please enter a number from 1 to 4."); at != std::string::npos;
       at = run.output.find("Please enter a number from 1 to 4.", at + 1)) {
    ++complaints;
  }
  EXPECT_EQ(complaints, 5u) << run.output;
  EXPECT_TRUE(contains(run.output, "Goodbye.")) << run.output;
}

TEST(CliMenu, EndOfInputExitsCleanly) {
  surreal::test_support::TempDir tmp;
  const CliRun run = run_cli("", "1\n", tmp);
  EXPECT_EQ(run.status, 0) << run.output;
  EXPECT_TRUE(contains(run.output, "End of input: goodbye.")) << run.output;
}

TEST(CliShell, RunsAMultiLineScriptAndSurvivesAFailingStatement) {
  surreal::test_support::TempDir tmp;
  const std::string script =
      "CREATE person:ann\n"
      "  SET name = 'Ann',\n"
      "      age = 31;\n"
      "SELEC broken;\n"
      "RETURN 1; THROW 'custom failure'; RETURN 3;\n"
      "SELECT VALUE name FROM person;\n"
      "exit\n"
      "RETURN 'never reached';\n";
  const CliRun run = run_cli("sql --endpoint mem:// --ns demo --db demo", script, tmp);
  EXPECT_EQ(run.status, 0) << run.output;
  EXPECT_TRUE(contains(run.output, "name: 'Ann'")) << run.output;
  EXPECT_TRUE(contains(run.output, "error: ")) << run.output;
  EXPECT_TRUE(contains(run.output, "custom failure")) << run.output;
  EXPECT_TRUE(contains(run.output, "(3 statements in ")) << run.output;
  EXPECT_TRUE(contains(run.output, "['Ann']\n")) << run.output;
  EXPECT_FALSE(contains(run.output, "never reached")) << run.output;
}

TEST(CliShell, PersistsOnRocksDbAcrossRuns) {
  surreal::test_support::TempDir tmp;
  const std::string endpoint = "rocksdb://" + (tmp / "db");
  ASSERT_EQ(run_cli("sql --endpoint " + endpoint, "CREATE note:1 SET text = 'kept';\n", tmp).status,
            0);
  const CliRun run = run_cli("sql --endpoint " + endpoint, "SELECT VALUE text FROM note;\n", tmp);
  EXPECT_EQ(run.status, 0) << run.output;
  EXPECT_TRUE(contains(run.output, "['kept']")) << run.output;
}

TEST(CliShell, PrintsSurrealQlByDefaultAndJsonOnRequest) {
  surreal::test_support::TempDir tmp;
  const std::string script =
      "RETURN person:ann; RETURN NONE; RETURN NULL; RETURN d'2024-01-01T00:00:00.5Z';\n";
  const CliRun surrealql = run_cli("sql", script, tmp);
  EXPECT_EQ(surrealql.status, 0) << surrealql.output;
  // Kinds JSON has no notation for stay what they are.
  EXPECT_TRUE(contains(surrealql.output, "\nperson:ann\n")) << surrealql.output;
  EXPECT_TRUE(contains(surrealql.output, "\nNONE\n")) << surrealql.output;
  EXPECT_TRUE(contains(surrealql.output, "\nNULL\n")) << surrealql.output;
  EXPECT_TRUE(contains(surrealql.output, "d'2024-01-01T00:00:00.500Z'")) << surrealql.output;

  const CliRun json = run_cli("sql --json", script, tmp);
  EXPECT_EQ(json.status, 0) << json.output;
  EXPECT_TRUE(contains(json.output, "\n\"person:ann\"\n")) << json.output;
  EXPECT_TRUE(contains(json.output, "\nnull\n")) << json.output;
  EXPECT_FALSE(contains(json.output, "NONE")) << json.output;
}

TEST(CliShell, ExportsAndImportsWithProgress) {
  surreal::test_support::TempDir tmp;
  const std::string dump = tmp / "dump.surql";
  const CliRun exported = run_cli("sql",
                                  "CREATE note:1 SET text = 'carried over';\n"
                                  "export " + dump + "\n"
                                  "export\n",
                                  tmp);
  EXPECT_EQ(exported.status, 0) << exported.output;
  EXPECT_TRUE(contains(exported.output, "exporting ")) << exported.output;
  EXPECT_TRUE(contains(exported.output, "exported to " + dump)) << exported.output;
  EXPECT_TRUE(contains(exported.output, "usage: export FILE")) << exported.output;
  EXPECT_TRUE(contains(read_file(dump), "carried over"));

  const CliRun imported = run_cli("sql",
                                  "import " + dump + "\n"
                                  "SELECT VALUE text FROM note;\n"
                                  "import " + (tmp / "missing.surql") + "\n",
                                  tmp);
  EXPECT_EQ(imported.status, 0) << imported.output;
  EXPECT_TRUE(contains(imported.output, "importing [")) << imported.output;
  EXPECT_TRUE(contains(imported.output, "100% ")) << imported.output;
  EXPECT_TRUE(contains(imported.output, "['carried over']")) << imported.output;
  EXPECT_TRUE(contains(imported.output, "error: ")) << imported.output;
}

TEST(CliShell, SignsInToAServerWithUserAndPass) {
  surreal::test_support::TempDir tmp;
  surreal::test_support::TestServer server;
  const std::string endpoint = "sql --endpoint " + server.url("ws");
  const CliRun run =
      run_cli(endpoint + " --user " + std::string(server.user) + " --pass " + server.pass,
              "CREATE note:1 SET text = 'on the server';\nSELECT VALUE text FROM note;\n", tmp);
  EXPECT_EQ(run.status, 0) << run.output;
  EXPECT_TRUE(contains(run.output, "['on the server']")) << run.output;
  const CliRun wrong =
      run_cli(endpoint + " --user " + std::string(server.user) + " --pass wrong", "", tmp);
  EXPECT_EQ(wrong.status, 1) << wrong.output;
  EXPECT_TRUE(contains(wrong.output, "cannot open")) << wrong.output;
}

TEST(CliShell, BadEndpointIsAClearErrorAndExitStatusOne) {
  surreal::test_support::TempDir tmp;
  const CliRun run = run_cli("sql --endpoint ftp://nowhere", "", tmp);
  EXPECT_EQ(run.status, 1);
  EXPECT_TRUE(contains(run.output, "cannot open ftp://nowhere")) << run.output;
}

TEST(CliHelp, DocumentsBothModes) {
  surreal::test_support::TempDir tmp;
  const CliRun run = run_cli("--help", "", tmp);
  EXPECT_EQ(run.status, 0);
  EXPECT_TRUE(contains(run.output, "menu")) << run.output;
  EXPECT_TRUE(contains(run.output, "sql")) << run.output;
  const CliRun sql_help = run_cli("sql --help", "", tmp);
  EXPECT_TRUE(contains(sql_help.output, "--endpoint")) << sql_help.output;
}

}  // namespace
