#include "worker/worker.hpp"

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include <nlohmann/json.hpp>

#include "ffi/cbor.hpp"
#include "ffi/native.hpp"
#include "ffi/results.hpp"
#include "poll.hpp"
#include "surreal/exceptions.hpp"

namespace surreal::worker {
namespace {

struct Job {
  Command command;
  Completion completion;
};

/// Data commands are handed to the native runtime and may run concurrently;
/// every other command changes or reads session state, so it runs alone, on
/// the worker thread, after everything sent before it has finished.
template <typename T>
constexpr bool is_data_command =
    std::is_same_v<T, Query> || std::is_same_v<T, Select> || std::is_same_v<T, Create> ||
    std::is_same_v<T, Update> || std::is_same_v<T, Delete>;

/// Hands memory freed by a closed datastore back to the system. RocksDB's
/// threads allocate from many glibc arenas, which keep what they free; this
/// returns most of it (tests/analysis/memory_verification.md).
void release_freed_memory() noexcept {
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

/// How long the worker thread polls for its next command before it sleeps.
/// Waking a sleeping thread costs tens of microseconds on a virtual machine
/// (the wake-up of an idle vCPU), more than a whole "RETURN 1" query; a caller
/// issuing one command after another sends the next one within a few
/// microseconds of receiving a reply, so the worker catches it while polling.
/// Measured on W1: see the performance section of the README.
constexpr std::chrono::microseconds kPollBeforeSleep{100};

Error disposed_error() {
  return Error{"the database was shut down before this operation ran", error_code::connection};
}

/// Calls a completion; an exception escaping it must not kill the worker.
void complete(const Completion& completion, Reply reply) noexcept {
  try {
    completion(std::move(reply));
  } catch (...) {
  }
}

/// Converts a native response into a Success: its results move out of the
/// native response as Values (ffi::take_results). The caller frees the
/// response after replying: freeing what remains of 100,000 rows need not
/// delay the reply.
Success to_success(SurrealResponse* raw) {
  Success success;
  success.results = ffi::take_results(raw);
  const int has_errors = surreal_response_has_errors(raw);
  ffi::check(has_errors < 0 ? has_errors : SURREAL_OK);
  if (has_errors == 1) {
    const std::string errors = ffi::take_string(ffi::check(surreal_response_get_errors(raw)));
    for (const auto& error : nlohmann::json::parse(errors)) {
      success.statement_errors.push_back(
          error.is_string() ? std::optional(error.get<std::string>()) : std::nullopt);
    }
  } else {
    success.statement_errors.resize(success.results.size());
  }
  return success;
}

/// A value encoded for the C ABI (CBOR); an empty buffer for NONE where the
/// C function takes NULL for "nothing".
struct Encoded {
  std::vector<std::uint8_t> bytes;

  explicit Encoded(const Value& value) { ffi::encode_value(value, bytes); }
  static Encoded optional(const Value& value) {
    return value.is_none() ? Encoded() : Encoded(value);
  }
  const std::uint8_t* data() const noexcept { return bytes.empty() ? nullptr : bytes.data(); }
  std::size_t size() const noexcept { return bytes.size(); }

 private:
  Encoded() = default;
};

/// Runs `body` and turns what it throws into an Error reply.
template <typename Body>
Reply guarded(Body&& body) noexcept {
  try {
    return body();
  } catch (const DatabaseException& e) {
    return Error{e.native_details(), e.code()};
  } catch (const nlohmann::json::exception& e) {
    return Error{e.what(), error_code::invalid_argument};
  } catch (const std::invalid_argument& e) {  // a value the codec refused
    return Error{e.what(), error_code::invalid_argument};
  } catch (const std::exception& e) {
    return Error{e.what(), error_code::internal};
  } catch (...) {
    return Error{"unknown error", error_code::internal};
  }
}

}  // namespace

struct WorkerState {
  std::mutex mutex;
  std::condition_variable wake;
  std::deque<Job> queue;  // guarded by mutex
  bool started = false;   // guarded by mutex
  bool stopping = false;  // guarded by mutex
  /// Set (under mutex) when a command is queued or the worker is told to
  /// stop, cleared when the worker empties the queue: what it polls for.
  std::atomic<bool> signalled = false;

  std::mutex flight_mutex;
  std::condition_variable flight_done;
  std::size_t in_flight = 0;  // data commands handed to the runtime; guarded by flight_mutex

  // Owned by the worker thread alone.
  ffi::DatabaseHandle handle;
  bool closed = false;

  void begin_operation() {
    std::lock_guard lock(flight_mutex);
    ++in_flight;
  }
  void end_operation() {
    std::lock_guard lock(flight_mutex);
    if (--in_flight == 0) flight_done.notify_all();
  }
  bool idle() {
    std::lock_guard lock(flight_mutex);
    return in_flight == 0;
  }
  /// Waits until every data command handed to the runtime has completed.
  void wait_until_idle() {
    std::unique_lock lock(flight_mutex);
    flight_done.wait(lock, [&] { return in_flight == 0; });
  }
  /// Polls for a command for up to kPollBeforeSleep; the caller then takes
  /// the mutex and sleeps on `wake` if there is still nothing to do.
  void poll_for_work() const noexcept {
    detail::poll_until(kPollBeforeSleep,
                       [&] { return signalled.load(std::memory_order_acquire); });
  }
};

namespace {

/// A data command on its way through the runtime: freed by the callback.
struct AsyncCall {
  Completion completion;
  std::shared_ptr<WorkerState> state;
};

/// The native callback: runs once per data command, on a runtime thread.
void on_async_done(void* context, int32_t status, SurrealResponse* response,
                   char* error) noexcept {
  std::unique_ptr<AsyncCall> call(static_cast<AsyncCall*>(context));
  ffi::ResponseHandle owned(response);
  std::string message = ffi::take_string(error);
  Reply reply = status == SURREAL_OK ? guarded([&]() -> Reply { return to_success(response); })
                                     : Reply(Error{std::move(message), status});
  complete(call->completion, std::move(reply));
  owned.reset();
  call->state->end_operation();
}

/// Runs the commands the worker thread takes off its queue. Exhaustive: a
/// command without a `run` or `start` overload here does not compile.
class Executor {
 public:
  explicit Executor(std::shared_ptr<WorkerState> state) : state_(std::move(state)) {}

  /// `alone`: nothing else is queued. A data command then runs right here on
  /// the worker thread: handing it to the runtime would only add a thread hop
  /// (tens of microseconds) to its latency. When others wait, it goes to the
  /// runtime so they overlap; the last of a burst runs here, beside them.
  void execute(Job job, bool alone) {
    std::visit(
        [&](const auto& command) {
          using T = std::decay_t<decltype(command)>;
          if constexpr (is_data_command<T>) {
            if (alone) {
              ffi::ResponseHandle response;
              Reply reply = guarded([&]() -> Reply {
                response.reset(ffi::check(run_now(command)));
                return to_success(response.get());
              });
              complete(job.completion, std::move(reply));
              // `response` is freed here, after the reply (see to_success).
            } else {
              dispatch(command, std::move(job.completion));
            }
          } else {
            state_->wait_until_idle();
            complete(job.completion, guarded([&]() -> Reply { return run(command); }));
          }
        },
        job.command);
  }

  Reply initialize() {
    return guarded([&]() -> Reply { return run(Initialize{}); });
  }

 private:
  // Session commands, run on the worker thread.
  Success run(const Initialize&) {
    ffi::check(surreal_init());
    return {};
  }

  Success run(const Connect& command) {
    if (state_->closed) throw_closed();
    if (state_->handle) {
      throw ConnectionException(error_code::connection, "the database is already connected");
    }
    ffi::DatabaseHandle handle(ffi::check(surreal_db_new(command.endpoint.c_str())));
    ffi::check(surreal_db_connect(handle.get()));
    if (command.ns) ffi::check(surreal_db_use_ns(handle.get(), command.ns->c_str()));
    if (command.db) ffi::check(surreal_db_use_db(handle.get(), command.db->c_str()));
    state_->handle = std::move(handle);
    return {};
  }

  Success run(const UseNamespace& command) {
    ffi::check(surreal_db_use_ns(db(), command.ns.c_str()));
    return {};
  }

  Success run(const UseDatabase& command) {
    ffi::check(surreal_db_use_db(db(), command.db.c_str()));
    return {};
  }

  Success run(const Close&) {
    state_->closed = true;
    if (state_->handle) {
      const int status = surreal_db_close(state_->handle.release());
      release_freed_memory();
      ffi::check(status);
    }
    return {};
  }

  // Data commands run on the worker thread; each returns the native response.
  SurrealResponse* run_now(const Query& command) {
    const auto bindings = Encoded::optional(command.bindings);
    return surreal_db_query_cbor(db(), command.sql.c_str(), bindings.data(), bindings.size());
  }

  SurrealResponse* run_now(const Select& command) {
    const Encoded resource(command.resource.value());
    return surreal_db_select_cbor(db(), resource.data(), resource.size());
  }

  SurrealResponse* run_now(const Create& command) {
    const Encoded resource(command.resource.value()), data(command.data);
    return surreal_db_create_cbor(db(), resource.data(), resource.size(), data.data(),
                                  data.size());
  }

  SurrealResponse* run_now(const Update& command) {
    const Encoded resource(command.resource.value()), data(command.data);
    return surreal_db_update_cbor(db(), resource.data(), resource.size(), data.data(),
                                  data.size());
  }

  SurrealResponse* run_now(const Delete& command) {
    const Encoded resource(command.resource.value());
    return surreal_db_delete_cbor(db(), resource.data(), resource.size());
  }

  // Data commands handed to the runtime; each `start` returns its native status.
  int start(const Query& command, AsyncCall* call) {
    const auto bindings = Encoded::optional(command.bindings);
    return surreal_db_query_cbor_async(db(), command.sql.c_str(), bindings.data(),
                                       bindings.size(), on_async_done, call);
  }

  int start(const Select& command, AsyncCall* call) {
    const Encoded resource(command.resource.value());
    return surreal_db_select_cbor_async(db(), resource.data(), resource.size(), on_async_done,
                                        call);
  }

  int start(const Create& command, AsyncCall* call) {
    const Encoded resource(command.resource.value()), data(command.data);
    return surreal_db_create_cbor_async(db(), resource.data(), resource.size(), data.data(),
                                        data.size(), on_async_done, call);
  }

  int start(const Update& command, AsyncCall* call) {
    const Encoded resource(command.resource.value()), data(command.data);
    return surreal_db_update_cbor_async(db(), resource.data(), resource.size(), data.data(),
                                        data.size(), on_async_done, call);
  }

  int start(const Delete& command, AsyncCall* call) {
    const Encoded resource(command.resource.value());
    return surreal_db_delete_cbor_async(db(), resource.data(), resource.size(), on_async_done,
                                        call);
  }

  template <typename T>
  void dispatch(const T& command, Completion completion) {
    auto call = std::make_unique<AsyncCall>(AsyncCall{std::move(completion), state_});
    state_->begin_operation();
    const Reply refused = guarded([&]() -> Reply {
      ffi::check(start(command, call.get()));  // throws the native error if not scheduled
      call.release();                          // scheduled: the callback owns it now
      return Success{};
    });
    if (call) {  // not scheduled, so the callback will not run: reply here
      state_->end_operation();
      complete(call->completion, refused);
    }
  }

  [[noreturn]] static void throw_closed() {
    throw ConnectionException(error_code::connection, "the database is closed");
  }

  SurrealDatabase* db() const {
    if (state_->closed) throw_closed();
    if (!state_->handle) {
      throw ConnectionException(error_code::connection, "the database is not connected");
    }
    return state_->handle.get();
  }

  std::shared_ptr<WorkerState> state_;
};

}  // namespace

Worker::Worker() : state_(std::make_shared<WorkerState>()) {}

Worker::~Worker() { dispose(); }

void Worker::start() {
  {
    std::lock_guard lock(state_->mutex);
    if (state_->started) throw std::logic_error("surreal worker: start() called twice");
    if (state_->stopping) throw std::logic_error("surreal worker: start() after dispose()");
    state_->started = true;
  }
  std::promise<void> ready;
  std::future<void> handshake = ready.get_future();
  thread_ = std::thread([state = state_, ready = std::move(ready)]() mutable {
    Executor executor(state);
    // The handshake: the worker is ready once the native runtime is.
    const Reply initialized = executor.initialize();
    if (const auto* error = std::get_if<Error>(&initialized)) {
      {
        std::lock_guard lock(state->mutex);
        state->stopping = true;
      }
      ready.set_exception(ffi::make_exception(error->code, error->message));
      return;
    }
    ready.set_value();
    for (;;) {
      Job job;
      bool alone = false;
      // Poll only when nothing is in flight: otherwise the runtime's threads
      // need the CPU (two cores here) more than this thread's latency does.
      if (state->idle()) state->poll_for_work();
      {
        std::unique_lock lock(state->mutex);
        state->wake.wait(lock, [&] { return state->stopping || !state->queue.empty(); });
        if (state->stopping) break;
        job = std::move(state->queue.front());
        state->queue.pop_front();
        alone = state->queue.empty();
        if (alone) state->signalled.store(false, std::memory_order_relaxed);
      }
      executor.execute(std::move(job), alone);
    }
    std::deque<Job> abandoned;
    {
      std::lock_guard lock(state->mutex);
      abandoned.swap(state->queue);
    }
    for (auto& job : abandoned) complete(job.completion, disposed_error());
    state->wait_until_idle();
    if (state->handle) {
      state->handle.reset();  // closes the datastore
      release_freed_memory();
    }
  });
  handshake.get();
}

void Worker::post(Command command, Completion completion) {
  {
    std::lock_guard lock(state_->mutex);
    if (!state_->started) throw std::logic_error("surreal worker: send before start()");
    if (!state_->stopping) {
      state_->queue.push_back(Job{std::move(command), std::move(completion)});
      state_->signalled.store(true, std::memory_order_release);
      state_->wake.notify_one();
      return;
    }
  }
  complete(completion, disposed_error());
}

std::future<Success> Worker::send(Command command) {
  auto promise = std::make_shared<std::promise<Success>>();
  auto future = promise->get_future();
  post(std::move(command), [promise](Reply reply) {
    if (auto* success = std::get_if<Success>(&reply)) {
      promise->set_value(std::move(*success));
    } else {
      auto& error = std::get<Error>(reply);
      promise->set_exception(ffi::make_exception(error.code, std::move(error.message)));
    }
  });
  return future;
}

void Worker::dispose() noexcept {
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = true;
    state_->signalled.store(true, std::memory_order_release);
  }
  state_->wake.notify_all();
  if (!thread_.joinable()) return;
  if (thread_.get_id() == std::this_thread::get_id()) {
    thread_.detach();  // the thread finishes on its own; it shares the state
  } else {
    thread_.join();
  }
}

}  // namespace surreal::worker
