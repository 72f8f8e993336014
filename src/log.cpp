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

void deliver(void* context, int32_t level, const uint8_t* target, size_t target_len,
             const uint8_t* message, size_t message_len) noexcept {
  const auto& handler = *static_cast<const LogHandler*>(context);
  try {
    handler(from_native(level),
            std::string_view(reinterpret_cast<const char*>(target), target_len),
            std::string_view(reinterpret_cast<const char*>(message), message_len));
  } catch (...) {  // documented: dropped
  }
}

/// The installed handler: the context the core calls `deliver` with. Swapped
/// under the mutex; the old one is destroyed once the core has let it go.
std::mutex handler_mutex;
std::unique_ptr<LogHandler> installed;

}  // namespace

void set_log_handler(LogLevel minimum, LogHandler handler) {
  std::lock_guard lock(handler_mutex);
  std::unique_ptr<LogHandler> next;
  if (handler) next = std::make_unique<LogHandler>(std::move(handler));
  ffi::check(next ? surreal_set_log_handler(native_level(minimum), deliver, next.get())
                  : surreal_set_log_handler(SURREAL_LOG_TRACE, nullptr, nullptr));
  // The core no longer calls the old one: it can go.
  installed = std::move(next);
}

}  // namespace surreal
