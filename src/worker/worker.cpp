#include "worker/worker.hpp"

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <condition_variable>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "ffi/native.hpp"
#include "surreal/exceptions.hpp"

namespace surreal::worker {
namespace {

struct Job {
  Command command;
  Completion completion;
};

/// Hands memory freed by a closed datastore back to the system. RocksDB's
/// threads allocate from many glibc arenas, which keep what they free; without
/// this, each open/close cycle of a RocksDB datastore left ~120 kB of resident
/// memory behind (tests/analysis/memory_verification.md).
void release_freed_memory() noexcept {
#ifdef __GLIBC__
  malloc_trim(0);
#endif
}

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

}  // namespace

struct Worker::State {
  std::mutex mutex;
  std::condition_variable wake;
  std::deque<Job> queue;  // guarded by mutex
  bool started = false;   // guarded by mutex
  bool stopping = false;  // guarded by mutex

  // Owned by the worker thread alone.
  ffi::DatabaseHandle handle;
  bool closed = false;
};

namespace {

/// Runs one command against the worker's handle. Exhaustive: a command
/// without an operator() here does not compile.
class Executor {
 public:
  Executor(ffi::DatabaseHandle& handle, bool& closed) : handle_(handle), closed_(closed) {}

  Success operator()(const Initialize&) {
    ffi::check(surreal_init());
    return {};
  }

  Success operator()(const Connect& command) {
    if (closed_) throw_closed();
    if (handle_) {
      throw ConnectionException(error_code::connection, "the database is already connected");
    }
    ffi::DatabaseHandle handle(ffi::check(surreal_db_new(command.endpoint.c_str())));
    ffi::check(surreal_db_connect(handle.get()));
    if (command.ns) ffi::check(surreal_db_use_ns(handle.get(), command.ns->c_str()));
    if (command.db) ffi::check(surreal_db_use_db(handle.get(), command.db->c_str()));
    handle_ = std::move(handle);
    return {};
  }

  Success operator()(const Query& command) {
    const bool no_bindings = command.bindings.is_object() && command.bindings.empty();
    const std::string bindings = no_bindings ? std::string() : command.bindings.dump();
    return response(surreal_db_query(db(), command.sql.c_str(),
                                     no_bindings ? nullptr : bindings.c_str()));
  }

  Success operator()(const Select& command) {
    return response(surreal_db_select(db(), command.resource.c_str()));
  }

  Success operator()(const Create& command) {
    return response(surreal_db_create(db(), command.table.c_str(), command.data.dump().c_str()));
  }

  Success operator()(const Update& command) {
    return response(
        surreal_db_update(db(), command.resource.c_str(), command.data.dump().c_str()));
  }

  Success operator()(const Delete& command) {
    return response(surreal_db_delete(db(), command.resource.c_str()));
  }

  Success operator()(const UseNamespace& command) {
    ffi::check(surreal_db_use_ns(db(), command.ns.c_str()));
    return {};
  }

  Success operator()(const UseDatabase& command) {
    ffi::check(surreal_db_use_db(db(), command.db.c_str()));
    return {};
  }

  Success operator()(const Close&) {
    closed_ = true;
    if (handle_) {
      const int status = surreal_db_close(handle_.release());
      release_freed_memory();
      ffi::check(status);
    }
    return {};
  }

 private:
  [[noreturn]] void throw_closed() const {
    throw ConnectionException(error_code::connection, "the database is closed");
  }

  SurrealDatabase* db() const {
    if (closed_) throw_closed();
    if (!handle_) {
      throw ConnectionException(error_code::connection, "the database is not connected");
    }
    return handle_.get();
  }

  static Success response(SurrealResponse* raw) {
    ffi::ResponseHandle response(ffi::check(raw));
    Success success;
    success.data =
        nlohmann::json::parse(ffi::take_string(ffi::check(surreal_response_get_results(raw))));
    const int has_errors = surreal_response_has_errors(raw);
    ffi::check(has_errors < 0 ? has_errors : SURREAL_OK);
    if (has_errors == 1) {
      const auto errors =
          nlohmann::json::parse(ffi::take_string(ffi::check(surreal_response_get_errors(raw))));
      for (const auto& error : errors) {
        success.statement_errors.push_back(
            error.is_string() ? std::optional(error.get<std::string>()) : std::nullopt);
      }
    } else {
      success.statement_errors.resize(success.data.size());
    }
    return success;
  }

  ffi::DatabaseHandle& handle_;
  bool& closed_;
};

Reply execute(Executor& executor, const Command& command) noexcept {
  try {
    return std::visit(executor, command);
  } catch (const DatabaseException& e) {
    return Error{e.native_details(), e.code()};
  } catch (const nlohmann::json::exception& e) {
    return Error{e.what(), error_code::invalid_argument};
  } catch (const std::exception& e) {
    return Error{e.what(), error_code::internal};
  } catch (...) {
    return Error{"unknown error", error_code::internal};
  }
}

}  // namespace

Worker::Worker() : state_(std::make_shared<State>()) {}

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
    Executor executor(state->handle, state->closed);
    // The handshake: the worker is ready once the native runtime is.
    const Reply initialized = execute(executor, Initialize{});
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
      {
        std::unique_lock lock(state->mutex);
        state->wake.wait(lock, [&] { return state->stopping || !state->queue.empty(); });
        if (state->stopping) break;
        job = std::move(state->queue.front());
        state->queue.pop_front();
      }
      complete(job.completion, execute(executor, job.command));
    }
    std::deque<Job> abandoned;
    {
      std::lock_guard lock(state->mutex);
      abandoned.swap(state->queue);
    }
    for (auto& job : abandoned) complete(job.completion, disposed_error());
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
