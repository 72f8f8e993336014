#!/usr/bin/env python3
"""Builds both benchmark harnesses in release mode and runs them back to back.

    python3 bench/run.py [--repeats N] [--scale F] [--mem W1,...] [--rocksdb W2,...]
                         [--surrealkv W2,...] [--remote R1,...] [--protocols ws,grpc]
                         [--build-dir DIR] [--no-build] [--no-layers] [--no-node]
                         [--node-peer DIR]

Runs bench-cpp and bench-rust alternately, N times each, on mem:// (W1-W9),
then on RocksDB (W2, W5, W8) and on SurrealKV (W2, W5, W8), then the remote
workloads (R1, R3, R6, R7) against a release surreal-test-server (memory
store, root/root) that it starts on a free loopback port: over WebSocket and
over gRPC, each harness through its own client (bench-rust through the
SDK's engines). It prints for
each workload the median ops/s of each side with the spread (min-max), the
ratio C++/Rust of the medians, and the largest peak resident memory of each
process; under the table, W9's latency from send to delivery (the medians of
each run's p50 and p99, in µs); then what one call costs in each layer
(bench-layers).

When `node` is on PATH (and --no-node is not given), the reference harness of
the official Node.js engine runs in the same rounds as a third column, with
the ratio C++/Node: its bench.mjs, package.json and package-lock.json are
copied from --node-peer (default: shared/peers/node beside the repository,
<repo>/../shared/peers/node) into ~/.cache/surrealcpp/node-peer, never into
the project, where `npm ci` runs once (again when the lock file changes). It
runs only the workloads it knows (its own `ALL` list; W1-W7 in v1), always at
full size (it has no --scale); the others show "—". It reports no memory per
workload: a line under the table gives its whole process's peak.

With --no-build, the harnesses are taken from --build-dir as it was built:
the Rust one from the cargo target directory and profile its CMake cache
names (so a Debug build dir works too, for checking this script), and the
test server from the same place.
"""
import argparse
import contextlib
import hashlib
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULT = re.compile(r"^([WR]\d) ops_per_s=([\d.]+) n=(\d+) engine=(\w+)"
                    r"(?: p50_us=([\d.]+) p99_us=([\d.]+))?$")
PEAK = re.compile(r"^([WR]\d) peak_rss_kb=(\d+)$")
NODE_PEER_FILES = ("bench.mjs", "package.json", "package-lock.json")
NODE_PEER_CACHE = os.path.expanduser("~/.cache/surrealcpp/node-peer")
MISSING = "—"


def build(build_dir, cargo_target_dir):
    subprocess.run(["cmake", "-S", ROOT, "-B", build_dir, "-DCMAKE_BUILD_TYPE=Release",
                    f"-DSURREALCPP_CARGO_TARGET_DIR={cargo_target_dir}",
                    "-DSURREALCPP_BUILD_TESTS=OFF", "-DSURREALCPP_BUILD_EXAMPLES=OFF"],
                   check=True, stdout=subprocess.DEVNULL)
    # One job per core, as scripts/install-deps.sh has it: `--parallel` alone
    # means no limit, and each link of the Rust core takes gigabytes.
    jobs = os.environ.get("SURREALCPP_JOBS") or str(os.cpu_count() or 1)
    subprocess.run(["cmake", "--build", build_dir, "--parallel", jobs, "--target", "bench-cpp",
                    "bench-rust", "bench-layers"], check=True)
    # The server of the remote workloads, in the same profile (the tests'
    # CMake target for it is not part of a benchmark build).
    profile = cache_entry(build_dir, "SURREALCPP_CARGO_PROFILE")
    subprocess.run(["cargo", "build", "--locked", "--profile", profile, "-p",
                    "surreal-test-server"], cwd=os.path.join(ROOT, "rust"), check=True,
                   env=dict(os.environ, CARGO_TARGET_DIR=cargo_target_dir))


def cache_entry(build_dir, name):
    """The value of `name` in build_dir's CMake cache, or None."""
    with open(os.path.join(build_dir, "CMakeCache.txt")) as cache:
        for line in cache:
            if line.startswith(name + ":"):
                return line.split("=", 1)[1].strip()
    return None


def rust_binary(build_dir, name="bench-rust"):
    """A cargo binary where build_dir's build put it (cmake/RustCore.cmake's cargo profile)."""
    target_dir = cache_entry(build_dir, "SURREALCPP_CARGO_TARGET_DIR")
    profile = cache_entry(build_dir, "SURREALCPP_CARGO_PROFILE")
    if target_dir is None or profile is None:
        raise SystemExit("SURREALCPP_CARGO_TARGET_DIR or SURREALCPP_CARGO_PROFILE is not in "
                         "the CMake cache")
    return os.path.join(target_dir, "debug" if profile == "dev" else profile, name)


class Server:
    """A surreal-test-server with a memory store on a free loopback port, for
    the remote workloads; stopped on exit from the `with` block."""

    def __init__(self, binary):
        self.binary = binary

    def __enter__(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.log = tempfile.TemporaryFile("w+")
        self.process = subprocess.Popen(
            [self.binary, "start", "--bind", f"127.0.0.1:{self.port}", "--user", "root",
             "--pass", "root", "memory"], stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.log.seek(0)
                raise SystemExit(f"surreal-test-server exited:\n{self.log.read()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.1)
        self.__exit__()
        raise SystemExit("surreal-test-server did not listen within 60 s")

    def url(self, scheme):
        return f"{scheme}://127.0.0.1:{self.port}"

    def __exit__(self, *_):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def file_digest(path):
    with open(path, "rb") as file:
        return hashlib.sha256(file.read()).hexdigest()


def node_peer_workloads(source):
    """The workloads the Node peer in `source` knows: its bench.mjs's `ALL`,
    and the keys of its `REMOTE` (which it runs over WebSocket only)."""
    with open(os.path.join(source, "bench.mjs")) as script:
        text = script.read()
    known = re.search(r"const ALL = \[([^\]]*)\]", text)
    if known is None:
        raise SystemExit(f"no `const ALL = [...]` in {source}/bench.mjs: "
                         "which workloads does the Node peer run?")
    remote = re.search(r"const REMOTE = \{([^}]*)\}", text)
    return (re.findall(r'"(W\d+)"', known[1]),
            re.findall(r"(R\d+):", remote[1]) if remote else [])


def prepare_node_peer(source):
    """Copies the Node peer into NODE_PEER_CACHE and runs `npm ci` there when
    node_modules is missing or was installed from another package-lock.json.
    Answers the cache directory."""
    for name in NODE_PEER_FILES:
        if not os.path.isfile(os.path.join(source, name)):
            raise SystemExit(f"the Node peer has no {name} in {source} "
                             "(--node-peer DIR, or --no-node)")
    os.makedirs(NODE_PEER_CACHE, exist_ok=True)
    for name in NODE_PEER_FILES:
        shutil.copyfile(os.path.join(source, name), os.path.join(NODE_PEER_CACHE, name))
    stamp = os.path.join(NODE_PEER_CACHE, ".installed-lock-sha256")
    digest = file_digest(os.path.join(NODE_PEER_CACHE, "package-lock.json"))
    installed = open(stamp).read().strip() if os.path.isfile(stamp) else None
    if not os.path.isdir(os.path.join(NODE_PEER_CACHE, "node_modules")) or installed != digest:
        print(f"npm ci in {NODE_PEER_CACHE}", file=sys.stderr, flush=True)
        done = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=NODE_PEER_CACHE,
                              stdout=sys.stderr)
        if done.returncode != 0:
            raise SystemExit(f"npm ci failed in {NODE_PEER_CACHE} (--no-node to run without it)")
        with open(stamp, "w") as file:
            file.write(digest + "\n")
    return NODE_PEER_CACHE


def run_once(command, cwd=None):
    """Runs a harness; answers {workload: ops/s}, {workload: peak kB},
    {workload: (p50 µs, p99 µs)} and the whole process's peak RSS in kB."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen(command, stdout=out, stderr=err, cwd=cwd, text=True)
        # wait4 rather than wait: it gives this child's own peak RSS.
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if process.returncode != 0:
        sys.stderr.write(stderr)
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode})")
    rates, peaks, latencies = {}, {}, {}
    for line in stdout.splitlines():
        if match := RESULT.match(line.strip()):
            rates[match[1]] = float(match[2])
            if match[5] is not None:
                latencies[match[1]] = (float(match[5]), float(match[6]))
    for line in stderr.splitlines():
        if match := PEAK.match(line.strip()):
            peaks[match[1]] = int(match[2])
    return rates, peaks, latencies, usage.ru_maxrss


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--build-dir", default=os.path.join(ROOT, "build-release"))
    parser.add_argument("--cargo-target-dir",
                        default=os.path.expanduser("~/.cache/surrealcpp/target"),
                        help="for the build: the one the tests use, whose Rust core every "
                             "build type shares (with --no-build, the build dir's own is used)")
    parser.add_argument("--mem", default="W1,W2,W3,W4,W5,W6,W7,W8,W9",
                        help="workloads on mem:// (W3 needs W2's records, W6 W5's)")
    parser.add_argument("--rocksdb", default="W2,W5,W8",
                        help="workloads on RocksDB ('' for none)")
    parser.add_argument("--surrealkv", default="W2,W5,W8",
                        help="workloads on SurrealKV ('' for none)")
    parser.add_argument("--remote", default="R1,R3,R6,R7",
                        help="workloads against a server ('' for none)")
    parser.add_argument("--protocols", default="ws,grpc",
                        help="the protocols the remote workloads run over")
    parser.add_argument("--no-build", action="store_true")
    parser.add_argument("--no-layers", action="store_true",
                        help="skip the per-layer cost breakdown (bench-layers) after the table")
    parser.add_argument("--no-node", action="store_true",
                        help="do not run the Node.js peer even when node is on PATH")
    parser.add_argument("--node-peer",
                        default=os.path.normpath(os.path.join(ROOT, "..", "shared", "peers",
                                                              "node")),
                        help="the Node.js peer's directory (bench.mjs, package.json, "
                             "package-lock.json); copied to " + NODE_PEER_CACHE)
    args = parser.parse_args()

    if not args.no_build:
        build(args.build_dir, args.cargo_target_dir)
    # side -> (command before `<engine> <workloads>`, its working directory)
    sides = {
        "C++": ([os.path.join(args.build_dir, "bench", "bench-cpp")], None),
        "Rust": ([rust_binary(args.build_dir)], None),
    }
    # (label, what the harness is given: an engine's name or a server's URL, workloads)
    plan = [(engine, engine, workloads) for engine, workloads in
            (("mem", args.mem), ("rocksdb", args.rocksdb), ("surrealkv", args.surrealkv))
            if workloads]
    remote_labels = [protocol for protocol in args.protocols.split(",") if protocol]
    node_knows = {}  # label -> the workloads the Node peer runs there
    if not args.no_node and shutil.which("node") and shutil.which("npm"):
        if not os.path.isfile(os.path.join(args.node_peer, "bench.mjs")):
            raise SystemExit(f"no Node peer in {args.node_peer} (--node-peer DIR, or --no-node)")
        local, remote = node_peer_workloads(args.node_peer)
        node_knows = {label: local for label, _, _ in plan}
        node_knows["ws"] = remote  # its own WebSocket engine; it has no gRPC
        wanted = [(label, workloads) for label, _, workloads in plan]
        wanted += [(label, args.remote) for label in remote_labels if args.remote]
        if any(w in node_knows.get(label, []) for label, workloads in wanted
               for w in workloads.split(",")):
            sides["Node"] = (["node", "bench.mjs"], prepare_node_peer(args.node_peer))
    elif not args.no_node:
        print("note: node (or npm) is not on PATH: no Node.js column", file=sys.stderr)
    rates = {}  # (engine, workload, side) -> [ops/s]
    peaks = {}  # (engine, workload, side) -> max kB
    latencies = {}  # (engine, workload, side) -> [(p50 µs, p99 µs)]
    process_peaks = {}  # (engine, side) -> max kB of the whole process
    with contextlib.ExitStack() as stack:
        if args.remote and remote_labels:
            server = stack.enter_context(
                Server(rust_binary(args.build_dir, "surreal-test-server")))
            plan += [(label, server.url(label), args.remote) for label in remote_labels]
        for repeat in range(args.repeats):
            for engine, target, workloads in plan:
                for side, (command, cwd) in sides.items():
                    if side == "Node":
                        mine = ",".join(w for w in workloads.split(",")
                                        if w in node_knows.get(engine, []))
                        if not mine:
                            continue
                        command = command + [target, mine]
                    else:
                        mine = workloads
                        command = command + [target, mine, "--scale", str(args.scale)]
                    print(f"run {repeat + 1}/{args.repeats}: {side} {engine} {mine}",
                          file=sys.stderr, flush=True)
                    got_rates, got_peaks, got_latencies, process_peak = run_once(command, cwd)
                    for workload, rate in got_rates.items():
                        rates.setdefault((engine, workload, side), []).append(rate)
                    for workload, peak in got_peaks.items():
                        key = (engine, workload, side)
                        peaks[key] = max(peaks.get(key, 0), peak)
                    for workload, pair in got_latencies.items():
                        latencies.setdefault((engine, workload, side), []).append(pair)
                    process_peaks[(engine, side)] = max(process_peaks.get((engine, side), 0),
                                                        process_peak)

    print(f"\n{args.repeats} runs each, scale {args.scale}; medians (min-max) in ops/s, "
          "peak RSS in MiB")
    if (cache_entry(args.build_dir, "CMAKE_BUILD_TYPE") or "") in ("", "Debug"):
        print(f"({args.build_dir} is a Debug build: these figures say nothing of performance)")
    if "Node" in sides and args.scale != 1.0:
        print(f"(the Node peer has no --scale: it ran the full sizes, not {args.scale} of them)")
    ratios = [("C++", "Rust")] + ([("C++", "Node")] if "Node" in sides else [])
    memory_sides = ("C++", "Rust")  # those that report it per workload
    header = (["workload", "engine"] + list(sides) + [f"{a}/{b}" for a, b in ratios]
              + [f"{side} MiB" for side in memory_sides])
    rows = []
    for engine, _, workloads in plan:
        for workload in workloads.split(","):
            cells = [workload, engine]
            medians = {}
            for side in sides:
                values = rates.get((engine, workload, side), [])
                if not values:
                    cells.append(MISSING)
                    continue
                medians[side] = statistics.median(values)
                cells.append(f"{medians[side]:,.0f} ({min(values):,.0f}-{max(values):,.0f})")
            for a, b in ratios:
                cells.append(f"{medians[a] / medians[b]:.2f}" if medians.get(a) and medians.get(b)
                             else MISSING)
            for side in memory_sides:
                peak = peaks.get((engine, workload, side))
                cells.append(f"{peak / 1024:.0f}" if peak is not None else MISSING)
            rows.append(cells)
    widths = [max(len(str(row[i])) for row in rows + [header]) for i in range(len(header))]
    for row in [header] + rows:
        print("| " + " | ".join(str(cell).ljust(width) for cell, width in zip(row, widths)) + " |")

    for engine, _, workloads in plan:
        for workload in workloads.split(","):
            measured = [(side, latencies[(engine, workload, side)]) for side in sides
                        if (engine, workload, side) in latencies]
            if measured:
                print(f"{workload} {engine}, latency from send to delivery (medians of the "
                      "runs' p50 and p99, in µs): " + "; ".join(
                          f"{side} p50 {statistics.median(p50 for p50, _ in pairs):,.1f} "
                          f"p99 {statistics.median(p99 for _, p99 in pairs):,.1f}"
                          for side, pairs in measured))
    if "Node" in sides:
        print("Node peer, peak RSS of its whole process (it reports none per workload): " +
              ", ".join(f"{engine} {process_peaks[(engine, 'Node')] / 1024:.0f} MiB"
                        for engine, _, _ in plan if (engine, "Node") in process_peaks))

    if not args.no_layers:
        print("\nWhere the time goes (bench-layers):", flush=True)
        subprocess.run([os.path.join(args.build_dir, "bench", "bench-layers")], check=True)


if __name__ == "__main__":
    main()
