// A SurrealDB server for the tests: surreal-test-server (tests/server), the
// official server, started on 127.0.0.1 with a free port, root credentials
// and an in-memory store, and stopped by the test. Every wait is bounded.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace surreal::test_support {

#ifndef SURREAL_TEST_SERVER_PATH
#error "SURREAL_TEST_SERVER_PATH must name the surreal-test-server binary"
#endif

class TestServer {
 public:
  static constexpr const char* user = "root";
  /// The root user the server starts with (the same as the embedded
  /// suites' secured datastores use).
  static constexpr const char* pass = "s3cret-root";

  /// TLS: the certificate and key files to serve wss:// and https:// with.
  struct Tls {
    std::string certificate, key;
  };

  /// Starts the server on a free loopback port; throws if it is not
  /// accepting connections within 60 s. `store` is the server's: "memory",
  /// or "surrealkv://DIR" for data that outlives a kill and a start.
  explicit TestServer(std::optional<Tls> tls = std::nullopt, std::string store = "memory")
      : tls_(std::move(tls)), store_(std::move(store)) {
    port_ = free_port();
    start();
  }
  ~TestServer() { stop(); }
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  int port() const { return port_; }
  /// "ws://127.0.0.1:PORT" for scheme "ws", and so on.
  std::string url(const std::string& scheme) const {
    return scheme + "://127.0.0.1:" + std::to_string(port_);
  }
  bool running() const { return pid_ > 0; }

  /// SIGKILL, as a crash or a pulled plug: no goodbye to any client.
  void kill() { end(SIGKILL); }
  /// SIGTERM, then SIGKILL if it has not gone within 10 s. Answers whether
  /// it went by itself (a graceful stop), not killed after the 10 s.
  bool stop() { return end(SIGTERM); }
  /// Starts it again on the same port (with a fresh, empty store in memory;
  /// with the same data in a SurrealKV store).
  void start() {
    if (running()) return;
    std::vector<std::string> args = {SURREAL_TEST_SERVER_PATH, "start",
                                     "--bind", "127.0.0.1:" + std::to_string(port_),
                                     "--user", user,
                                     "--pass", pass,
                                     "--log", "error"};
    if (tls_) {
      args.insert(args.end(), {"--web-crt", tls_->certificate, "--web-key", tls_->key});
    }
    args.push_back(store_);
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      int null = open("/dev/null", O_WRONLY);
      if (null >= 0) dup2(null, STDOUT_FILENO);
      execv(argv[0], argv.data());
      _exit(127);
    }
    wait_until_listening();
  }

 private:
  /// A port the kernel has just handed out, and released: free unless some
  /// other process takes it in between (start() then fails to listen, and
  /// says so).
  static int free_port() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    socklen_t length = sizeof address;
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      if (fd >= 0) close(fd);
      throw std::runtime_error("no free loopback port");
    }
    close(fd);
    return ntohs(address.sin_port);
  }

  bool accepts_connections() const {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return false;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<std::uint16_t>(port_));
    bool connected = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    close(fd);
    return connected;
  }

  /// Polls for the listening socket, every 20 ms for at most 60 s (a cold
  /// start of the debug build under a sanitizer takes a few seconds).
  void wait_until_listening() {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("surreal-test-server exited at start (port " +
                                 std::to_string(port_) + " taken?)");
      }
      if (accepts_connections()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    end(SIGKILL);
    throw std::runtime_error("surreal-test-server did not listen within 60 s");
  }

  /// Sends `signal`, and waits for the server to exit; answers false if it
  /// had to be killed after 10 s.
  bool end(int signal) {
    if (!running()) return true;
    ::kill(pid_, signal);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    int status = 0;
    while (waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        pid_ = -1;
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    pid_ = -1;
    return true;
  }

  std::optional<Tls> tls_;
  std::string store_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace surreal::test_support
