#include "surreal/live.hpp"

#include <deque>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "calls.hpp"
#include "ffi/cbor.hpp"

namespace surreal {
namespace {

using Waiter = detail::State<std::optional<Notification>>;

/// A notification as the native pump sends it: [action, record, data, live
/// query id]. Action 4 (an error) becomes the exception it carries.
Result<std::optional<Notification>> decode_notification(const std::uint8_t* data,
                                                        std::size_t len) {
  try {
    Value item = ffi::decode_value(data, len);
    Array& fields = item.as_array();
    if (fields.size() != 4) throw std::invalid_argument("a notification has four fields");
    const std::int64_t code = fields[0].get<std::int64_t>();
    if (code == 4) {
      const std::string message = fields[2].to_string();
      return Result<std::optional<Notification>>(std::make_exception_ptr(
          QueryException(error_code::query, "the live query failed: " + message, message)));
    }
    if (code < 0 || code > 3) throw std::invalid_argument("unknown notification action");
    constexpr Action actions[] = {Action::create, Action::update, Action::remove, Action::killed};
    return std::optional<Notification>(Notification{fields[3].get<Uuid>(), actions[code],
                                                    std::move(fields[1]), std::move(fields[2])});
  } catch (...) {
    return Result<std::optional<Notification>>(std::current_exception());
  }
}

}  // namespace

/// What a LiveQuery shares with the native pump that feeds it: the buffer,
/// the next() calls waiting, or the listener.
struct LiveQuery::State {
  State(std::weak_ptr<detail::DatabaseShared> database, std::size_t capacity)
      : database(std::move(database)), capacity(capacity) {}

  /// From the pump, one call at a time: a notification, or (NULL) the end.
  void receive(const std::uint8_t* data, std::size_t len) {
    if (!data) {
      end(Result<std::optional<Notification>>(std::nullopt));
      return;
    }
    auto item = decode_notification(data, len);
    if (!item.has_value()) {  // an error ends it; the engine's end follows
      end(std::move(item));
      return;
    }
    if (item.value() && item.value()->action == Action::killed) {
      // The engine has dropped it: a kill() from now on has nothing to ask
      // of the engine, even before the end that follows arrives.
      std::lock_guard lock(mutex);
      killed_in_engine = true;
    }
    deliver(std::move(item));
  }

  /// Gives a notification to the first waiting next(), or the listener, or
  /// the buffer.
  void deliver(Result<std::optional<Notification>> item) {
    std::unique_lock lock(mutex);
    while (!ended) {
      if (listener) {
        lock.unlock();
        call_listener(std::move(item));
        return;
      }
      if (waiters.empty()) {
        if (buffer.size() < capacity) {
          buffer.push_back(std::move(item));
          return;
        }
        overflow(lock);
        return;
      }
      std::shared_ptr<Waiter> waiter = waiters.front().lock();
      waiters.pop_front();
      if (!waiter) continue;  // its future was dropped
      lock.unlock();
      // Completed outside the lock: its continuation may call next().
      if (give(*waiter, item)) return;
      lock.lock();  // it was cancelled or expired meanwhile: the next one
    }
  }

  /// The end: every waiting next() gets `last` (std::nullopt or the error),
  /// and so does each one after the buffer is drained.
  void end(Result<std::optional<Notification>> last) {
    std::vector<std::shared_ptr<Waiter>> woken;
    bool tell_listener = false;
    {
      std::lock_guard lock(mutex);
      if (ended) return;
      ended = true;
      final = last;
      for (auto& waiter : waiters) {
        if (auto alive = waiter.lock()) woken.push_back(std::move(alive));
      }
      waiters.clear();
      tell_listener = static_cast<bool>(listener);
    }
    for (auto& waiter : woken) give(*waiter, last);
    if (tell_listener) call_listener(std::move(last));
  }

  /// The consumer fell behind (under `lock`, released here): the live query
  /// ends, after what is buffered, with LiveQueryOverflowException, and is
  /// killed in the engine.
  void overflow(std::unique_lock<std::mutex>& lock) {
    ended = true;
    final = Result<std::optional<Notification>>(std::make_exception_ptr(LiveQueryOverflowException(
        error_code::live_query_overflow,
        "the live query's consumer fell behind: " + std::to_string(capacity) +
            " notifications were waiting (ConnectOptions::live_query_buffer), so it was "
            "killed; select again and start a new live query",
        "buffer full")));
    lock.unlock();
    kill_in_engine();
  }

  /// Asks the engine to kill it, without waiting. Before the engine has
  /// answered the start, the start's reply does it (see Database::start_live).
  void kill_in_engine() noexcept {
    try {
      std::optional<Uuid> known;
      {
        std::lock_guard lock(mutex);
        known = started;
      }
      auto shared = database.lock();
      if (known && shared) {
        shared->worker.post(worker::Call{"kill", Array{Value(*known)}}, [](worker::Reply) {});
      }
    } catch (...) {  // the session is closing: that ends it too
    }
  }

  /// The engine answered the start with the live query's id; false if the
  /// live query was meant to end meanwhile (then it is killed).
  bool start(const Uuid& live) {
    bool killed;
    {
      std::lock_guard lock(mutex);
      id = live;
      started = live;
      killed = ended && !final.has_value();  // overflowed before the answer
    }
    if (killed) kill_in_engine();
    return !killed;
  }

  void call_listener(Result<std::optional<Notification>> item) noexcept {
    std::lock_guard lock(dispatch);
    try {
      listener(std::move(item));
    } catch (...) {  // documented: dropped
    }
  }

  static bool give(Waiter& waiter, const Result<std::optional<Notification>>& item) {
    if (!item.has_value()) return waiter.fail(item.error());
    return waiter.set_value(item.value());
  }

  std::weak_ptr<detail::DatabaseShared> database;
  const std::size_t capacity;
  /// Set once the engine has answered the start, before the LiveQuery is
  /// handed out (so id() reads it unlocked).
  Uuid id;
  std::mutex mutex;
  std::optional<Uuid> started;  // the same, guarded by mutex
  // Guarded by mutex:
  std::deque<Result<std::optional<Notification>>> buffer;
  std::deque<std::weak_ptr<Waiter>> waiters;
  Callback listener;
  bool ended = false;
  bool killed_in_engine = false;  // its Action::killed notification came
  Result<std::optional<Notification>> final{std::nullopt};  // once ended
  /// Serialises the listener's calls (the pump's, and listen()'s own).
  std::mutex dispatch;
};

LiveQuery::LiveQuery(std::shared_ptr<State> state) : state_(std::move(state)) {}
LiveQuery::LiveQuery(LiveQuery&&) noexcept = default;

LiveQuery& LiveQuery::operator=(LiveQuery&& other) noexcept {
  if (this != &other) {
    LiveQuery old(std::move(*this));  // killed as it goes
    state_ = std::move(other.state_);
  }
  return *this;
}

LiveQuery::~LiveQuery() {
  if (!state_) return;
  try {
    (void)kill();  // nobody waits for it
  } catch (...) {  // never throws
  }
}

const Uuid& LiveQuery::id() const {
  if (!state_) throw std::logic_error("surreal::LiveQuery: used after being moved from");
  return state_->id;
}

Future<std::optional<Notification>> LiveQuery::next() {
  if (!state_) throw std::logic_error("surreal::LiveQuery: used after being moved from");
  State& state = *state_;
  std::lock_guard lock(state.mutex);
  if (state.listener) {
    throw std::logic_error("surreal::LiveQuery::next: listen() sends the notifications to its callback");
  }
  Promise<std::optional<Notification>> ready;
  if (!state.buffer.empty()) {
    State::give(ready.state(), state.buffer.front());
    state.buffer.pop_front();
    return ready.get_future();
  }
  if (state.ended) {
    State::give(ready.state(), state.final);
    return ready.get_future();
  }
  auto waiter = std::make_shared<Waiter>();
  state.waiters.push_back(waiter);
  return detail::future_of(std::move(waiter));
}

void LiveQuery::listen(Callback callback) {
  if (!state_) throw std::logic_error("surreal::LiveQuery: used after being moved from");
  State& state = *state_;
  // The dispatch lock first: the pump delivers nothing to the listener
  // until those buffered have gone to it.
  std::lock_guard dispatching(state.dispatch);
  std::deque<Result<std::optional<Notification>>> buffered;
  std::optional<Result<std::optional<Notification>>> last;
  {
    std::lock_guard lock(state.mutex);
    if (state.listener || !state.waiters.empty()) {
      throw std::logic_error("surreal::LiveQuery::listen: call it once, before any next()");
    }
    if (!callback) throw std::invalid_argument("surreal::LiveQuery::listen: empty callback");
    state.listener = callback;
    buffered.swap(state.buffer);
    if (state.ended) last = state.final;
  }
  for (auto& item : buffered) {
    try {
      callback(std::move(item));
    } catch (...) {
    }
  }
  if (last) {
    try {
      callback(std::move(*last));
    } catch (...) {
    }
  }
}

Future<void> LiveQuery::kill(CallOptions options) {
  if (!state_) throw std::logic_error("surreal::LiveQuery: used after being moved from");
  auto state = state_;
  bool in_engine = false;
  {
    std::lock_guard lock(state->mutex);
    if (state->ended) return detail::done_future();  // nothing to kill
    state->buffer.clear();  // nothing more is delivered from now on
    in_engine = !state->killed_in_engine;
  }
  state->end(Result<std::optional<Notification>>(std::nullopt));
  if (!in_engine) return detail::done_future();  // the engine dropped it already
  auto shared = state->database.lock();
  if (!shared) return detail::done_future();  // its session closed, which ended it
  worker::Call command{"kill", Array{Value(state->id)}};
  auto call = detail::prepare_call<void>(*shared, std::move(command), options, detail::ignore);
  detail::post_call(*shared, std::move(call.task), worker::Worker::Wake::deferred);
  return std::move(call.future);
}

Future<LiveQuery> Database::start_live(std::string method, Array args,
                                      const CallOptions& options) {
  std::weak_ptr<detail::DatabaseShared> database = shared_;
  auto state = std::make_shared<LiveQuery::State>(database, shared().live_query_buffer);
  auto stream = std::make_shared<worker::Stream>();
  // The pump may deliver before the reply has set the id: it needs none.
  stream->notify = [state](const std::uint8_t* data, std::size_t len) {
    state->receive(data, len);
  };
  worker::Call command{std::move(method), std::move(args), std::move(stream)};
  auto call = detail::prepare_call<LiveQuery>(
      shared(), std::move(command), options,
      [state](worker::Success&& success) {
        state->start(detail::single_result(success).get<Uuid>());
        return LiveQuery(state);  // overflowed already: next() says so
      },
      [state](worker::Success&& success) {
        // Started for a caller that stopped waiting: kill it at once.
        if (state->start(detail::single_result(success).get<Uuid>())) LiveQuery unwanted(state);
      });
  detail::post_call(shared(), std::move(call.task), worker::Worker::Wake::deferred);
  return std::move(call.future);
}

Future<LiveQuery> Database::live(Resource table_or_record, bool diff, CallOptions options) {
  return start_live("live", Array{table_or_record.value(), Value(diff)}, options);
}

Future<LiveQuery> Database::live_query(std::string sql, Object bindings, CallOptions options) {
  Array args{Value(std::move(sql))};
  if (!bindings.empty()) args.emplace_back(std::move(bindings));
  return start_live("live_query", std::move(args), options);
}

}  // namespace surreal
