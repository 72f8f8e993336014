// Live queries: subscribe to a table, receive a notification for each
// create, update and delete, pulled one at a time with next() or pushed to a
// callback with listen(); a LIVE SELECT with a WHERE clause and bound
// parameters; kill() to stop. Built and run by ctest (example_live).
#include <surreal/surreal.hpp>

#include <chrono>
#include <condition_variable>
#include <future>
#include <iostream>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using surreal::Action;
using surreal::RecordId;

namespace {

void check(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error("check failed: " + what);
}

/// The next notification, waiting at most 10 s for it.
surreal::Notification next(surreal::LiveQuery& live) {
  auto future = live.next();
  if (future.wait_for(10s) != std::future_status::ready) {
    throw std::runtime_error("no notification within 10 s");
  }
  std::optional<surreal::Notification> notification = future.get();
  if (!notification) throw std::runtime_error("the live query ended");
  return std::move(*notification);
}

int run() {
  surreal::Database db = surreal::Database::connect("mem://", "app", "main").get();
  // SurrealDB 3 starts live queries only on tables that exist.
  db.query("DEFINE TABLE person").get().take(0);  // take() throws if it failed

  // 1. Pull: every change to the table, taken with next() (or co_await).
  surreal::LiveQuery people = db.live("person").get();
  const RecordId ann{"person", "ann"};
  db.create(ann, surreal::Object{{"name", "Ann"}, {"age", 30}}).get();
  surreal::Notification created = next(people);
  check(created.action == Action::create && created.record == ann, "ann created");
  check(created.data["age"] == 30, "the notification carries the record");

  db.merge(ann, surreal::Object{{"age", 31}}).get();
  surreal::Notification updated = next(people);
  check(updated.action == Action::update && updated.data["age"] == 31, "ann updated");

  db.remove(ann).get();
  surreal::Notification removed = next(people);
  check(removed.action == Action::remove && removed.record == ann, "ann deleted");
  check(removed.data["name"] == "Ann", "a deletion carries the record as it was");

  people.kill().get();  // or let the LiveQuery go out of scope
  check(!people.next().get().has_value(), "after kill(), next() says the stream ended");

  // 2. Push: a filtered live query, its notifications delivered to a callback
  // on the engine's thread (it must not block).
  surreal::LiveQuery adults =
      db.live_query("LIVE SELECT * FROM person WHERE age >= $min", {{"min", 18}}).get();
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::string> seen;
  bool ended = false;
  adults.listen([&](surreal::Result<std::optional<surreal::Notification>> result) {
    std::lock_guard lock(mutex);
    if (!result || !result->has_value()) {
      ended = true;  // the last call: the end, or an error
    } else {
      seen.push_back((*result)->data["name"].get<std::string>());
    }
    changed.notify_all();
  });
  // One statement, so its notifications come in order: the child's first.
  db.insert("person", surreal::Array{surreal::Object{{"name", "Cy"}, {"age", 9}},
                                     surreal::Object{{"name", "Dee"}, {"age", 42}}})
      .get();
  {
    std::unique_lock lock(mutex);
    check(changed.wait_for(lock, 10s, [&] { return !seen.empty(); }), "an adult is notified");
  }
  adults.kill().get();
  {
    std::unique_lock lock(mutex);
    check(changed.wait_for(lock, 10s, [&] { return ended; }), "the callback hears the end");
    check(seen == std::vector<std::string>{"Dee"}, "only the adult matched WHERE age >= $min");
  }
  std::cout << "pulled create, update, delete of " << ann.to_string() << "; pushed "
            << seen.front() << '\n';

  // The engine holds no live query any more.
  check(db.query("RETURN (INFO FOR TABLE person).lives").get().take(0).empty(),
        "no live query left on person");
  db.close().get();
  return 0;
}

}  // namespace

int main() {
  try {
    return run();
  } catch (const std::exception& e) {
    std::cerr << "example_live: " << e.what() << '\n';
    return 1;
  }
}
