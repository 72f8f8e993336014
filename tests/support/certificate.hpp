// A self-signed certificate for 127.0.0.1, for a TestServer that serves
// wss://, grpcs:// and https://, made with the openssl command. Not a CA
// (openssl's default for -x509 is CA:TRUE): rustls, grpcs://'s TLS, refuses
// a CA certificate as a server's own, where OpenSSL takes either.
#pragma once

#include <cstdlib>
#include <stdexcept>
#include <string>

#include "support/temp_dir.hpp"

namespace surreal::test_support {

struct Certificate {
  Certificate() {
    std::string command = "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1"
                          " -addext subjectAltName=IP:127.0.0.1"
                          " -addext basicConstraints=critical,CA:FALSE -keyout " +
                          key + " -out " + certificate + " 2>/dev/null";
    if (std::system(command.c_str()) != 0) throw std::runtime_error("openssl req failed");
  }
  TempDir dir;
  std::string certificate = dir / "cert.pem";
  std::string key = dir / "key.pem";
};

}  // namespace surreal::test_support
