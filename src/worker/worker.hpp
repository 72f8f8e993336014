// The background worker: one thread that owns the native database handle and
// runs the commands sent to it, in order.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <thread>

#include "ffi/native.hpp"
#include "surreal/future.hpp"
#include "worker/commands.hpp"

namespace surreal::worker {

/// Receives a command's reply, exactly once: on the worker thread for
/// session commands (Initialize, Connect, UseNamespace, UseDatabase, Close);
/// for data commands (Query, Select, Create, Update, Delete) on the worker
/// thread when it ran the command itself, on a thread of the native runtime
/// when it handed it there, or on the caller's thread when the caller ran it
/// (Task::run_here). It must not block for long.
using Completion = std::function<void(Reply)>;

/// The queue and flags a worker shares with its thread (worker.cpp).
struct WorkerState;

/// One command on its way: made by Worker::task(), queued by Worker::post(),
/// then run by the worker thread, the native runtime, or a caller waiting
/// for it. It is the detail::Work a Future cancels or runs here.
class Task : public detail::Work {
 public:
  explicit Task(Command command);

  /// Not started: it never runs (its completion still receives a
  /// cancellation error). Running: the native operation is told to stop.
  void cancel() noexcept override;
  /// Runs a data command on the calling thread once every session command
  /// sent before it has finished, if the worker has not taken it yet. Else,
  /// and on a thread of the native runtime (which must not block on itself),
  /// false, after making sure the worker thread will run it (start()).
  bool run_here() noexcept override;
  /// Makes sure the worker thread will run it: wakes it if it sleeps on a
  /// wake still owed (see WorkerState in worker.cpp).
  void start() noexcept override;

  /// Delivers the reply (once); an exception escaping the completion is dropped.
  void complete(Reply reply) noexcept;

 protected:
  /// Hands the reply to the completion.
  virtual void deliver(Reply reply) = 0;

 private:
  friend class Worker;
  friend class Executor;

  enum Phase : int { created, queued, running, cancelled };
  /// Moves from `from` to `to`; false if the task was elsewhere.
  bool advance(Phase from, Phase to) noexcept {
    int expected = from;
    return phase_.compare_exchange_strong(expected, to, std::memory_order_acq_rel);
  }
  Command command_;
  std::atomic<int> phase_{created};
  /// Triggered by cancel() while the native operation runs (data commands
  /// only; made with the task, so that cancel() never races its creation).
  const ffi::CancelHandle token_;
  std::weak_ptr<WorkerState> worker_;   // set by post()
  std::uint64_t sessions_before_ = 0;   // session commands posted before it; set by post()
};

/// Commands are taken in the order they were sent. Data commands are handed
/// to the native runtime without waiting for the ones before them, so
/// independent reads and writes are in flight together; a session command
/// waits until every command before it has finished, and the commands after
/// it wait for it, so namespace and database changes keep their order.
/// A caller waiting for a data command the worker has not taken yet may take
/// it in the worker's place and run it on its own thread (Task::run_here):
/// the same command, started in the same turn, without the hand-off.
///
/// Thread-safety: `task`, `post` and `send` may be called from any thread at
/// once; `start` and `dispose` from one thread at a time (the owner's).
class Worker {
 public:
  Worker();
  ~Worker();  // dispose()
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  /// Spawns the thread and returns once it has reported ready.
  /// Throws std::logic_error if already started or disposed.
  void start();

  /// Gives the worker a native handle that is connected already (a session
  /// from surreal_db_new_session), instead of a Connect command. Only before
  /// start(); throws std::logic_error after it.
  void adopt(ffi::DatabaseHandle handle);

  /// Makes a task for `command`, to be posted once its future is wired.
  /// `completion` is any callable taking a Reply (one allocation for both).
  template <typename F>
  static std::shared_ptr<Task> task(Command command, F completion);

  /// Ties `task` to this worker before it is shared, for a task that may be
  /// waited for, cancelled or run here before post() (a transaction's call
  /// waiting for its turn). post() ties the others.
  void bind(Task& task) const noexcept { task.worker_ = state_; }

  /// How post() treats a worker thread that sleeps.
  enum class Wake {
    now,       ///< wake it for the task
    deferred,  ///< owe the wake: the task's future pays it unless its caller
               ///< runs the task itself (Task::run_here, Task::start)
  };

  /// Queues `task`. A task cancelled before it is posted is completed at once
  /// with a cancellation error, and so is every task after dispose().
  /// Session commands always wake the worker. Throws std::logic_error before
  /// start().
  void post(std::shared_ptr<Task> task, Wake wake);
  /// Queues `command`; `completion` receives the reply.
  void post(Command command, Completion completion) {
    post(task(std::move(command), std::move(completion)), Wake::now);
  }

  /// Queues `command`; its reply arrives through the future, an Error reply
  /// as the matching exception of surreal/exceptions.hpp.
  /// Throws std::logic_error before start().
  std::future<Success> send(Command command);

  /// Closes the native handle, fails every command still queued with a
  /// ConnectionException, and joins the thread. Idempotent; never throws.
  /// Called on the worker thread itself (from a completion), it stops the
  /// worker without waiting for it.
  void dispose() noexcept;

 private:
  std::shared_ptr<WorkerState> state_;
  std::thread thread_;
};

/// A Task with its completion inline.
template <typename F>
class TaskWith final : public Task {
 public:
  TaskWith(Command command, F completion)
      : Task(std::move(command)), completion_(std::move(completion)) {}

 private:
  void deliver(Reply reply) override { completion_(std::move(reply)); }
  F completion_;
};

template <typename F>
std::shared_ptr<Task> Worker::task(Command command, F completion) {
  return std::make_shared<TaskWith<F>>(std::move(command), std::move(completion));
}

}  // namespace surreal::worker
