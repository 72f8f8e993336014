#include "worker/state_watch.hpp"

#include <algorithm>

namespace surreal::worker {

void StateWatch::watch(SurrealDatabase* db) {
  const int now = surreal_db_state(db);
  if (now < 0) ffi::check(now);
  SurrealWatch* raw = nullptr;
  ffi::check(surreal_db_watch_state(db, &StateWatch::deliver, this, &raw));
  watch_.reset(raw);
  set(static_cast<ConnectionState>(now));
}

void StateWatch::deliver(void* context, std::int32_t state) noexcept {
  if (state < 0 || state > static_cast<int>(ConnectionState::disconnected)) return;
  static_cast<StateWatch*>(context)->set(static_cast<ConnectionState>(state));
}

void StateWatch::set(ConnectionState state) noexcept {
  const std::lock_guard delivering(delivering_);
  if (state_.exchange(static_cast<int>(state)) == static_cast<int>(state)) return;
  std::vector<std::shared_ptr<Entry>> listeners;
  {
    const std::lock_guard lock(listeners_mutex_);
    listeners = listeners_;
  }
  for (const auto& entry : listeners) {
    if (entry->removed.load()) continue;
    try {
      entry->listener(state);
    } catch (...) {
      // A listener belongs to no call: there is nobody to hand this to.
    }
  }
}

std::uint64_t StateWatch::add(Listener listener) {
  auto entry = std::make_shared<Entry>();
  entry->listener = std::move(listener);
  const std::lock_guard lock(listeners_mutex_);
  entry->key = ++next_key_;
  listeners_.push_back(entry);
  return entry->key;
}

void StateWatch::remove(std::uint64_t key) {
  std::shared_ptr<Entry> entry;
  {
    const std::lock_guard lock(listeners_mutex_);
    auto found = std::find_if(listeners_.begin(), listeners_.end(),
                              [key](const auto& e) { return e->key == key; });
    if (found == listeners_.end()) return;
    entry = *found;
    listeners_.erase(found);
  }
  entry->removed.store(true);
  // Waits for a delivery in flight (re-entered at once from the listener).
  const std::lock_guard delivering(delivering_);
}

}  // namespace surreal::worker
