// The background worker: one thread that owns the native database handle and
// runs the commands sent to it, in order.
#pragma once

#include <functional>
#include <future>
#include <memory>
#include <thread>

#include "worker/commands.hpp"

namespace surreal::worker {

/// Receives a command's reply: on the worker thread for session commands
/// (Initialize, Connect, UseNamespace, UseDatabase, Close); for data commands
/// (Query, Select, Create, Update, Delete) on the worker thread when the
/// command ran there alone, else on a thread of the native runtime.
/// It must not block for long.
using Completion = std::function<void(Reply)>;

/// The queue and flags a worker shares with its thread (worker.cpp).
struct WorkerState;

/// Commands are taken in the order they were sent. Data commands are handed
/// to the native runtime without waiting for the ones before them, so
/// independent reads and writes are in flight together; a session command
/// waits until every command before it has finished, and the commands after
/// it wait for it, so namespace and database changes keep their order.
///
/// Thread-safety: `send` and `post` may be called from any thread at once;
/// `start` and `dispose` from one thread at a time (the owner's).
class Worker {
 public:
  Worker();
  ~Worker();  // dispose()
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  /// Spawns the thread and returns once it has reported ready.
  /// Throws std::logic_error if already started or disposed.
  void start();

  /// Queues `command`; its reply arrives through the future, an Error reply
  /// as the matching exception of surreal/exceptions.hpp.
  /// Throws std::logic_error before start().
  std::future<Success> send(Command command);

  /// Queues `command`; `completion` receives the reply on the worker thread.
  /// Throws std::logic_error before start().
  void post(Command command, Completion completion);

  /// Closes the native handle, fails every command still queued with a
  /// ConnectionException, and joins the thread. Idempotent; never throws.
  /// Called on the worker thread itself (from a completion), it stops the
  /// worker without waiting for it.
  void dispose() noexcept;

 private:
  std::shared_ptr<WorkerState> state_;
  std::thread thread_;
};

}  // namespace surreal::worker
