#include "surreal/future.hpp"

#include <algorithm>
#include <atomic>
#include <map>
#include <thread>
#include <vector>

#include "poll.hpp"
#include "surreal/exceptions.hpp"

namespace surreal::detail {
namespace {

using std::chrono::microseconds;
using Clock = std::chrono::steady_clock;

/// How long a waiting thread polls for its result before it sleeps. A record
/// operation or a short query takes 10-100 µs in the engine; waking a
/// sleeping thread costs ~35 µs on the 2-vCPU benchmark machine (README,
/// performance section).
constexpr microseconds kPollBudget{200};

/// A running average of how long this thread's waits took, polling or not.
/// Polling pays only when the result comes within the budget; a thread that
/// runs long queries (W4's take ~1 ms) would otherwise burn a core the engine
/// could use.
thread_local microseconds typical_wait{0};

/// Threads polling right now.
std::atomic<unsigned> pollers{0};

/// Requests sent and not yet answered, across every Database.
std::atomic<unsigned> unanswered{0};

unsigned cores() noexcept {
  static const unsigned count = std::max(1u, std::thread::hardware_concurrency());
  return count;
}

/// Polls `ready()` for up to kPollBudget when this thread's recent waits were
/// that short and a core is left idle by the requests in flight and the other
/// pollers (poll.hpp); records how long the whole wait took on destruction.
class ShortWait {
 public:
  template <typename Ready>
  explicit ShortWait(Ready&& ready) noexcept : start_(Clock::now()) {
    if (typical_wait > kPollBudget) return;
    // Several callers at once (W7) then sleep rather than take the CPU that
    // makes their replies; a lone caller polls (W1, W3).
    const unsigned busy = unanswered.load(std::memory_order_relaxed) +
                          pollers.fetch_add(1, std::memory_order_relaxed);
    if (busy < cores()) poll_until(kPollBudget, ready);
    pollers.fetch_sub(1, std::memory_order_relaxed);
  }
  ~ShortWait() {
    const auto waited = std::chrono::duration_cast<microseconds>(Clock::now() - start_);
    typical_wait += (waited - typical_wait) / 8;
  }
  ShortWait(const ShortWait&) = delete;
  ShortWait& operator=(const ShortWait&) = delete;

 private:
  Clock::time_point start_;
};

}  // namespace

/// The deadlines of the futures that have one: one thread for the process,
/// started with the first deadline, which expires each future when its time
/// comes. A future that completes first removes its entry. A state's
/// deadline_ and deadline_id_ are guarded by this list's mutex.
class DeadlineList {
 public:
  using Key = std::pair<Clock::time_point, std::uint64_t>;

  /// Never destroyed: futures may be completed during static destruction.
  static DeadlineList& instance() {
    static DeadlineList* const list = new DeadlineList();
    return *list;
  }

  void add(StateBase& state, Clock::time_point when) {
    std::lock_guard lock(mutex_);
    if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
    state.deadline_ = when;
    state.deadline_id_ = ++last_id_;
    const bool earliest = entries_.empty() || when < entries_.begin()->first.first;
    entries_.emplace(Key{when, state.deadline_id_}, state.weak_from_this());
    if (earliest) changed_.notify_one();
  }

  void remove(StateBase& state) noexcept {
    std::lock_guard lock(mutex_);
    if (state.deadline_id_ == 0) return;
    entries_.erase(Key{state.deadline_, state.deadline_id_});
    state.deadline_id_ = 0;
  }

 private:
  DeadlineList() = default;

  [[noreturn]] void run() {
    std::vector<std::weak_ptr<StateBase>> due;
    for (;;) {
      {
        std::unique_lock lock(mutex_);
        if (entries_.empty()) {
          changed_.wait(lock);
          continue;
        }
        const auto next = entries_.begin()->first.first;
        if (Clock::now() < next) {
          changed_.wait_until(lock, next);
          continue;
        }
        const auto now = Clock::now();
        auto end = entries_.begin();
        while (end != entries_.end() && end->first.first <= now) {
          due.push_back(std::move(end->second));
          ++end;
        }
        entries_.erase(entries_.begin(), end);
      }
      // Outside the lock: expiring runs continuations, which may add deadlines.
      for (auto& weak : due) {
        if (auto state = weak.lock()) state->expire();
      }
      due.clear();
    }
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<Key, std::weak_ptr<StateBase>> entries_;
  std::uint64_t last_id_ = 0;
  std::thread thread_;
};

void request_sent() noexcept { unanswered.fetch_add(1, std::memory_order_relaxed); }
void request_answered() noexcept { unanswered.fetch_sub(1, std::memory_order_relaxed); }
unsigned requests_unanswered() noexcept { return unanswered.load(std::memory_order_relaxed); }

StateBase::~StateBase() {
  if (flags_.load(std::memory_order_relaxed) & kDeadline) DeadlineList::instance().remove(*this);
}

bool StateBase::fail(std::exception_ptr error) noexcept {
  return claim() && fail_after_claim(std::move(error));
}

bool StateBase::fail_after_claim(std::exception_ptr error) noexcept {
  error_ = std::move(error);
  publish();
  return true;
}

bool StateBase::cancel() noexcept {
  if (completing()) return false;
  return fail_and_stop(std::make_exception_ptr(
      CancelledException(error_code::cancelled, "the call was cancelled", "cancelled")));
}

bool StateBase::expire() noexcept {
  if (completing()) return false;
  return fail_and_stop(std::make_exception_ptr(TimeoutException(
      error_code::timeout, "the call's deadline passed before it finished", "timeout")));
}

bool StateBase::fail_and_stop(std::exception_ptr error) noexcept {
  if (!claim()) return false;
  // Stop the work before publishing: a continuation that runs on publish may
  // send new work, which should not queue behind this.
  if (auto work = work_.lock()) work->cancel();
  return fail_after_claim(std::move(error));
}

void StateBase::publish() noexcept {
  if (flags_.load(std::memory_order_acquire) & kDeadline) DeadlineList::instance().remove(*this);
  const unsigned previous = flags_.fetch_or(kReady, std::memory_order_acq_rel);
  if (previous & kSleeper) {
    // The sleeper set kSleeper and checked kReady under this mutex, and
    // releases it only inside wait(): taking it here means it is asleep.
    std::lock_guard lock(sleep_mutex_);
    woken_.notify_all();
  }
  if (previous & kContinuation) {
    Callback continuation = std::move(continuation_);
    try {
      continuation();
    } catch (...) {  // documented: an exception escaping a continuation is dropped
    }
  }
}

void StateBase::on_ready(Callback continuation) noexcept {
  if (!on_ready_later(std::move(continuation))) {
    // on_ready_later left it in continuation_ when it found the state ready.
    Callback now = std::move(continuation_);
    try {
      now();
    } catch (...) {
    }
  }
}

void StateBase::start_work() noexcept {
  if (ready()) return;
  if (auto work = work_.lock()) work->start();
}

bool StateBase::on_ready_later(Callback continuation) noexcept {
  start_work();  // nobody waits on this thread
  continuation_ = std::move(continuation);
  const unsigned previous = flags_.fetch_or(kContinuation, std::memory_order_acq_rel);
  // Ready before the flag was set: the completer did not see the
  // continuation and will not run it. It stays in continuation_ for the caller.
  return !(previous & kReady);
}

void StateBase::wait() {
  if (ready()) return;
  if (auto work = work_.lock()) {
    if (work->run_here() && ready()) return;
  }
  {
    const ShortWait poll([this] { return ready(); });
    if (ready()) return;
  }
  sleep_until_ready(nullptr);
}

bool StateBase::wait_until(Clock::time_point deadline) {
  if (ready()) return true;
  start_work();
  if (Clock::now() >= deadline) return false;
  sleep_until_ready(&deadline);
  return ready();
}

void StateBase::sleep_until_ready(const Clock::time_point* deadline) {
  std::unique_lock lock(sleep_mutex_);
  if (flags_.fetch_or(kSleeper, std::memory_order_acq_rel) & kReady) return;
  const auto is_ready = [this] { return ready(); };
  if (deadline == nullptr) {
    woken_.wait(lock, is_ready);
  } else {
    woken_.wait_until(lock, *deadline, is_ready);
  }
}

void StateBase::watch(std::stop_token token) {
  if (!token.stop_possible()) return;
  // Runs StopRequest at once if a stop was already requested.
  stop_.emplace(std::move(token), StopRequest{weak_from_this()});
}

void StateBase::StopRequest::operator()() const noexcept {
  if (auto owner = state.lock()) owner->cancel();
}

void StateBase::expire_at(Clock::time_point deadline) {
  if (completing()) return;
  flags_.fetch_or(kDeadline, std::memory_order_acq_rel);
  DeadlineList::instance().add(*this, deadline);
}

}  // namespace surreal::detail
