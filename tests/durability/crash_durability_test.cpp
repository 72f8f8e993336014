// Nothing acknowledged is lost: a writer process is killed with SIGKILL in
// the middle of writing, and every id it printed (each printed only after its
// write was acknowledged) must be in the database when it is reopened.
#include <gtest/gtest.h>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/temp_dir.hpp"
#include "surreal/surreal.hpp"

extern char** environ;

namespace {

/// Rounds per run: each kills the writer at a different point.
constexpr int kRounds = 10;

struct Writer {
  pid_t pid = -1;
  FILE* out = nullptr;
};

Writer spawn_writer(const std::string& dir, long count, std::string mode = "") {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[1]);
  std::string count_text = std::to_string(count);
  std::string path = DURABILITY_WRITER_PATH;
  std::string dir_arg = dir;
  char* argv[] = {path.data(), dir_arg.data(), count_text.data(),
                  mode.empty() ? nullptr : mode.data(), nullptr};
  Writer writer;
  const int spawned = posix_spawn(&writer.pid, path.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fds[1]);
  if (spawned != 0) throw std::runtime_error("posix_spawn failed");
  writer.out = fdopen(pipe_fds[0], "r");
  return writer;
}

std::optional<std::string> read_line(FILE* in) {
  char buffer[256];
  if (std::fgets(buffer, sizeof buffer, in) == nullptr) return std::nullopt;
  std::string line(buffer);
  if (!line.empty() && line.back() == '\n') line.pop_back();
  return line;
}

TEST(CrashDurability, AcknowledgedWritesSurviveSigkill) {
  std::mt19937 random(20261121);
  std::uniform_int_distribution<int> kill_after(1, 400);
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    surreal::test_support::TempDir dir;
    const std::string path = dir / "db";
    Writer writer = spawn_writer(path, 1'000'000);
    ASSERT_EQ(read_line(writer.out), "ready");

    const int target = kill_after(random);
    std::vector<std::string> acknowledged;
    while (static_cast<int>(acknowledged.size()) < target) {
      auto line = read_line(writer.out);
      ASSERT_TRUE(line) << "the writer stopped early";
      acknowledged.push_back(*line);
    }
    ASSERT_EQ(kill(writer.pid, SIGKILL), 0);
    // Lines already in the pipe were printed before the kill: they count too.
    while (auto line = read_line(writer.out)) acknowledged.push_back(*line);
    std::fclose(writer.out);
    int status = 0;
    ASSERT_EQ(waitpid(writer.pid, &status, 0), writer.pid);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

    auto db = surreal::Database::connect(surreal::StorageBackend::rocksdb, path, "crash", "test")
                  .get();
    std::size_t missing = 0;
    for (const auto& id : acknowledged) {
      if (db.select(id).get().is_none()) ++missing;
    }
    EXPECT_EQ(missing, 0u) << "of " << acknowledged.size() << " acknowledged writes";
    db.close().get();
  }
}

// Transactions of 10 records each: every acknowledged one is there in full
// after a SIGKILL at a random moment, and none is there in part.
TEST(CrashDurability, AcknowledgedTransactionsSurviveWholeAndNoneInPart) {
  std::mt19937 random(20261202);
  std::uniform_int_distribution<int> kill_after(1, 60);
  std::uniform_int_distribution<int> delay_us(0, 3000);  // where in the next one
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    surreal::test_support::TempDir dir;
    const std::string path = dir / "db";
    Writer writer = spawn_writer(path, 1'000'000, "transactions");
    ASSERT_EQ(read_line(writer.out), "ready");
    const int target = kill_after(random);
    std::vector<long> acknowledged;
    while (static_cast<int>(acknowledged.size()) < target) {
      auto line = read_line(writer.out);
      ASSERT_TRUE(line && line->rfind("batch ", 0) == 0) << "the writer stopped early";
      acknowledged.push_back(std::stol(line->substr(6)));
    }
    std::this_thread::sleep_for(std::chrono::microseconds(delay_us(random)));
    ASSERT_EQ(kill(writer.pid, SIGKILL), 0);
    while (auto line = read_line(writer.out)) acknowledged.push_back(std::stol(line->substr(6)));
    std::fclose(writer.out);
    int status = 0;
    ASSERT_EQ(waitpid(writer.pid, &status, 0), writer.pid);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

    auto db = surreal::Database::connect(surreal::StorageBackend::rocksdb, path, "crash", "test")
                  .get();
    const surreal::Value groups =
        db.query("SELECT batch, count() AS n FROM batch GROUP BY batch").get().take(0);
    std::map<long, std::int64_t> sizes;
    for (const auto& group : groups) {
      sizes[group["batch"].get<std::int64_t>()] = group["n"].get<std::int64_t>();
    }
    for (const auto& [batch, size] : sizes) {
      EXPECT_EQ(size, 10) << "transaction " << batch << " is there in part";
    }
    for (long batch : acknowledged) {
      EXPECT_EQ(sizes[batch], 10) << "acknowledged transaction " << batch << " is missing";
    }
    EXPECT_LE(sizes.size(), acknowledged.size() + 1) << "more than the one in flight";
    db.close().get();
  }
}

TEST(Reopen, SamePathHundredTimesWithoutSleeping) {
  surreal::test_support::TempDir dir;
  const std::string path = dir / "db";
  for (int i = 0; i < 100; ++i) {
    auto db = surreal::Database::connect(surreal::StorageBackend::rocksdb, path, "app", "main")
                  .get();
    db.create("open", {{"i", i}}).get();
    db.close().get();
  }
  auto db = surreal::Database::connect(surreal::StorageBackend::rocksdb, path, "app", "main").get();
  EXPECT_EQ(db.select("open").get().size(), 100u);
}

}  // namespace
