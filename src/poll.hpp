// Bounded busy-waiting, for the hand-offs between a caller and the worker.
#pragma once

#include <chrono>

namespace surreal::detail {

/// Tells the CPU this is a spin-wait loop (cheaper for a sibling hyperthread).
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

/// Count the Database requests sent and not yet answered, across the
/// process (defined in future.cpp). A waiting caller polls only while these
/// and the other pollers leave a core idle: each request being worked on
/// keeps a core busy, and polling beside them would take the CPU that makes
/// the replies. `request_answered` must come before the reply is delivered,
/// so that a caller sending its next request at once does not count the last.
void request_sent() noexcept;
void request_answered() noexcept;
/// How many requests are unanswered now (for tests: 0 when all is quiet).
unsigned requests_unanswered() noexcept;

/// Calls `done()` until it returns true or `budget` has passed; returns its
/// last answer. For waits that usually end within microseconds, where going
/// to sleep and being woken would cost more than the wait itself.
template <typename Done>
bool poll_until(std::chrono::microseconds budget, Done&& done) {
  const auto deadline = std::chrono::steady_clock::now() + budget;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    cpu_relax();
  }
  return true;
}

}  // namespace surreal::detail
