/// @file
/// Asio support (standalone Asio or Boost.Asio): a call's future as an Asio
/// asynchronous operation, and an executor for Future::via().
///
/// Header-only, and included only by code that uses Asio: surrealcpp itself
/// neither includes nor links Asio. Include <asio.hpp> or <boost/asio.hpp>
/// first, then this header (not included by surreal.hpp).
///
/// @code
/// asio::awaitable<void> handler(surreal::Database& db) {
///   surreal::Response response =
///       co_await surreal::async_get(db.query("RETURN 1"), asio::use_awaitable);
///   ...   // back on the coroutine's executor; a failed call threw here
/// }
/// @endcode
///
/// asio::awaitable coroutines can only co_await Asio operations, hence
/// async_get(). Other coroutine types co_await a surreal::Future directly, and
/// `.via(surreal::asio_executor(executor))` resumes them on an Asio executor.
#pragma once

#include <exception>
#include <type_traits>
#include <utility>

#include "surreal/future.hpp"

#if defined(BOOST_ASIO_VERSION)
namespace surreal::detail {
namespace net = ::boost::asio;
}
#elif defined(ASIO_VERSION)
namespace surreal::detail {
namespace net = ::asio;
}
#else
#error "surreal/asio.hpp: include <asio.hpp> or <boost/asio.hpp> before it"
#endif

namespace surreal {

/// Waits for `future` as an Asio asynchronous operation whose completion
/// signature is `void(std::exception_ptr, T)` (`void(std::exception_ptr)` for
/// Future<void>): with asio::use_awaitable a failed call throws its
/// exception, with a callback the handler receives it. The handler runs on
/// its associated executor, never on the library's thread: the coroutine's
/// for use_awaitable, the one bound with asio::bind_executor for a callback
/// (Asio's system executor if none is). That executor is kept busy (a work
/// guard) until then, so io_context::run() does not return early. T must be
/// default-constructible (every call's result is but connect's Database).
/// Any thread may call it; it consumes `future`.
/// @throws DatabaseException (or whichever exception the call failed with),
/// through the completion: thrown at the `co_await` with
/// asio::use_awaitable, handed to a callback as its std::exception_ptr.
/// @throws std::future_error (no_state) for an invalid `future`, when Asio
/// initiates the operation.
template <typename T, typename CompletionToken>
auto async_get(Future<T> future, CompletionToken&& token) {
  namespace net = detail::net;
  using Signature = std::conditional_t<std::is_void_v<T>, void(std::exception_ptr),
                                       void(std::exception_ptr, T)>;
  auto initiation = [](auto handler, Future<T> pending) {
    auto work = net::make_work_guard(net::get_associated_executor(handler));
    // then() consumes the future; its callback runs on the completing thread
    // and only posts the handler to its executor. The callback keeps its own
    // work guard until post() has returned, so that run() cannot return and
    // the io_context be destroyed while this thread is still inside post().
    (void)std::move(pending).then([handler = std::move(handler),
                             work = std::move(work)](Result<T> result) mutable {
      net::post(work.get_executor(), [handler = std::move(handler), result = std::move(result),
                                      keep_busy = work]() mutable {
        if constexpr (std::is_void_v<T>) {
          std::move(handler)(result.error());
        } else if (result.has_value()) {
          std::move(handler)(std::exception_ptr(), std::move(result).value());
        } else {
          std::move(handler)(result.error(), T{});
        }
      });
    });
  };
  return net::async_initiate<CompletionToken, Signature>(std::move(initiation), token,
                                                         std::move(future));
}

/// An executor for Future::via() that resumes the coroutine through
/// `post(executor, ...)` on an Asio executor, io_context executor or strand.
/// It only posts, so it never blocks the thread that completes the call. The
/// Asio executor must still be run when the call completes: a Resumption
/// posted to an io_context that nobody runs any more never runs, and the
/// coroutine stays suspended.
template <typename AsioExecutor>
auto asio_executor(AsioExecutor executor) {
  return [executor = std::move(executor)](Resumption resume) {
    detail::net::post(executor, std::move(resume));
  };
}

}  // namespace surreal
