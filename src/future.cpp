#include "surreal/future.hpp"

#include <algorithm>
#include <atomic>
#include <thread>

#include "poll.hpp"

namespace surreal::detail {
namespace {

using std::chrono::microseconds;

/// How long a caller polls for its reply before it sleeps. A record
/// operation or a short query takes 10-100 µs in the engine; waking a
/// sleeping thread costs ~35 µs on the 2-vCPU benchmark machine (README,
/// performance section).
constexpr microseconds kPollBudget{200};

/// A running average of how long this thread's waits took, polling or not.
/// Polling pays only when the reply comes within the budget; a thread that
/// runs long queries (W4's take ~1 ms) would otherwise burn a core the engine
/// could use.
thread_local microseconds typical_wait{0};

/// Callers polling right now.
std::atomic<unsigned> pollers{0};

/// Requests sent and not yet answered, across every Database.
std::atomic<unsigned> unanswered{0};

unsigned cores() noexcept {
  static const unsigned count = std::max(1u, std::thread::hardware_concurrency());
  return count;
}

}  // namespace

void request_sent() noexcept { unanswered.fetch_add(1, std::memory_order_relaxed); }
void request_answered() noexcept { unanswered.fetch_sub(1, std::memory_order_relaxed); }
unsigned requests_unanswered() noexcept { return unanswered.load(std::memory_order_relaxed); }

ShortWait::ShortWait(bool (*ready)(const void* context), const void* context) noexcept
    : start_(std::chrono::steady_clock::now()) {
  if (typical_wait > kPollBudget) return;
  // Poll only on a core that no request in flight and no other poller needs
  // (poll.hpp). Several callers at once (W7) then sleep, which took W7 from
  // ~17k to ~21k selects/s; a lone caller still polls (W1, W3).
  const unsigned busy = unanswered.load(std::memory_order_relaxed) +
                        pollers.fetch_add(1, std::memory_order_relaxed);
  if (busy < cores()) {
    poll_until(kPollBudget, [&] { return ready(context); });
  }
  pollers.fetch_sub(1, std::memory_order_relaxed);
}

ShortWait::~ShortWait() {
  const auto waited =
      std::chrono::duration_cast<microseconds>(std::chrono::steady_clock::now() - start_);
  typical_wait += (waited - typical_wait) / 8;
}

}  // namespace surreal::detail
