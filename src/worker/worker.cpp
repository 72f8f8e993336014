#include "worker/worker.hpp"
#include "worker/state_watch.hpp"

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <atomic>
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
#include "surreal/exceptions.hpp"

namespace surreal::worker {
namespace {

/// Data commands are handed to the native runtime and may run concurrently;
/// every other command changes or reads session state, so it runs alone, on
/// the worker thread, after everything sent before it has finished.
template <typename T>
constexpr bool is_data_command =
    std::is_same_v<T, Query> || std::is_same_v<T, Select> || std::is_same_v<T, Create> ||
    std::is_same_v<T, Update> || std::is_same_v<T, Delete> || std::is_same_v<T, Call>;

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SURREALCPP_SANITIZED_ALLOCATOR 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SURREALCPP_SANITIZED_ALLOCATOR 1
#endif
#endif

/// Hands memory freed by a closed datastore back to the system. RocksDB's
/// threads allocate from many glibc arenas, which keep what they free; this
/// returns most of it (tests/analysis/memory_verification.md). Not under
/// ASan or TSan: their allocator replaces glibc's, so there is nothing to
/// trim, and glibc's malloc_trim walking its own barely used arenas crashed
/// once under TSan (a fresh-clone CI run, 2026-12-03: SEGV in mtrim on Close).
void release_freed_memory() noexcept {
#if defined(__GLIBC__) && !defined(SURREALCPP_SANITIZED_ALLOCATOR)
  malloc_trim(0);
#endif
}

Error disposed_error() {
  return Error{"the database was shut down before this operation ran", error_code::connection};
}

Error cancelled_error() {
  return Error{"the call was cancelled before it ran", error_code::cancelled};
}

/// True on a thread of the native runtime while it delivers a reply: such a
/// thread must not run a command itself (the runtime cannot block on itself).
thread_local bool on_runtime_thread = false;

/// Converts a native response into a Success: its results move out of the
/// native response as Values (ffi::take_results). The caller frees the
/// response after replying: freeing what remains of 100,000 rows need not
/// delay the reply.
Success to_success(SurrealResponse* raw) {
  Success success;
  success.results = ffi::take_results(raw);
  const int has_errors = surreal_response_has_errors(raw);
  ffi::check(has_errors < 0 ? has_errors : SURREAL_OK);
  success.statement_errors.resize(success.results.size());
  if (has_errors == 1) {
    ffi::Buffer buffer;
    ffi::check(surreal_response_cbor(raw, SURREAL_RESPONSE_ERRORS, &buffer.data, &buffer.len));
    const Value errors = ffi::decode_value(buffer.data, buffer.len);
    const Array& statements = errors.as_array();
    for (std::size_t index = 0; index < statements.size() && index < success.results.size();
         ++index) {
      if (!statements[index].is_none()) {
        success.statement_errors[index] = ffi::statement_exception(index, statements[index]);
      }
    }
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

bool stream_chunk(void* context, const std::uint8_t* data, std::size_t len) noexcept {
  auto* stream = static_cast<Stream*>(context);
  try {
    return stream->chunk && stream->chunk(data, len);
  } catch (...) {  // documented not to throw; stop the export if it does
    return false;
  }
}

bool stream_progress(void* context, std::uint64_t done, std::uint64_t total) noexcept {
  auto* stream = static_cast<Stream*>(context);
  try {
    return !stream->progress || stream->progress(done, total);
  } catch (...) {  // documented not to throw; stop the import if it does
    return false;
  }
}

/// A live query's notifications. The context is a Stream kept alive for the
/// native side until its last call (see native_stream).
void stream_notify(void* context, const std::uint8_t* data, std::size_t len) noexcept {
  auto* stream = static_cast<std::shared_ptr<Stream>*>(context);
  // Usually a runtime thread, where what the notification wakes must not
  // run a command itself; at its end, possibly a caller's (kill, close).
  const bool was = on_runtime_thread;
  on_runtime_thread = true;
  try {
    (*stream)->notify(data, len);
  } catch (...) {  // documented not to throw
  }
  on_runtime_thread = was;
  if (!data) delete stream;  // the last call
}

/// The C form of a Stream, pointing at it. A notify callback outlives the
/// call, so its context is a reference of its own to the stream, which its
/// last call releases; the others borrow the stream for the call.
SurrealStream native_stream(const std::shared_ptr<Stream>& stream) {
  SurrealStream native{};
  if (!stream) return native;
  if (stream->notify) {
    native.notify = stream_notify;
    native.context = new std::shared_ptr<Stream>(stream);
    return native;
  }
  native.chunk = stream->chunk ? stream_chunk : nullptr;
  native.progress = stream->progress ? stream_progress : nullptr;
  native.context = stream.get();
  return native;
}

/// Runs `body` and turns what it throws into an Error reply.
template <typename Body>
Reply guarded(Body&& body) noexcept {
  try {
    return body();
  } catch (const DatabaseException& e) {
    return Error{e.native_details(), e.code(), ffi::structured(e)};
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

/// What a worker shares with its thread and with the callers' threads.
///
/// Waking the worker thread is deferred: a data command queued while it
/// sleeps only marks a wake as owed, because its caller will most often wait
/// for it at once and run it itself (Task::run_here), and waking a sleeping
/// thread costs a futex call on the caller's side and tens of microseconds on
/// the worker's. The wake is paid as soon as anyone needs the worker: a
/// caller that does anything but run the command itself (a callback, a
/// coroutine, a timed wait, dropping the future: Task::start), a caller that
/// runs its own while others wait behind it, and every session command.
struct WorkerState {
  std::mutex mutex;
  std::condition_variable wake;
  // All guarded by mutex:
  std::deque<std::shared_ptr<Task>> queue;
  bool started = false;
  bool stopping = false;
  bool sleeping = false;    // the worker thread waits on `wake`
  bool wake_owed = false;   // a command was queued while it slept, unannounced
  std::uint64_t sessions_posted = 0;  // session commands queued so far
  std::uint64_t sessions_done = 0;    // ... and finished

  /// Data commands running (in the runtime, or on a caller's thread). The
  /// last to finish takes the mutex only when a thread waits for them all
  /// (`idle_waiters`): a caller running its own commands one after another
  /// is the last to finish every time, and pays nothing for it.
  std::atomic<std::size_t> in_flight = 0;
  std::atomic<std::size_t> idle_waiters = 0;
  std::mutex flight_mutex;
  std::condition_variable flight_done;

  // Changed only by session commands, which run alone: read by data commands
  // on any thread, which run only while no session command does.
  ffi::DatabaseHandle handle;
  bool closed = false;

  /// Wakes the worker thread if a wake is owed (under `mutex`).
  void pay_wake_locked() {
    if (wake_owed && sleeping) wake.notify_one();
    wake_owed = false;
  }

  /// Removes `task` from the queue (under `mutex`); false if it is not there.
  bool unqueue_locked(const Task& task) {
    for (auto it = queue.begin(); it != queue.end(); ++it) {
      if (it->get() == &task) {
        queue.erase(it);
        return true;
      }
    }
    return false;
  }

  void begin_operation() noexcept { in_flight.fetch_add(1, std::memory_order_acq_rel); }
  void end_operation() {
    // Sequentially consistent, as in wait_until_idle: either this sees the
    // waiter, or the waiter sees the count at zero before it sleeps.
    if (in_flight.fetch_sub(1, std::memory_order_seq_cst) == 1 &&
        idle_waiters.load(std::memory_order_seq_cst) != 0) {
      // The waiter checks the count under the mutex before it sleeps:
      // taking the mutex here means it is either asleep or will see zero.
      std::lock_guard lock(flight_mutex);
      flight_done.notify_all();
    }
  }
  /// Waits until every data command in flight has completed.
  void wait_until_idle() {
    idle_waiters.fetch_add(1, std::memory_order_seq_cst);
    {
      std::unique_lock lock(flight_mutex);
      flight_done.wait(lock, [&] { return in_flight.load(std::memory_order_seq_cst) == 0; });
    }
    idle_waiters.fetch_sub(1, std::memory_order_seq_cst);
  }
};

namespace {

/// A data command on its way through the runtime: freed by the callback.
struct AsyncCall {
  std::shared_ptr<Task> task;
  std::shared_ptr<WorkerState> state;
};

/// The native callback: runs once per data command, on a runtime thread.
void on_async_done(void* context, int32_t status, SurrealResponse* response,
                   char* error) noexcept {
  std::unique_ptr<AsyncCall> call(static_cast<AsyncCall*>(context));
  ffi::ResponseHandle owned(response);
  ffi::take_string(error);  // the same message as the last error's
  on_runtime_thread = true;
  Reply reply = guarded([&]() -> Reply {
    if (status == SURREAL_OK) return to_success(response);
    ffi::NativeError failure = ffi::last_error();  // this thread's, during the callback
    return Error{std::move(failure.message), status, std::move(failure.error)};
  });
  call->task->complete(std::move(reply));
  on_runtime_thread = false;
  owned.reset();
  call->state->end_operation();
}

}  // namespace

/// Runs commands: session commands on the worker thread, data commands on
/// the worker thread, the native runtime or a waiting caller's thread.
/// Exhaustive: a command without a `run` or `start` overload here does not
/// compile.
class Executor {
 public:
  explicit Executor(std::shared_ptr<WorkerState> state) : state_(std::move(state)) {}

  /// Runs a data command on the calling thread and delivers its reply.
  void run_data_here(Task& task) {
    std::visit(
        [&](const auto& command) {
          using T = std::decay_t<decltype(command)>;
          if constexpr (is_data_command<T>) {
            ffi::ResponseHandle response;
            Reply reply = guarded([&]() -> Reply {
              response.reset(ffi::check(run_now(command, task.token_.get())));
              return to_success(response.get());
            });
            task.complete(std::move(reply));
            // `response` is freed here, after the reply (see to_success).
          }
        },
        task.command_);
  }

  /// `alone`: nothing else is queued. A data command then runs right here on
  /// the worker thread: handing it to the runtime would only add a thread hop
  /// (tens of microseconds) to its latency. When others wait, it goes to the
  /// runtime so they overlap; the last of a burst runs here, beside them.
  void execute(std::shared_ptr<Task> task, bool alone) {
    std::visit(
        [&](const auto& command) {
          using T = std::decay_t<decltype(command)>;
          if constexpr (is_data_command<T>) {
            if (alone) {
              run_data_here(*task);
            } else {
              // A copy: `command` lives in the task, which the runtime may
              // complete and release before dispatch() returns; this thread
              // keeps it alive until it no longer reads it.
              dispatch(command, task);
            }
          } else {
            state_->wait_until_idle();
            Reply reply = guarded([&]() -> Reply { return run(command); });
            {
              std::lock_guard lock(state_->mutex);
              ++state_->sessions_done;  // callers may run the data commands after it
            }
            task->complete(std::move(reply));
          }
        },
        task->command_);
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
    if (!command.options.is_none()) {
      const Encoded options(command.options);
      ffi::check(surreal_db_configure(handle.get(), options.data(), options.size()));
    }
    ffi::check(surreal_db_connect(handle.get()));
    if (command.ns) ffi::check(surreal_db_use_ns(handle.get(), command.ns->c_str()));
    if (command.db) ffi::check(surreal_db_use_db(handle.get(), command.db->c_str()));
    if (command.state) command.state->watch(handle.get());
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

  Success run(const SessionCall& command) {
    const Encoded args{Value(command.args)};
    SurrealResponse* raw = nullptr;
    ffi::check(surreal_db_execute(db(), nullptr, command.method.c_str(), args.data(), args.size(),
                                  nullptr, nullptr, &raw, nullptr, nullptr));
    ffi::ResponseHandle response(raw);
    return to_success(response.get());
  }

  Success run(const NewSession&) {
    Success success;
    success.session.reset(ffi::check(surreal_db_new_session(db())));
    return success;
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

  // Every data command crosses as one method of surreal_db_execute with its
  // arguments: run on this thread (blocking), or handed to the runtime.

  /// Encodes a data command's arguments, a CBOR array, into `out` and
  /// returns its method. The items are encoded from the command itself:
  /// bindings and record data are not copied on the way.
  static const char* encode_invocation(const Query& command, std::vector<std::uint8_t>& out) {
    out.reserve(command.sql.size() + 16);  // the head, the text's, NONE: the common case
    const Value* bindings = &command.bindings;
    ffi::encode_array(command.sql,
                      std::span<const Value* const>(&bindings, bindings->is_none() ? 0 : 1), out);
    return "query";
  }
  static const char* encode_invocation(const Select& command, std::vector<std::uint8_t>& out) {
    encode_array({&command.resource.value()}, out);
    return "select";
  }
  static const char* encode_invocation(const Create& command, std::vector<std::uint8_t>& out) {
    encode_array({&command.resource.value(), &command.data}, out);
    return "create";
  }
  static const char* encode_invocation(const Update& command, std::vector<std::uint8_t>& out) {
    encode_array({&command.resource.value(), &command.data}, out);
    return "update";
  }
  static const char* encode_invocation(const Delete& command, std::vector<std::uint8_t>& out) {
    encode_array({&command.resource.value()}, out);
    return "delete";
  }
  static const char* encode_invocation(const Call& command, std::vector<std::uint8_t>& out) {
    std::vector<const Value*> items;
    items.reserve(command.args.size());
    for (const Value& arg : command.args) items.push_back(&arg);
    encode_array(items, out);
    return command.method.c_str();
  }

  /// A CBOR array of the items that are not null.
  static void encode_array(std::initializer_list<const Value*> items,
                           std::vector<std::uint8_t>& out) {
    const Value* present[4];
    std::size_t count = 0;
    for (const Value* item : items) {
      if (item) present[count++] = item;
    }
    ffi::encode_array(std::span<const Value* const>(present, count), out);
  }
  static void encode_array(const std::vector<const Value*>& items,
                           std::vector<std::uint8_t>& out) {
    ffi::encode_array(items, out);
  }

  /// Runs `command` here and returns the native response (NULL on error).
  template <typename T>
  SurrealResponse* run_now(const T& command, const SurrealCancel* token) {
    SurrealResponse* response = nullptr;
    (void)execute(command, token, &response, nullptr, nullptr);
    return response;
  }

  /// Hands `command` to the runtime; its native status.
  template <typename T>
  int start(const T& command, AsyncCall* call, const SurrealCancel* token) {
    return execute(command, token, nullptr, on_async_done, call);
  }

  template <typename T>
  int execute(const T& command, const SurrealCancel* token, SurrealResponse** response,
              SurrealCallback callback, void* context) {
    std::vector<std::uint8_t> args;
    const char* method = encode_invocation(command, args);
    SurrealDatabase* handle = db();  // before native_stream: it throws
    const std::uint8_t* txn = nullptr;
    SurrealStream stream{};
    bool streamed = false;
    if constexpr (std::is_same_v<T, Call>) {
      if (command.txn) txn = command.txn->bytes().data();
      // The native side copies the struct; the Stream it points to lives in
      // the command, which the task keeps until its completion.
      stream = native_stream(command.stream);
      streamed = command.stream != nullptr;
    }
    return surreal_db_execute(handle, txn, method, args.data(), args.size(),
                              streamed ? &stream : nullptr, token, response, callback, context);
  }

  template <typename T>
  void dispatch(const T& command, std::shared_ptr<Task> task) {
    const SurrealCancel* token = task->token_.get();
    auto call = std::make_unique<AsyncCall>(AsyncCall{std::move(task), state_});
    state_->begin_operation();
    Reply refused = guarded([&]() -> Reply {
      // Throws the native error if not scheduled.
      ffi::check(start(command, call.get(), token));
      call.release();  // scheduled: the callback owns it now
      return Success{};
    });
    if (call) {  // not scheduled, so the callback will not run: reply here
      state_->end_operation();
      call->task->complete(std::move(refused));
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

Task::Task(Command command)
    : command_(std::move(command)),
      token_(std::visit(
          [](const auto& c) {
            return is_data_command<std::decay_t<decltype(c)>> ? surreal_cancel_new() : nullptr;
          },
          command_)) {}

void Task::complete(Reply reply) noexcept {
  try {
    deliver(std::move(reply));
  } catch (...) {  // an exception escaping it must not kill the thread that replies
  }
}

void Task::cancel() noexcept {
  if (advance(created, cancelled)) return;  // post() completes it
  if (advance(queued, cancelled)) {
    // Out of the queue at once, so that nothing waits for it.
    bool removed = false;
    if (auto state = worker_.lock()) {
      std::lock_guard lock(state->mutex);
      removed = state->unqueue_locked(*this);
    }
    if (removed) complete(cancelled_error());  // else the worker's shutdown does
    return;
  }
  // Running (or finished): stop the native operation, if it is one.
  if (token_) surreal_cancel_trigger(token_.get());
}

bool Task::run_here() noexcept {
  auto state = worker_.lock();
  if (!state) return false;
  {
    std::lock_guard lock(state->mutex);
    // A data command may run here once every session command sent before it
    // has finished; data commands before it need not have (the worker does
    // not order those either: it runs them concurrently).
    const bool may_run = token_ && !on_runtime_thread && !state->stopping &&
                         sessions_before_ == state->sessions_done;
    if (!may_run) {
      state->pay_wake_locked();  // the worker must run it, then
      return false;
    }
    // Taken by the worker already, or cancelled (cancel() then unqueues it).
    if (!advance(queued, running)) return false;
    state->unqueue_locked(*this);
    if (!state->queue.empty()) state->pay_wake_locked();  // the others go on meanwhile
    state->begin_operation();
  }
  Executor(state).run_data_here(*this);
  state->end_operation();
  return true;
}

void Task::start() noexcept {
  if (auto state = worker_.lock()) {
    std::lock_guard lock(state->mutex);
    state->pay_wake_locked();
  }
}

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
      ready.set_exception(ffi::make_exception(error->code, error->message, error->error));
      return;
    }
    ready.set_value();
    for (;;) {
      std::shared_ptr<Task> task;
      bool alone = false;
      bool runs = false;
      {
        std::unique_lock lock(state->mutex);
        state->sleeping = true;
        state->wake.wait(lock, [&] { return state->stopping || !state->queue.empty(); });
        state->sleeping = false;
        state->wake_owed = false;
        if (state->stopping) break;
        task = std::move(state->queue.front());
        state->queue.pop_front();
        // A task cancelled meanwhile is completed here (cancel() found it gone).
        runs = task->advance(Task::queued, Task::running);
        alone = state->queue.empty();
      }
      if (runs) {
        executor.execute(std::move(task), alone);
      } else {
        task->complete(cancelled_error());
      }
    }
    std::deque<std::shared_ptr<Task>> abandoned;
    {
      std::lock_guard lock(state->mutex);
      abandoned.swap(state->queue);
    }
    for (auto& task : abandoned) task->complete(disposed_error());
    state->wait_until_idle();
    if (state->handle) {
      state->handle.reset();  // closes the datastore
      release_freed_memory();
    }
  });
  handshake.get();
}

void Worker::adopt(ffi::DatabaseHandle handle) {
  std::lock_guard lock(state_->mutex);
  if (state_->started) throw std::logic_error("surreal worker: adopt() after start()");
  state_->handle = std::move(handle);
}

void Worker::post(std::shared_ptr<Task> task, Wake wake) {
  {
    std::lock_guard lock(state_->mutex);
    if (!state_->started) throw std::logic_error("surreal worker: send before start()");
    if (!state_->stopping) {
      // A bound task may be shared already: it keeps what bind() set.
      if (task->worker_.expired()) task->worker_ = state_;
      task->sessions_before_ = state_->sessions_posted;
      if (task->advance(Task::created, Task::queued)) {
        const bool session = !task->token_;
        state_->queue.push_back(std::move(task));
        if (session) ++state_->sessions_posted;  // nobody runs it but the worker thread
        if (state_->sleeping) {
          state_->wake_owed = true;  // paid by whoever needs the worker (see WorkerState)
          if (session || wake == Wake::now) state_->pay_wake_locked();
        }
        return;
      }
    }
  }
  // Disposed, or cancelled before it was posted.
  task->complete(task->phase_.load() == Task::cancelled ? Reply(cancelled_error())
                                                          : Reply(disposed_error()));
}

std::future<Success> Worker::send(Command command) {
  auto promise = std::make_shared<std::promise<Success>>();
  auto future = promise->get_future();
  post(std::move(command), [promise](Reply reply) {
    if (auto* success = std::get_if<Success>(&reply)) {
      promise->set_value(std::move(*success));
    } else {
      auto& error = std::get<Error>(reply);
      promise->set_exception(ffi::make_exception(error.code, std::move(error.message), error.error));
    }
  });
  return future;
}

void Worker::dispose() noexcept {
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = true;
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
