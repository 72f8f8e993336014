#include "surreal/future.hpp"

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

/// Callers polling right now. At most one per core but one may poll: that
/// core is left to the worker and the runtime, which make the replies.
std::atomic<unsigned> pollers{0};

unsigned max_pollers() noexcept {
  static const unsigned cores = std::thread::hardware_concurrency();
  return cores > 1 ? cores - 1 : 1;
}

}  // namespace

ShortWait::ShortWait(bool (*ready)(const void* context), const void* context) noexcept
    : start_(std::chrono::steady_clock::now()) {
  if (typical_wait > kPollBudget) return;
  if (pollers.fetch_add(1, std::memory_order_relaxed) < max_pollers()) {
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
