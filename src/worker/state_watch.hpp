// The state of a Database's connection, as the native core reports it, and
// the application's listeners of it (Database::state, on_state_change).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "ffi/native.hpp"
#include "surreal/database.hpp"

namespace surreal::worker {

/// One per Database (session). The core calls deliver() on its driver's
/// thread with each change; close() marks the end. Listeners hear each
/// change once, in order.
///
/// Thread-safety: every member may be called from any thread at once.
class StateWatch {
 public:
  using Listener = std::function<void(ConnectionState)>;

  StateWatch() = default;
  StateWatch(const StateWatch&) = delete;
  StateWatch& operator=(const StateWatch&) = delete;
  /// Removes the native listener first, waiting for a delivery in flight.
  ~StateWatch() { watch_.reset(); }

  /// Listens to the native handle's connection, and reads its state now.
  /// @throws DatabaseException when the core refuses.
  void watch(SurrealDatabase* db);
  /// The connection is closed for good (Database::close).
  void close() { set(ConnectionState::disconnected); }

  ConnectionState get() const { return static_cast<ConnectionState>(state_.load()); }

  /// Adds a listener; answers its key for remove().
  std::uint64_t add(Listener listener);
  /// Removes a listener, waiting for a delivery in flight on another thread.
  void remove(std::uint64_t key);

 private:
  struct Entry {
    std::uint64_t key;
    Listener listener;
    std::atomic<bool> removed{false};
  };

  static void deliver(void* context, std::int32_t state) noexcept;
  void set(ConnectionState state) noexcept;

  std::atomic<int> state_{static_cast<int>(ConnectionState::connected)};
  /// Held through each delivery, so that remove() waits for one in flight;
  /// recursive, so that a listener may remove itself.
  std::recursive_mutex delivering_;
  std::mutex listeners_mutex_;
  std::vector<std::shared_ptr<Entry>> listeners_;  // guarded by listeners_mutex_
  std::uint64_t next_key_ = 0;                     // guarded by listeners_mutex_
  ffi::WatchHandle watch_;
};

}  // namespace surreal::worker
