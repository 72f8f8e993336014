#include "surreal/transaction.hpp"

#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "calls.hpp"

namespace surreal {

/// What a Transaction shares with its calls in flight: where to send them,
/// the queue that keeps them in order (a call is posted to the worker only
/// once the one before it has been answered, because the worker runs data
/// commands concurrently), and whether one of them failed.
///
/// A transaction in which a call failed (an error, a failed statement, a
/// call its caller cancelled or let time out) does not commit: its commit
/// cancels it instead and fails with that first failure, as PostgreSQL
/// aborts a transaction at its first error. Otherwise a commit could make
/// durable a transfer whose debit failed while its credit did not.
struct Transaction::State {
  State(std::weak_ptr<detail::DatabaseShared> database, Uuid id)
      : database(std::move(database)), id(id) {}

  /// Posts `task` now if no call of this transaction is in flight, else
  /// after those before it. The worker is woken for it at once: a caller
  /// may wait for a later call of the transaction rather than this one, so
  /// the wake cannot be left to this call's own get() (Wake::deferred).
  void submit(std::shared_ptr<worker::Task> task) {
    {
      std::lock_guard lock(mutex);
      if (busy) {
        waiting.push_back(std::move(task));
        return;
      }
      busy = true;
    }
    post(std::move(task));
  }

  /// A call has been answered: notes its failure, and posts the next one.
  void answered(std::optional<detail::Failure> failure) noexcept {
    std::shared_ptr<worker::Task> next;
    {
      std::lock_guard lock(mutex);
      if (failure && !failed) failed = std::move(failure);
      if (waiting.empty()) {
        busy = false;
        return;
      }
      next = std::move(waiting.front());
      waiting.pop_front();
    }
    post(std::move(next));
  }

  /// Closes the transaction to further calls; false if it was closed
  /// already. commit() and cancel() close it when they are called: the
  /// calls made after them fail at once. `commit`: the task that commits.
  bool close(const worker::Task* commit) {
    std::lock_guard lock(mutex);
    if (!open) return false;
    open = false;
    commit_task = commit;
    return true;
  }

  bool is_open() {
    std::lock_guard lock(mutex);
    return open;
  }

  std::weak_ptr<detail::DatabaseShared> database;
  const Uuid id;

 private:
  /// The call's turn has come: to the worker, unless it is the commit of a
  /// transaction in which a call failed, which becomes a cancel.
  void post(std::shared_ptr<worker::Task> task) noexcept {
    std::optional<detail::Failure> refused;
    {
      std::lock_guard lock(mutex);
      if (task.get() == commit_task) refused = failed;
    }
    auto shared = database.lock();
    if (!shared) {
      task->complete(
          worker::Error{"the transaction's Database was closed", error_code::connection});
      return;
    }
    try {
      if (refused) {
        shared->worker.post(worker::Call{"cancel", Array{Value(id)}}, [](worker::Reply) {});
        const int code = refused->code == error_code::transaction_conflict
                             ? error_code::transaction_conflict
                             : error_code::query;
        // The commit fails as the call did (an AlreadyExistsException, a
        // TransactionConflictException...), saying what became of it.
        Value error;
        if (refused->exception) {
          try {
            std::rethrow_exception(refused->exception);
          } catch (const DatabaseException& e) {
            error = ffi::structured(e);
          } catch (...) {
          }
        }
        task->complete(worker::Error{
            "the transaction was cancelled, not committed: a call in it failed: " +
                refused->message,
            code, std::move(error)});
        return;
      }
      detail::post_call(*shared, task, worker::Worker::Wake::now);
    } catch (...) {  // not queued (never: the worker runs while the Database is)
      task->complete(worker::Error{"the call could not be queued", error_code::internal});
    }
  }

  std::mutex mutex;
  // Guarded by mutex:
  std::deque<std::shared_ptr<worker::Task>> waiting;
  bool busy = false;  // a call is with the worker
  bool open = true;   // neither commit() nor cancel() called
  const worker::Task* commit_task = nullptr;
  std::optional<detail::Failure> failed;  // the first call that failed
};

Transaction::Transaction(std::shared_ptr<State> state) : state_(std::move(state)) {}
Transaction::Transaction(Transaction&&) noexcept = default;

Transaction& Transaction::operator=(Transaction&& other) noexcept {
  if (this != &other) {
    Transaction old(std::move(*this));  // cancelled as it goes
    state_ = std::move(other.state_);
  }
  return *this;
}

Transaction::~Transaction() {
  if (!state_ || !state_->is_open()) return;
  try {
    (void)finish("cancel", CallOptions{});  // nobody waits for it
  } catch (...) {  // never throws
  }
}

const Uuid& Transaction::id() const {
  if (!state_) throw std::logic_error("surreal::Transaction: used after being moved from");
  return state_->id;
}

bool Transaction::is_open() const noexcept { return state_ && state_->is_open(); }

template <typename T, typename Convert>
Future<T> Transaction::call(const char* method, Array args, const CallOptions& options,
                            Convert convert) {
  if (!state_) throw std::logic_error("surreal::Transaction: used after being moved from");
  if (!state_->is_open()) {
    return detail::failed_future<T>(std::make_exception_ptr(DatabaseException(
        error_code::invalid_argument,
        std::string("surreal::Transaction::") + method +
            ": the transaction was committed or cancelled already; begin another",
        "transaction closed")));
  }
  auto shared = state_->database.lock();
  if (!shared) {
    return detail::failed_future<T>(std::make_exception_ptr(
        ConnectionException(error_code::connection, "the transaction's Database was closed")));
  }
  worker::Call command{method, std::move(args), nullptr, state_->id};
  auto call = detail::prepare_call<T>(
      *shared, std::move(command), options, std::move(convert), detail::Nothing{},
      [state = state_](std::optional<detail::Failure> failure) noexcept {
        state->answered(std::move(failure));
      });
  state_->submit(std::move(call.task));
  return std::move(call.future);
}

using detail::ignore;

Future<Value> Transaction::record_call(detail::VerbCall verb, const CallOptions& options) {
  return call<Value>(verb.method, std::move(verb.args), options,
                     [one_record = verb.one_record](worker::Success&& success) {
                       return detail::record_result(success, one_record);
                     });
}

Future<Response> Transaction::query(std::string sql, Object bindings, CallOptions options) {
  Array args{Value(std::move(sql))};
  if (!bindings.empty()) args.emplace_back(std::move(bindings));
  return call<Response>("query", std::move(args), options, [](worker::Success&& success) {
    return Response(std::move(success.results), std::move(success.statement_errors));
  });
}

Future<Value> Transaction::select(Resource resource, CallOptions options) {
  const bool one_record = resource.is_record();
  return record_call({"select", Array{resource.value()}, one_record}, options);
}

Future<Value> Transaction::create(Resource resource, Value data, CallOptions options) {
  // Creating makes one record, even in a table: unwrap it.
  detail::VerbCall verb = detail::resource_call("create", resource, std::move(data));
  verb.one_record = true;
  return record_call(std::move(verb), options);
}

Future<Value> Transaction::insert(std::string table, Value data, CallOptions options) {
  return record_call(detail::insert_call("insert", std::move(table), std::move(data)), options);
}

Future<Value> Transaction::insert_relation(std::string table, Value data, CallOptions options) {
  return record_call(detail::insert_call("insert_relation", std::move(table), std::move(data)),
                     options);
}

Future<Value> Transaction::upsert(Resource resource, Value data, CallOptions options) {
  return record_call(detail::resource_call("upsert", resource, std::move(data)), options);
}

Future<Value> Transaction::update(Resource resource, Value data, CallOptions options) {
  return record_call(detail::resource_call("update", resource, std::move(data)), options);
}

Future<Value> Transaction::merge(Resource resource, Value data, CallOptions options) {
  return record_call(detail::resource_call("merge", resource, std::move(data)), options);
}

Future<Value> Transaction::patch(Resource resource, std::vector<PatchOp> operations,
                                 CallOptions options) {
  return record_call(detail::patch_call(resource, std::move(operations)), options);
}

Future<Value> Transaction::remove(Resource resource, CallOptions options) {
  const bool one_record = resource.is_record();
  return record_call({"delete", Array{resource.value()}, one_record}, options);
}

Future<Value> Transaction::relate(RecordId from, std::string edge, RecordId to, Value data,
                                  CallOptions options) {
  return record_call(
      detail::relate_call(std::move(from), std::move(edge), std::move(to), std::move(data)),
      options);
}

Future<void> Transaction::finish(const char* method, const CallOptions& options) {
  const auto closed = [method] {
    return detail::failed_future<void>(std::make_exception_ptr(DatabaseException(
        error_code::invalid_argument,
        std::string("surreal::Transaction::") + method +
            ": the transaction was committed or cancelled already",
        "transaction closed")));
  };
  if (!state_) throw std::logic_error("surreal::Transaction: used after being moved from");
  if (!state_->is_open()) return closed();
  auto shared = state_->database.lock();
  if (!shared) {  // its session closed, and cancelled it
    state_->close(nullptr);
    return detail::failed_future<void>(std::make_exception_ptr(
        ConnectionException(error_code::connection, "the transaction's Database was closed")));
  }
  worker::Call command{method, Array{Value(state_->id)}};  // on the session, by id
  auto call = detail::prepare_call<void>(
      *shared, std::move(command), options, ignore, detail::Nothing{},
      [state = state_](std::optional<detail::Failure> failure) noexcept {
        state->answered(std::move(failure));
      });
  const bool commit = std::string_view(method) == "commit";
  if (!state_->close(commit ? call.task.get() : nullptr)) return closed();
  state_->submit(std::move(call.task));
  return std::move(call.future);
}

Future<void> Transaction::commit(CallOptions options) { return finish("commit", options); }

Future<void> Transaction::cancel(CallOptions options) { return finish("cancel", options); }

Future<Transaction> Database::begin(CallOptions options) {
  std::weak_ptr<detail::DatabaseShared> database = shared_;
  auto unwanted = [database](worker::Success&& success) {
    // Begun for a caller that stopped waiting: cancel it, so that it holds
    // nothing until the session closes.
    Value id = detail::single_result(success);
    if (auto shared = database.lock(); shared && id.is_uuid()) {
      shared->worker.post(worker::Call{"cancel", Array{std::move(id)}}, [](worker::Reply) {});
    }
  };
  auto call = detail::prepare_call<Transaction>(
      shared(), worker::Call{"begin", {}}, options,
      [database](worker::Success&& success) {
        const Uuid id = detail::single_result(success).get<Uuid>();
        return Transaction(std::make_shared<Transaction::State>(database, id));
      },
      std::move(unwanted));
  detail::post_call(shared(), std::move(call.task), worker::Worker::Wake::deferred);
  return std::move(call.future);
}

}  // namespace surreal
