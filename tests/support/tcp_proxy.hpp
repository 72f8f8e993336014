// A TCP proxy between the SDK and a test server on 127.0.0.1, for the tests
// of network faults: a path that goes silent without closing (black_hole) and
// a path that is reset (sever). A half-open socket cannot be made by killing
// the server (the kernel then answers with a reset), so the tests put this
// proxy in the path and hold the bytes here instead.
//
// One background thread runs a poll() loop over the listening socket, every
// client/server socket pair and a self-pipe that the test thread writes to on
// each change of state. Every socket is non-blocking and each direction has
// its own bounded buffer, so a partial write is finished on a later round and
// a slow reader slows its writer instead of growing memory. Linux: the
// sockets are made with SOCK_CLOEXEC, so that a server forked by the test
// while the proxy runs (TestServer::start) cannot inherit one and keep a
// "closed" connection open.
#pragma once

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace surreal::test_support {

/// Not copyable. Its public methods may be called from any thread (usually
/// the test's) while its own thread forwards.
class TcpProxy {
 public:
  /// Listens on a free loopback port and forwards every connection to
  /// 127.0.0.1:target_port. Throws if it cannot listen.
  explicit TcpProxy(int target_port) : target_port_(target_port) {
    if (target_port <= 0 || target_port > 65535) {
      throw std::invalid_argument("TcpProxy: no such port " + std::to_string(target_port));
    }
    // Bound to port 0 and kept: the port read back is ours until the
    // destructor, with no window for another process to take it.
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_in address = loopback(0);
    socklen_t length = sizeof address;
    int pipe_fds[2] = {-1, -1};
    if (listener_ < 0 ||
        ::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listener_, SOMAXCONN) != 0 ||
        ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0 ||
        ::pipe2(pipe_fds, O_NONBLOCK | O_CLOEXEC) != 0) {
      close_quietly(listener_);
      throw std::runtime_error("TcpProxy: cannot listen on a loopback port");
    }
    port_ = ntohs(address.sin_port);
    wake_read_ = pipe_fds[0];
    wake_write_ = pipe_fds[1];
    try {
      thread_ = std::thread([this] { run(); });
    } catch (...) {
      close_quietly(listener_);
      close_quietly(wake_read_);
      close_quietly(wake_write_);
      throw;
    }
  }

  /// Stops the thread and closes every socket. Bounded: the thread answers
  /// within one round of its loop, whose only blocking call is the connect
  /// to the target (at most kConnectTimeoutSeconds).
  ~TcpProxy() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake();
    if (thread_.joinable()) thread_.join();
    close_quietly(listener_);
    close_quietly(wake_read_);
    close_quietly(wake_write_);
  }

  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  int port() const { return port_; }
  /// "ws://127.0.0.1:PORT" for scheme "ws", and so on.
  std::string url(const std::string& scheme) const {
    return scheme + "://127.0.0.1:" + std::to_string(port_);
  }

  /// Stops forwarding in both directions without closing anything: the
  /// sockets stay open, bytes are neither read nor written (a half-open
  /// network path / black hole). New connections are accepted by the kernel
  /// backlog but not served while black-holed. Synchronous: once it returns,
  /// not one more byte moves (the proxy thread moves bytes only while
  /// holding the mutex this takes, and checks the state under it).
  void black_hole() {
    {
      std::lock_guard lock(mutex_);
      black_holed_ = true;
    }
    // Not needed for the guarantee above; it lets the thread stop polling
    // the pairs now rather than on their next byte.
    wake();
  }

  /// Forwards again, what was held included (nothing buffered is dropped).
  /// Forwarding restarts within one round of the proxy's loop.
  void resume() {
    {
      std::lock_guard lock(mutex_);
      black_holed_ = false;
    }
    wake();
  }

  /// Closes every current connection (both sides) with a reset (RST), as a
  /// network reset does; keeps listening. Connections still waiting in the
  /// backlog (while black-holed) are reset as well, and not counted by
  /// accepted(). Synchronous: once it returns, every connection the proxy
  /// held has been reset. Throws if the proxy thread does not answer in 10 s.
  void sever() {
    std::unique_lock lock(mutex_);
    std::uint64_t ticket = ++sever_requested_;
    wake();
    if (!severed_changed_.wait_for(lock, std::chrono::seconds(10),
                                   [&] { return severed_ >= ticket; })) {
      throw std::runtime_error("TcpProxy: the proxy thread did not sever within 10 s");
    }
  }

  /// How many client connections it has accepted so far (each counted when
  /// accepted, before its first byte is forwarded, and even if the target
  /// then refuses it).
  int accepted() const { return accepted_.load(); }

  /// How many bytes it has written to the target so far, over every
  /// connection: a test waits for it to grow to know that a request has
  /// left the client.
  std::uint64_t bytes_to_server() const { return to_server_bytes_.load(); }

 private:
  /// What one direction may hold before the proxy stops reading from its
  /// source: the source's writes then back up in the kernel, as on a slow
  /// network, instead of in this buffer.
  static constexpr std::size_t kBufferLimit = 256 * 1024;
  /// Bounds the (blocking) connect to the target; loopback answers at once
  /// unless the target's backlog is full.
  static constexpr int kConnectTimeoutSeconds = 5;

  /// A client connection and the proxy's own connection to the target.
  struct Pair {
    int client = -1;
    int server = -1;
    std::vector<char> to_server;  // read from the client, not yet written to the server
    std::vector<char> to_client;  // read from the server, not yet written to the client
    /// One side has closed or failed: nothing more is read, what is
    /// buffered is written where it still can be, then both are closed.
    bool closing = false;
    /// Indices into the poll set; 0 (the wake pipe) when not polled.
    std::size_t client_slot = 0;
    std::size_t server_slot = 0;
  };

  static sockaddr_in loopback(int port) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    return address;
  }

  static void close_quietly(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }

  /// Closes with SO_LINGER 0, which sends a reset instead of an orderly
  /// FIN: the peer's next recv fails with ECONNRESET (or returns 0).
  static void reset(int& fd) {
    if (fd < 0) return;
    linger hard{};
    hard.l_onoff = 1;
    hard.l_linger = 0;
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
    close_quietly(fd);
  }

  /// The proxy forwards what it reads at once; Nagle's algorithm would hold
  /// small writes back for an ACK, and add delays the real path has not.
  static void no_delay(int fd) {
    int on = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  }

  void wake() {
    char byte = 1;
    // A full pipe already holds a wakeup, so a failed write loses nothing.
    if (::write(wake_write_, &byte, 1) < 0) {
    }
  }

  void drain_wake_pipe() {
    char bytes[64];
    while (::read(wake_read_, bytes, sizeof bytes) > 0) {
    }
  }

  /// A connected, non-blocking socket to the target, or -1.
  int connect_to_target() const {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    // On Linux SO_SNDTIMEO bounds a blocking connect too.
    timeval timeout{};
    timeout.tv_sec = kConnectTimeoutSeconds;
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    sockaddr_in address = loopback(target_port_);
    int flags = 0;
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        (flags = ::fcntl(fd, F_GETFL)) < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
      ::close(fd);
      return -1;
    }
    no_delay(fd);
    return fd;
  }

  /// Reads from `from` while `buffer` has room; false once `from` has
  /// closed or failed.
  static bool fill(int from, std::vector<char>& buffer) {
    char chunk[16 * 1024];
    while (buffer.size() < kBufferLimit) {
      std::size_t room = std::min(sizeof chunk, kBufferLimit - buffer.size());
      ssize_t n = ::recv(from, chunk, room, 0);
      if (n > 0) {
        buffer.insert(buffer.end(), chunk, chunk + n);
      } else if (n == 0) {
        return false;
      } else if (errno != EINTR) {
        return errno == EAGAIN || errno == EWOULDBLOCK;
      }
    }
    return true;
  }

  /// Writes what `to` takes of `buffer`; false if `to` has failed, and the
  /// buffer, which can no longer be delivered, is then dropped.
  static bool flush(int to, std::vector<char>& buffer, std::atomic<std::uint64_t>* sent = nullptr) {
    while (!buffer.empty()) {
      // MSG_NOSIGNAL: a peer that has gone is an EPIPE here, not a SIGPIPE
      // that would end the test binary.
      ssize_t n = ::send(to, buffer.data(), buffer.size(), MSG_NOSIGNAL);
      if (n > 0) {
        buffer.erase(buffer.begin(), buffer.begin() + n);
        if (sent != nullptr) sent->fetch_add(static_cast<std::uint64_t>(n));
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        return true;
      } else if (n == 0 || errno != EINTR) {
        buffer.clear();
        return false;
      }
    }
    return true;
  }

  /// The poll events one side of a pair waits for: input while its buffer
  /// has room (and the pair is not closing), output while bytes wait for it.
  static short events(bool closing, const std::vector<char>& in, const std::vector<char>& out) {
    short wanted = 0;
    if (!closing && in.size() < kBufferLimit) wanted |= POLLIN;
    if (!out.empty()) wanted |= POLLOUT;
    return wanted;
  }

  /// Adds `fd` to the poll set if it waits for anything, and returns its
  /// slot (0 if not added: a socket polled for nothing would still report
  /// POLLHUP at once, again and again).
  static std::size_t watch(std::vector<pollfd>& fds, int fd, short wanted) {
    if (wanted == 0) return 0;
    fds.push_back(pollfd{fd, wanted, 0});
    return fds.size() - 1;
  }

  /// Moves what it can between the two sides of `pair`; true when the pair
  /// is done (closing, with nothing left to write) and should be closed.
  static bool pump(Pair& pair, const std::vector<pollfd>& fds,
                   std::atomic<std::uint64_t>& to_server) {
    constexpr short readable = POLLIN | POLLHUP | POLLERR;
    short client_ready = pair.client_slot != 0 ? fds[pair.client_slot].revents : 0;
    short server_ready = pair.server_slot != 0 ? fds[pair.server_slot].revents : 0;
    if (!pair.closing) {
      if ((client_ready & readable) && !fill(pair.client, pair.to_server)) pair.closing = true;
      if ((server_ready & readable) && !fill(pair.server, pair.to_client)) pair.closing = true;
    }
    // Written at once rather than after another poll for POLLOUT: what was
    // just read usually fits in the kernel's buffer, and a full one is only
    // an EAGAIN.
    if (!flush(pair.server, pair.to_server, &to_server)) pair.closing = true;
    if (!flush(pair.client, pair.to_client)) pair.closing = true;
    return pair.closing && pair.to_server.empty() && pair.to_client.empty();
  }

  /// Accepts every connection waiting in the backlog and connects each to
  /// the target; a client whose target refuses is reset, as the server
  /// itself would.
  void accept_all() {
    for (;;) {
      int client = ::accept4(listener_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (client < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        return;  // EAGAIN: the backlog is empty (anything else: next round)
      }
      accepted_.fetch_add(1);
      no_delay(client);
      Pair pair;
      pair.client = client;
      pair.server = connect_to_target();
      if (pair.server < 0) {
        reset(pair.client);
        continue;
      }
      pairs_.push_back(std::move(pair));
    }
  }

  /// Resets every pair and every connection still in the backlog.
  void reset_all() {
    for (auto& pair : pairs_) {
      reset(pair.client);
      reset(pair.server);
    }
    pairs_.clear();
    for (;;) {
      int waiting = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (waiting < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        return;
      }
      reset(waiting);
    }
  }

  void run() {
    std::vector<pollfd> fds;
    for (;;) {
      bool polled_black_holed = false;
      {
        std::lock_guard lock(mutex_);
        if (stopping_) break;
        polled_black_holed = black_holed_;
      }
      // The wake pipe is always slot 0; black-holed, nothing else is polled,
      // so no byte is read, written or accepted.
      fds.clear();
      fds.push_back(pollfd{wake_read_, POLLIN, 0});
      if (!polled_black_holed) {
        fds.push_back(pollfd{listener_, POLLIN, 0});
        for (auto& pair : pairs_) {
          pair.client_slot =
              watch(fds, pair.client, events(pair.closing, pair.to_server, pair.to_client));
          pair.server_slot =
              watch(fds, pair.server, events(pair.closing, pair.to_client, pair.to_server));
        }
      }
      // No timeout needed: every change of state, and the destructor, write
      // to the wake pipe, and a pipe's readiness cannot be missed. Errors
      // other than EINTR cannot happen with this set (and are retried).
      if (::poll(fds.data(), static_cast<nfds_t>(fds.size()), -1) < 0) continue;
      if (fds[0].revents != 0) drain_wake_pipe();

      // Bytes move only under the lock, and only if not black-holed now:
      // black_hole() takes the same lock, so once it returns nothing moves,
      // even though this round's poll began before it.
      std::lock_guard lock(mutex_);
      if (stopping_) break;
      if (severed_ != sever_requested_) {
        reset_all();
        severed_ = sever_requested_;
        severed_changed_.notify_all();
        continue;
      }
      if (black_holed_ || polled_black_holed) continue;  // the poll set is stale
      for (auto& pair : pairs_) {
        if (pump(pair, fds, to_server_bytes_)) {
          close_quietly(pair.client);
          close_quietly(pair.server);
        }
      }
      std::erase_if(pairs_, [](const Pair& pair) { return pair.client < 0; });
      if (fds[1].revents != 0) accept_all();
    }
    // Stopping: an orderly close of what is open; the listener and the
    // backlog go with the destructor's close of the listening socket.
    for (auto& pair : pairs_) {
      close_quietly(pair.client);
      close_quietly(pair.server);
    }
    pairs_.clear();
  }

  const int target_port_;
  int port_ = 0;
  int listener_ = -1;
  int wake_read_ = -1;
  int wake_write_ = -1;
  std::atomic<int> accepted_{0};
  std::atomic<std::uint64_t> to_server_bytes_{0};

  std::mutex mutex_;
  std::condition_variable severed_changed_;
  bool black_holed_ = false;           // guarded by mutex_
  bool stopping_ = false;              // guarded by mutex_
  std::uint64_t sever_requested_ = 0;  // guarded by mutex_
  std::uint64_t severed_ = 0;          // guarded by mutex_

  std::vector<Pair> pairs_;  // the proxy thread's alone
  std::thread thread_;       // last: started once everything above is set
};

}  // namespace surreal::test_support
