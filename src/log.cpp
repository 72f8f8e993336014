#include "surreal/log.hpp"

#include <memory>
#include <mutex>
#include <utility>

#include "ffi/native.hpp"

namespace surreal {

namespace {

int native_level(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::error:
      return SURREAL_LOG_ERROR;
    case LogLevel::warn:
      return SURREAL_LOG_WARN;
    case LogLevel::info:
      return SURREAL_LOG_INFO;
    case LogLevel::debug:
      return SURREAL_LOG_DEBUG;
    case LogLevel::trace:
      break;
  }
  return SURREAL_LOG_TRACE;
}

LogLevel from_native(int level) noexcept {
  switch (level) {
    case SURREAL_LOG_ERROR:
      return LogLevel::error;
    case SURREAL_LOG_WARN:
      return LogLevel::warn;
    case SURREAL_LOG_INFO:
      return LogLevel::info;
    case SURREAL_LOG_DEBUG:
      return LogLevel::debug;
    default:
      return LogLevel::trace;
  }
}

/// The installed handler. The core calls `deliver` with no context: it
/// reads the handler here, under the mutex, as a shared_ptr, so that its
/// lifetime is one the C++ side can see (ThreadSanitizer included); the
/// core's own lock is what guarantees that a replaced handler is no longer
/// running once set_log_handler() returns.
std::mutex handler_mutex;
std::shared_ptr<const LogHandler> installed;

void deliver(void*, int32_t level, const uint8_t* target, size_t target_len,
             const uint8_t* message, size_t message_len) noexcept {
  std::shared_ptr<const LogHandler> handler;
  {
    std::lock_guard lock(handler_mutex);
    handler = installed;
  }
  if (!handler) return;
  try {
    (*handler)(from_native(level),
               std::string_view(reinterpret_cast<const char*>(target), target_len),
               std::string_view(reinterpret_cast<const char*>(message), message_len));
  } catch (...) {  // documented: dropped
  }
}

/// Serialises set_log_handler() calls.
std::mutex setter_mutex;

}  // namespace

void set_log_handler(LogLevel minimum, LogHandler handler) {
  std::lock_guard setting(setter_mutex);
  std::shared_ptr<const LogHandler> next;
  if (handler) next = std::make_shared<const LogHandler>(std::move(handler));
  std::shared_ptr<const LogHandler> previous;
  {
    std::lock_guard lock(handler_mutex);
    previous = std::exchange(installed, next);
  }
  const int status = next ? surreal_set_log_handler(native_level(minimum), deliver, nullptr)
                          : surreal_set_log_handler(SURREAL_LOG_TRACE, nullptr, nullptr);
  if (status != SURREAL_OK) {  // (never: the levels are valid) put the old one back
    std::lock_guard lock(handler_mutex);
    installed = std::move(previous);
  }
  ffi::check(status);
  // The core has let go of every delivery in flight: `previous` runs no more,
  // and is destroyed here unless such a delivery still holds it.
}

}  // namespace surreal
