// surreal::Future: the future every Database call returns.
#pragma once

#include <chrono>
#include <future>
#include <utility>

namespace surreal {
namespace detail {

/// One wait for a reply. Constructing it polls `ready(context)` for a short
/// while (up to about 200 µs) when the calling thread's recent waits were
/// that short, so that the thread does not go to sleep on a reply that is
/// nearly there; destroying it records how long the whole wait took. It does
/// not poll unless a core is left idle by the requests in flight and the
/// other pollers: a poller must not take the CPU the work needs.
class ShortWait {
 public:
  ShortWait(bool (*ready)(const void* context), const void* context) noexcept;
  ~ShortWait();
  ShortWait(const ShortWait&) = delete;
  ShortWait& operator=(const ShortWait&) = delete;

 private:
  std::chrono::steady_clock::time_point start_;
};

}  // namespace detail

/// A std::future whose get() and wait() first poll briefly before they sleep.
///
/// Why: the reply to a database call is produced on the worker thread. A
/// thread sleeping in std::future::get() is woken by the kernel, which on a
/// virtual machine costs tens of microseconds (the wake-up of an idle vCPU);
/// that is more than a whole "RETURN 1" query takes. Polling for the first
/// ~200 µs catches most replies awake. A thread whose recent calls took
/// longer than that does not poll at all, and no thread polls while the
/// requests in flight keep every core busy (several callers at once): the
/// polling would take the CPU that makes the replies. Everything else is
/// std::future: it converts to one (std::future<T> f = db.query(...)),
/// which keeps the result and only loses the polling, and wait_for(),
/// wait_until(), valid() and share() behave as std::future's do.
///
/// Thread-safety: as std::future (one thread uses a given future).
template <typename T>
class Future : public std::future<T> {
 public:
  Future() noexcept = default;
  Future(std::future<T>&& other) noexcept : std::future<T>(std::move(other)) {}

  /// std::future::get(), polling first.
  decltype(auto) get() {
    wait();
    return std::future<T>::get();
  }

  /// std::future::wait(), polling first.
  void wait() const {
    if (!this->valid()) return std::future<T>::wait();  // which reports it
    const detail::ShortWait wait(&is_ready, static_cast<const std::future<T>*>(this));
    std::future<T>::wait();
  }

 private:
  static bool is_ready(const void* future) {
    return static_cast<const std::future<T>*>(future)->wait_for(std::chrono::seconds(0)) ==
           std::future_status::ready;
  }
};

}  // namespace surreal
