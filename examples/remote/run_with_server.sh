#!/usr/bin/env bash
# Runs example_remote against a SurrealDB server of its own, for ctest:
#
#   run_with_server.sh SERVER EXAMPLE SCHEME...
#
# starts SERVER (surreal-test-server, the official server) on a free
# loopback port with root credentials and an in-memory store, waits until it
# accepts connections, runs `EXAMPLE SCHEME://127.0.0.1:PORT root PASSWORD`
# for each SCHEME (ws, http), and stops the server whatever happens. Exits
# with the first failing run's status.
set -u
server=$1
example=$2
shift 2
user=root
password=example-root-pass

listening() {  # bash's /dev/tcp: is something accepting on port $1?
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

pid=
stop_server() {
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    pid=
  fi
}
trap stop_server EXIT

# A port nothing listens on; if another process takes it first, the server
# exits at start and the next port is tried.
port=$((20000 + RANDOM % 20000))
for attempt in $(seq 10); do
  port=$((port + attempt))
  listening "$port" && continue
  "$server" start --bind "127.0.0.1:$port" --user "$user" --pass "$password" \
    --log error memory >/dev/null &
  pid=$!
  for _ in $(seq 600); do  # at most 60 s: a cold start of a debug build is slow
    kill -0 "$pid" 2>/dev/null || break
    listening "$port" && break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null && listening "$port"; then
    break
  fi
  stop_server
done
if [ -z "$pid" ]; then
  echo "run_with_server.sh: could not start $server" >&2
  exit 1
fi

for scheme in "$@"; do
  "$example" "$scheme://127.0.0.1:$port" "$user" "$password" || exit $?
done
