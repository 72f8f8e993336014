/// @file
/// Future, the future every Database call returns, with callbacks, C++20
/// coroutine support, cancellation and deadlines; Result, and Promise.
#pragma once

#include <atomic>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <condition_variable>
#include <coroutine>
#include <exception>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <type_traits>
#include <utility>
#include <variant>

namespace surreal {

/// The outcome of a call as a value: T, or the exception the call failed
/// with. What `Future::then` hands its callback. A regular value type: as
/// thread-safe as T and std::exception_ptr.
template <typename T>
class Result {
 public:
  /// A success holding `value`.
  Result(T value) : outcome_(std::in_place_index<0>, std::move(value)) {}
  /// A failure holding `error`, which must not be null.
  Result(std::exception_ptr error) : outcome_(std::in_place_index<1>, std::move(error)) {}

  /// True when it holds a value, false when it holds an exception.
  bool has_value() const noexcept { return outcome_.index() == 0; }
  /// has_value().
  explicit operator bool() const noexcept { return has_value(); }
  /// The value; rethrows the call's exception when there is none.
  /// @throws DatabaseException (or whichever exception the call failed
  /// with, such as what a then() callback threw) when it holds no value.
  ///@{
  T& value() & { return check(), std::get<0>(outcome_); }
  const T& value() const& { return check(), std::get<0>(outcome_); }
  T&& value() && { return check(), std::move(std::get<0>(outcome_)); }
  ///@}
  /// value(): the value, or the call's exception rethrown.
  ///@{
  T& operator*() & { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  ///@}
  /// The exception, or null when there is a value.
  std::exception_ptr error() const noexcept {
    return has_value() ? nullptr : std::get<1>(outcome_);
  }

 private:
  void check() const {
    if (!has_value()) std::rethrow_exception(std::get<1>(outcome_));
  }
  std::variant<T, std::exception_ptr> outcome_;
};

/// The outcome of a call that returns nothing: success, or its exception.
template <>
class Result<void> {
 public:
  /// A success.
  Result() = default;
  /// A failure holding `error` (a null `error` is a success).
  Result(std::exception_ptr error) : error_(std::move(error)) {}

  /// True when the call succeeded.
  bool has_value() const noexcept { return !error_; }
  /// has_value().
  explicit operator bool() const noexcept { return has_value(); }
  /// Rethrows the call's exception, if it failed.
  /// @throws DatabaseException (or whichever exception the call failed
  /// with) if it failed.
  void value() const {
    if (error_) std::rethrow_exception(error_);
  }
  /// The exception, or null after a success.
  std::exception_ptr error() const noexcept { return error_; }

 private:
  std::exception_ptr error_;
};

template <typename T>
class Future;
template <typename T>
class Promise;

/// Resumes a suspended coroutine: what an executor given to Future::via()
/// receives, to call on the thread where the coroutine should go on.
/// Copyable, so it fits a std::function. Call it exactly once.
struct Resumption {
  std::coroutine_handle<> handle;  ///< the suspended coroutine
  /// Resumes the coroutine on the calling thread: it runs until its next
  /// suspension or its end before this returns.
  void operator()() const { handle.resume(); }
};

namespace detail {
template <typename T>
class State;
/// The future of a state the library made itself (Database's calls).
template <typename T>
Future<T> future_of(std::shared_ptr<State<T>> state) noexcept;

/// A move-only `void()` callable (std::function needs copyable ones, and
/// std::move_only_function is C++23).
class Callback {
 public:
  Callback() = default;
  template <typename F>
    requires(!std::same_as<std::decay_t<F>, Callback> && std::invocable<std::decay_t<F>&>)
  Callback(F&& f) : body_(std::make_unique<Body<std::decay_t<F>>>(std::forward<F>(f))) {}

  explicit operator bool() const noexcept { return body_ != nullptr; }
  void operator()() { body_->call(); }

 private:
  struct Base {
    virtual ~Base() = default;
    virtual void call() = 0;
  };
  template <typename F>
  struct Body final : Base {
    explicit Body(F&& fn) : f(std::move(fn)) {}
    explicit Body(const F& fn) : f(fn) {}
    void call() override { f(); }
    F f;
  };
  std::unique_ptr<Base> body_;
};

/// The work behind a future, as the future sees it (a worker's queued
/// command, or the future a `then` continues from).
class Work {
 public:
  virtual ~Work() = default;
  /// Asks the work to stop: dropped if it has not started, stopped in the
  /// engine if it has. Its future has already failed. Any thread; never blocks.
  virtual void cancel() noexcept = 0;
  /// Called by a thread about to block on the future: runs the work right
  /// here if it has not started and may, returning true once the future is
  /// ready; false if it may not (started, or not allowed on this thread),
  /// having made sure that it will run elsewhere (as start()).
  virtual bool run_here() noexcept { return false; }
  /// Called when nobody will run the work here (a callback or a coroutine
  /// waits for it, a timed wait, the future dropped): makes sure it starts.
  virtual void start() noexcept {}
};

/// What a Future and its producer share: a ready flag, the value or the
/// exception, and one continuation. Exactly one completion wins (the
/// reply, cancel(), a deadline, a stop request); the others are ignored.
/// No lock is taken unless a thread has gone to sleep waiting for it.
class StateBase : public std::enable_shared_from_this<StateBase> {
 public:
  StateBase() = default;
  StateBase(const StateBase&) = delete;
  StateBase& operator=(const StateBase&) = delete;
  virtual ~StateBase();

  bool ready() const noexcept { return flags_.load(std::memory_order_acquire) & kReady; }
  /// A completion has won (the result may still be being stored).
  bool completing() const noexcept {
    return flags_.load(std::memory_order_acquire) & kCompleting;
  }

  /// Fails the future; false if it was already completed.
  bool fail(std::exception_ptr error) noexcept;
  /// Fails the future with CancelledException and asks its work to stop;
  /// false if it was already completed.
  bool cancel() noexcept;
  /// The same with TimeoutException (called when its deadline passes).
  bool expire() noexcept;

  /// Blocks until ready: first runs the work here if it may (Work::run_here),
  /// then polls briefly, then sleeps.
  void wait();
  /// Blocks until ready or `deadline`; true if ready. Never runs the work here.
  bool wait_until(std::chrono::steady_clock::time_point deadline);

  /// Runs `continuation` once the state is ready: at once on this thread if
  /// it already is, otherwise on the thread that completes it. At most one
  /// per state. An exception escaping it is dropped.
  void on_ready(Callback continuation) noexcept;
  /// The same, except that when the state is already ready it returns false
  /// and drops `continuation` without running it (for await_suspend).
  bool on_ready_later(Callback continuation) noexcept;

  /// Nobody will run the work on this thread: make sure it starts (Work::start).
  void start_work() noexcept;

  /// Before the future is handed out: the work to cancel or run here.
  void attach(std::weak_ptr<Work> work) noexcept { work_ = std::move(work); }
  /// Before the future is handed out: cancel when `token` is asked to stop.
  void watch(std::stop_token token);
  /// Before the future is handed out: expire at `deadline`.
  void expire_at(std::chrono::steady_clock::time_point deadline);

  /// After ready: the stored exception, or null.
  const std::exception_ptr& error() const noexcept { return error_; }

 protected:
  /// Wins the right to complete; false if another completion already has.
  bool claim() noexcept {
    return !(flags_.fetch_or(kCompleting, std::memory_order_acq_rel) & kCompleting);
  }
  /// After a won claim() and the result stored: marks ready, wakes sleepers,
  /// runs the continuation.
  void publish() noexcept;
  /// After a won claim(): stores `error` and publishes. Returns true.
  bool fail_after_claim(std::exception_ptr error) noexcept;

 private:
  static constexpr unsigned kCompleting = 1;
  static constexpr unsigned kReady = 2;
  static constexpr unsigned kContinuation = 4;
  static constexpr unsigned kSleeper = 8;
  static constexpr unsigned kDeadline = 16;  // expire_at() was called
  friend class DeadlineList;

  bool fail_and_stop(std::exception_ptr error) noexcept;
  void sleep_until_ready(const std::chrono::steady_clock::time_point* deadline);

  std::atomic<unsigned> flags_{0};
  std::exception_ptr error_;
  Callback continuation_;
  std::weak_ptr<Work> work_;
  std::chrono::steady_clock::time_point deadline_;  // guarded by DeadlineList
  std::uint64_t deadline_id_ = 0;                    // 0: none pending; likewise
  std::mutex sleep_mutex_;          // only for a thread that goes to sleep
  std::condition_variable woken_;

  struct StopRequest {
    std::weak_ptr<StateBase> state;
    void operator()() const noexcept;
  };
  // Last, so that it is destroyed first: its destructor waits for a stop
  // callback running on another thread, which may still use the state.
  std::optional<std::stop_callback<StopRequest>> stop_;
};

/// The state of a Future<T>: StateBase plus the value.
template <typename T>
class State final : public StateBase {
 public:
  /// Stores the value; false (and the value dropped) if already completed.
  template <typename... Args>
  bool set_value(Args&&... args) {
    if (!claim()) return false;
    try {
      if constexpr (!std::is_void_v<T>) value_.emplace(std::forward<Args>(args)...);
    } catch (...) {
      return fail_after_claim(std::current_exception());
    }
    publish();
    return true;
  }

  /// After ready: the value, moved out (or the exception, thrown).
  T take() {
    if (error()) std::rethrow_exception(error());
    if constexpr (!std::is_void_v<T>) return std::move(*value_);
  }

 private:
  struct Empty {};
  std::optional<std::conditional_t<std::is_void_v<T>, Empty, T>> value_;
};

/// `f(result)` for a then() callback, whatever f returns.
template <typename F, typename T>
using ThenResult = std::invoke_result_t<F, Result<T>>;

/// Where a coroutine is resumed when it awaits `future.via(executor)`.
template <typename E>
concept Executor = std::invocable<E&, Resumption>;

}  // namespace detail

/// The thrown side of a future that was cancelled or expired; declared in
/// exceptions.hpp, constructed in future.cpp.
class CancelledException;
class TimeoutException;

/// The result of a call that is still running: the library's own future.
///
/// - **Waiting**: get(), wait(), wait_for() and wait_until() behave as
///   std::future's do. A waiting thread first polls for ~200 µs (waking a
///   sleeping thread costs more than a short query), then sleeps. get() and
///   wait() on a data command that the Database has not started yet run it
///   right here, on the waiting thread, in its turn.
/// - **Callbacks**: `then(f)` calls `f(Result<T>)` once the result is there,
///   on the thread that completes it (a library thread, or the thread that
///   cancels it), or at once on the calling thread if it is already there.
///   `f` must not block: it holds up other replies. then() returns a future
///   of what `f` returns (its exception, if it throws).
/// - **Coroutines**: `co_await future` yields T or throws the call's
///   exception, in any C++20 coroutine type, and blocks no thread. The
///   coroutine resumes on the thread that completes the call, or, with
///   `co_await future.via(executor)`, inside `executor(callback)`, which
///   must arrange to call `callback()` (on an event loop, a thread pool...).
/// - **Cancellation**: cancel() fails the future at once with
///   CancelledException and stops the work: a command not yet started never
///   runs, and one running in the engine is stopped there.
///
/// Consuming the result (get(), then(), `co_await`, via(), the conversion to
/// std::future) leaves the future invalid; each of them, and wait(),
/// wait_for() and wait_until(), throws std::future_error (no_state) on an
/// invalid future.
///
/// A Future is move-only. Thread-safety: one thread uses a given future
/// (as std::future), cancel() included; to cancel from another thread, for
/// example while get() waits, pass a std::stop_token in CallOptions::stop.
///
/// `[[nodiscard]]`, and so is every call that returns one: a dropped future
/// still runs its call, but nobody hears of its failure. To run a call for
/// its effect alone and let its outcome go, say so with `(void)` or
/// std::ignore; to hear of a failure without waiting, attach then().
template <typename T>
class [[nodiscard]] Future {
 public:
  /// The type of the result.
  using value_type = T;

  /// An invalid future, with no call behind it.
  Future() noexcept = default;
  /// Takes over `other`'s call; `other` is left invalid.
  Future(Future&&) noexcept = default;
  /// Takes over `other`'s call, first dropping this one's as the destructor
  /// does (the call it had still runs).
  Future& operator=(Future&& other) noexcept {
    if (this != &other) {
      drop();
      state_ = std::move(other.state_);
    }
    return *this;
  }
  /// Dropping a future does not cancel the call: it still runs (and starts,
  /// if it had not). Call cancel() first to stop it.
  ~Future() { drop(); }

  /// False once the result was taken (get, co_await, then, conversion), or
  /// for a default-constructed future.
  bool valid() const noexcept { return state_ != nullptr; }
  /// True when the result is there (get() would not block).
  bool is_ready() const noexcept { return state_ && state_->ready(); }

  /// Waits, then returns the value or throws the call's exception; the
  /// future is invalid afterwards. A Database data call that has not
  /// started yet runs right here, on this thread (see the class).
  /// @throws DatabaseException (the subclass the call failed with: see the
  /// call), or whichever exception a then() callback threw.
  /// @throws std::future_error (no_state) on an invalid future.
  T get() {
    auto state = take_state();
    state->wait();
    return state->take();
  }

  /// Waits until the result is there, without taking it; like get(), it
  /// may run the call on this thread.
  /// @throws std::future_error (no_state) on an invalid future.
  void wait() const { checked().wait(); }

  /// Waits until the result is there or `timeout` has passed:
  /// std::future_status::ready or std::future_status::timeout. Never runs
  /// the call on this thread (it makes sure the Database's thread will).
  /// @throws std::future_error (no_state) on an invalid future.
  template <class Rep, class Period>
  std::future_status wait_for(const std::chrono::duration<Rep, Period>& timeout) const {
    return wait_until(std::chrono::steady_clock::now() + timeout);
  }

  /// As wait_for(), until the time point `when` of any clock (measured on
  /// std::chrono::steady_clock from now).
  /// @throws std::future_error (no_state) on an invalid future.
  template <class Clock, class Duration>
  std::future_status wait_until(const std::chrono::time_point<Clock, Duration>& when) const {
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::ceil<std::chrono::steady_clock::duration>(when - Clock::now());
    return checked().wait_until(deadline) ? std::future_status::ready
                                          : std::future_status::timeout;
  }

  /// Asks the engine to stop the work. True if the future will fail with
  /// CancelledException (it has, by the time this returns); false if it
  /// already had its result (or is invalid). A then() callback attached to
  /// it runs on this thread, before cancel() returns.
  bool cancel() noexcept { return state_ && state_->cancel(); }

  /// Calls `callback(Result<T>)` once the result is there; see the class
  /// comment for the thread. Returns a future of what it returns (failed
  /// with what it throws), and leaves this one invalid. Cancelling the
  /// returned future cancels this call too.
  /// @throws std::future_error (no_state) at once on an invalid future.
  template <typename F>
    requires std::invocable<F&, Result<T>>
  Future<detail::ThenResult<F, T>> then(F callback);

  /// Awaits the call, resuming the coroutine through `executor`:
  /// `co_await std::move(future).via(executor)`. When the coroutine has to
  /// wait, it resumes inside `executor(resumption)`, which must call the
  /// Resumption once, on the thread where the coroutine should go on (an
  /// event loop, a thread pool...); `executor` itself is called on the
  /// thread that completes the call, and must not block. When the result is
  /// there already, the coroutine goes on at once on its own thread,
  /// without the executor. Yields T or throws, as `co_await future`.
  /// @throws std::future_error (no_state), at the `co_await`, for an
  /// invalid future.
  template <detail::Executor E>
  auto via(E executor) &&;

  /// `co_await future`: yields T or throws the call's exception, leaving the
  /// future invalid (from an lvalue too). The coroutine resumes on the thread
  /// that completes the call, or goes on at once if the result is there.
  /// @throws DatabaseException (the subclass the call failed with), or
  /// whichever exception a then() callback threw.
  /// @throws std::future_error (no_state) for an invalid future.
  ///@{
  auto operator co_await() && noexcept { return Awaiter<Resume>{take_state_or_null(), {}}; }
  auto operator co_await() & noexcept { return Awaiter<Resume>{take_state_or_null(), {}}; }
  ///@}

  /// A std::future with the same result, for code that wants one; this
  /// future is left invalid. Waiting on the std::future never runs the call
  /// on the waiting thread.
  /// @throws std::future_error (no_state) on an invalid future.
  operator std::future<T>() &&;

 private:
  friend class Promise<T>;
  template <typename>
  friend class Future;
  friend Future detail::future_of<T>(std::shared_ptr<detail::State<T>>) noexcept;

  explicit Future(std::shared_ptr<detail::State<T>> state) noexcept : state_(std::move(state)) {}

  void drop() noexcept {
    if (state_ && !state_->ready()) state_->start_work();
    state_.reset();
  }

  detail::State<T>& checked() const {
    if (!state_) throw std::future_error(std::future_errc::no_state);
    return *state_;
  }
  std::shared_ptr<detail::State<T>> take_state() {
    checked();
    return std::move(state_);
  }
  std::shared_ptr<detail::State<T>> take_state_or_null() noexcept { return std::move(state_); }

  /// Resumes the coroutine on the completing thread.
  struct Resume {
    void operator()(std::coroutine_handle<> handle) const { handle.resume(); }
  };
  /// Resumes it inside an executor.
  template <typename E>
  struct ResumeVia {
    E executor;
    void operator()(std::coroutine_handle<> handle) {
      executor(Resumption{handle});
    }
  };

  template <typename Resumer>
  struct Awaiter {
    std::shared_ptr<detail::State<T>> state;
    Resumer resumer;

    bool await_ready() const {
      if (!state) throw std::future_error(std::future_errc::no_state);
      return state->ready();
    }
    bool await_suspend(std::coroutine_handle<> handle) {
      return state->on_ready_later(
          [resumer = std::move(resumer), handle]() mutable { resumer(handle); });
    }
    T await_resume() { return state->take(); }
  };

  std::shared_ptr<detail::State<T>> state_;
};

/// The producing side of a Future: for adapting other asynchronous APIs,
/// and for tests. Thread-safety: one thread uses a given promise; its
/// future may be used on another.
template <typename T>
class Promise {
 public:
  /// A promise whose future is not completed yet.
  Promise() : state_(std::make_shared<detail::State<T>>()) {}
  /// Takes over `other`'s future; `other` may then only be destroyed or
  /// assigned to.
  Promise(Promise&&) noexcept = default;
  /// Abandons this promise first (as the destructor does), then takes over
  /// `other`'s future.
  Promise& operator=(Promise&& other) noexcept {
    abandon();
    state_ = std::move(other.state_);
    retrieved_ = other.retrieved_;
    return *this;
  }
  /// An unfulfilled promise fails its future with
  /// std::future_error(broken_promise).
  ~Promise() { abandon(); }

  /// The future, once.
  /// @throws std::future_error (future_already_retrieved) the second time.
  Future<T> get_future() {
    if (retrieved_) throw std::future_error(std::future_errc::future_already_retrieved);
    retrieved_ = true;
    return Future<T>(state_);
  }

  /// Completes the future with T constructed from `args`. False if it was
  /// already completed (cancelled, expired, or set before): the value is then
  /// dropped. A callback attached with then() runs on this thread, before
  /// this returns. If constructing T throws, the future fails with that
  /// exception instead.
  template <typename... Args>
  bool set_value(Args&&... args) {
    return state_->set_value(std::forward<Args>(args)...);
  }
  /// Fails the future with `error`, which must not be null. False if it was
  /// already completed. A then() callback runs as for set_value().
  bool set_exception(std::exception_ptr error) noexcept { return state_->fail(std::move(error)); }

  /// The future was completed (by this promise, or by cancel() or a deadline).
  bool is_completed() const noexcept { return state_->completing(); }

  /// The shared state, for the library's own wiring (attach, watch,
  /// expire_at); not for users.
  detail::State<T>& state() noexcept { return *state_; }
  /// The same, weakly; not for users.
  std::weak_ptr<detail::StateBase> weak_state() const noexcept { return state_; }

 private:
  void abandon() noexcept {
    if (state_ && !state_->completing()) {
      state_->fail(std::make_exception_ptr(std::future_error(std::future_errc::broken_promise)));
    }
  }

  std::shared_ptr<detail::State<T>> state_;
  bool retrieved_ = false;
};

// ---- implementation of the templates ----

namespace detail {

template <typename T>
Future<T> future_of(std::shared_ptr<State<T>> state) noexcept {
  return Future<T>(std::move(state));
}

/// Cancels the future a then() continues from.
class Upstream final : public Work {
 public:
  explicit Upstream(std::weak_ptr<StateBase> parent) : parent_(std::move(parent)) {}
  void cancel() noexcept override {
    if (auto parent = parent_.lock()) parent->cancel();
  }
  void start() noexcept override {
    if (auto parent = parent_.lock()) parent->start_work();
  }
  bool run_here() noexcept override {
    auto parent = parent_.lock();
    if (!parent) return false;
    // Waiting on the parent runs its work here if it may; its continuation
    // then completes this future on this thread.
    try {
      parent->wait();
    } catch (...) {
      return false;
    }
    return true;
  }

 private:
  std::weak_ptr<StateBase> parent_;
};

}  // namespace detail

template <typename T>
template <typename F>
  requires std::invocable<F&, Result<T>>
Future<detail::ThenResult<F, T>> Future<T>::then(F callback) {
  using R = detail::ThenResult<F, T>;
  auto parent = take_state();
  auto child = std::make_shared<detail::State<R>>();
  auto upstream = std::make_shared<detail::Upstream>(parent);
  child->attach(upstream);
  // The continuation keeps Upstream alive; Upstream holds the parent weakly,
  // and the parent's continuation holds the child: no cycle.
  parent->on_ready([parent = parent.get(), child, upstream, callback = std::move(callback)]() mutable {
    auto outcome = [&]() -> Result<T> {
      if (parent->error()) return Result<T>(parent->error());
      if constexpr (std::is_void_v<T>) {
        return Result<T>();
      } else {
        return Result<T>(parent->take());
      }
    };
    try {
      if constexpr (std::is_void_v<R>) {
        callback(outcome());
        child->set_value();
      } else {
        child->set_value(callback(outcome()));
      }
    } catch (...) {
      child->fail(std::current_exception());
    }
  });
  return Future<R>(std::move(child));
}

// Doxygen 1.9.4 does not match this definition to its declaration (the
// constrained template parameter), and would list it twice: hidden from it.
/// @cond
template <typename T>
template <detail::Executor E>
auto Future<T>::via(E executor) && {
  struct ViaAwaitable {
    Awaiter<ResumeVia<E>> awaiter;
    bool await_ready() const { return awaiter.await_ready(); }
    bool await_suspend(std::coroutine_handle<> handle) { return awaiter.await_suspend(handle); }
    T await_resume() { return awaiter.await_resume(); }
  };
  return ViaAwaitable{Awaiter<ResumeVia<E>>{take_state_or_null(), ResumeVia<E>{std::move(executor)}}};
}
/// @endcond

template <typename T>
Future<T>::operator std::future<T>() && {
  auto promise = std::make_shared<std::promise<T>>();
  std::future<T> future = promise->get_future();
  auto state = take_state();
  auto* raw = state.get();
  raw->on_ready([state = std::move(state), promise] {
    try {
      if constexpr (std::is_void_v<T>) {
        state->take();
        promise->set_value();
      } else {
        promise->set_value(state->take());
      }
    } catch (...) {
      promise->set_exception(std::current_exception());
    }
  });
  return future;
}

}  // namespace surreal

/// A coroutine may return a surreal::Future: `co_await` the library's
/// futures inside it, and `co_return` its result, which completes the
/// future it returned (an exception that escapes it fails that future).
/// It starts at once, on the calling thread, and runs until its first
/// `co_await` of something not yet done; each later part runs where that
/// future completes (see Future). Cancelling the Future it returned fails
/// that Future; the coroutine itself runs on to its end.
///
///     surreal::Future<std::int64_t> count(surreal::Database& db) {
///       surreal::Response response = co_await db.query("RETURN count(SELECT * FROM person)");
///       co_return response.take<std::int64_t>(0);
///     }
template <typename T, typename... Args>
struct std::coroutine_traits<surreal::Future<T>, Args...> {
  /// @cond internal
  struct promise_base {
    surreal::Promise<T> promise;
    surreal::Future<T> get_return_object() { return promise.get_future(); }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void unhandled_exception() noexcept { promise.set_exception(std::current_exception()); }
  };
  struct value_promise : promise_base {
    template <typename U = T>
    void return_value(U&& value) {
      this->promise.set_value(std::forward<U>(value));
    }
  };
  struct void_promise : promise_base {
    void return_void() { this->promise.set_value(); }
  };
  using promise_type = std::conditional_t<std::is_void_v<T>, void_promise, value_promise>;
  /// @endcond
};
