#!/usr/bin/env bash
# Installs what building and testing surrealcpp needs on Debian 12, skipping
# whatever is already there. Needs root (or sudo) for apt-get; without it,
# prints the command to run instead.
set -euo pipefail

# Debian packages: compilers and build tools, libclang for RocksDB's bindgen
# (clang and its runtime also build the fuzz target),
# cbindgen for the C header, nlohmann-json for documents, libcbor for the CBOR
# in which values cross the C ABI, GoogleTest for the tests, standalone Asio
# (headers only) for the test of the Asio adapter, CLI11 for the CLI's
# arguments and libedit for its shell's line editing, OpenSSL (libssl-dev)
# for wss:// and https://, the openssl command for the TLS tests'
# certificates, Doxygen for the API reference (scripts/docs.sh), and
# binutils' readelf and nm for the package tests.
packages=(
  g++ cmake make pkg-config
  clang libclang-dev libclang-rt-14-dev
  cbindgen
  nlohmann-json3-dev
  libcbor-dev
  libgtest-dev libgmock-dev
  libasio-dev
  libcli11-dev libedit-dev
  libssl-dev openssl
  doxygen binutils
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  if [[ $(id -u) -eq 0 ]]; then
    sudo=()
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo=(sudo)
  else
    echo "install-deps: cannot install packages without root. Run:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null && [[ -x "$HOME/.cargo/bin/cargo" ]]; then
  export PATH="$HOME/.cargo/bin:$PATH"
fi
if ! command -v cargo >/dev/null; then
  echo "install-deps: Rust (cargo 1.85 or newer) is required: install it with rustup, then run this again" >&2
  exit 1
fi

# Parallel build jobs: one per core unless SURREALCPP_JOBS says otherwise.
# Never unbounded: every test program links the Rust core statically, and one
# such Debug link takes about 2.5 GB, so `make -j` with no limit runs out of
# memory.
build_jobs=${SURREALCPP_JOBS:-$(nproc)}
