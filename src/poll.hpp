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
