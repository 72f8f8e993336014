// Callbacks, coroutines, cancellation and deadlines with surreal::Future.
//
// The coroutines here use a minimal task type and a single-threaded event
// loop written for this example (`Task`, `EventLoop`); any C++20 coroutine
// type works the same way, since `co_await` on a surreal::Future needs
// nothing from it. Built and run by ctest (example_async).
#include <surreal/surreal.hpp>

#include <chrono>
#include <condition_variable>
#include <coroutine>
#include <cstdio>
#include <deque>
#include <exception>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <thread>

using namespace std::chrono_literals;

namespace {

/// A single-threaded event loop: what a GUI or a server's I/O thread has.
class EventLoop {
 public:
  void post(std::function<void()> work) {
    // Notified under the lock: once the loop has run the last work it may be
    // destroyed, which must not happen while another thread notifies it.
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(work));
    ready_.notify_one();
  }
  /// Runs posted work on the calling thread until `done()` is true.
  template <typename Done>
  void run_until(Done done) {
    std::unique_lock lock(mutex_);
    while (!done()) {
      ready_.wait(lock, [&] { return !queue_.empty() || done(); });
      while (!queue_.empty()) {
        auto work = std::move(queue_.front());
        queue_.pop_front();
        lock.unlock();
        work();
        lock.lock();
      }
    }
  }
  /// For Future::via(): resume the coroutine on this loop.
  auto executor() {
    return [this](surreal::Resumption resume) { post(resume); };
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> queue_;
};

/// A coroutine that starts at once and that nobody awaits; `done` is set
/// when it finishes.
struct Task {
  struct promise_type {
    Task get_return_object() noexcept { return {}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); }
  };
};

/// Reads a counter with the coroutine resumed on the event loop after every
/// call, as a GUI would; the loop's thread never blocks on the database.
Task count_people(surreal::Database& db, EventLoop& loop, int& seen, bool& done) {
  const auto on_loop = loop.executor();
  for (int i = 0; i < 3; ++i) {
    // g++ 12: build braced values before the co_await, not inside it.
    surreal::Object person{{"name", "person " + std::to_string(i)}};
    co_await db.create("person", std::move(person)).via(on_loop);
  }
  surreal::Response response = co_await db.query("RETURN count(SELECT * FROM person)").via(on_loop);
  seen = static_cast<int>(response.take<std::int64_t>(0));
  done = true;
}

int run() {
  surreal::Database db = surreal::Database::connect("mem://", "example", "async").get();

  // 1. A callback: runs on the thread that completes the call. then()
  // returns a future of what the callback returns; nothing waits for it here.
  std::promise<void> called;
  (void)db.query("RETURN 6 * 7").then([&](surreal::Result<surreal::Response> result) {
    std::printf("callback: %s\n", result.value().take(0).to_string().c_str());
    called.set_value();
  });
  called.get_future().wait();

  // 2. A coroutine resumed on an event loop.
  EventLoop loop;
  int people = 0;
  bool done = false;
  count_people(db, loop, people, done);
  loop.run_until([&] { return done; });
  std::printf("coroutine: %d people\n", people);
  if (people != 3) return 1;

  // 3. Cancellation: the engine stops the SLEEP, the database stays usable.
  auto sleeping = db.query("SLEEP 10s");
  sleeping.wait_for(20ms);
  sleeping.cancel();
  try {
    sleeping.get();
    return 1;
  } catch (const surreal::CancelledException& e) {
    std::printf("cancelled: %s\n", e.what());
  }

  // 4. A deadline.
  surreal::CallOptions options;
  options.timeout = 50ms;
  try {
    db.query("FOR $i IN 0..100000000 { LET $x = $i; }", {}, options).get();
    return 1;
  } catch (const surreal::TimeoutException& e) {
    std::printf("timed out: %s\n", e.what());
  }
  std::printf("still usable: %s\n", db.query("RETURN 'yes'").get().take(0).to_string().c_str());
  db.close().get();
  return 0;
}

}  // namespace

int main() {
  try {
    return run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "example_async: %s\n", e.what());
    return 1;
  }
}
