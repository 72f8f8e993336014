#!/usr/bin/env python3
"""Builds both benchmark harnesses in release mode and runs them back to back.

    python3 bench/run.py [--repeats N] [--scale F] [--mem W1,...] [--rocksdb W2,...]
                         [--build-dir DIR] [--no-build] [--no-layers]

Runs bench-cpp and bench-rust alternately, N times each, on mem:// (W1-W7)
and then on RocksDB (W2, W5), and prints for each workload the median ops/s
of each side with the spread (min-max), the ratio C++/Rust of the medians,
and the largest peak resident memory of each process; then what one call
costs in each layer (bench-layers).
"""
import argparse
import os
import re
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULT = re.compile(r"^(W\d) ops_per_s=([\d.]+) n=(\d+) engine=(\w+)$")
PEAK = re.compile(r"^(W\d) peak_rss_kb=(\d+)$")


def build(build_dir, cargo_target_dir):
    subprocess.run(["cmake", "-S", ROOT, "-B", build_dir, "-DCMAKE_BUILD_TYPE=Release",
                    f"-DSURREALCPP_CARGO_TARGET_DIR={cargo_target_dir}",
                    "-DSURREALCPP_BUILD_TESTS=OFF", "-DSURREALCPP_BUILD_EXAMPLES=OFF"],
                   check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "--build", build_dir, "--parallel", "--target", "bench-cpp",
                    "bench-rust", "bench-layers"], check=True)


def cargo_target_dir(build_dir):
    with open(os.path.join(build_dir, "CMakeCache.txt")) as cache:
        for line in cache:
            if line.startswith("SURREALCPP_CARGO_TARGET_DIR:"):
                return line.split("=", 1)[1].strip()
    raise SystemExit("SURREALCPP_CARGO_TARGET_DIR not found in the CMake cache")


def run_once(binary, engine, workloads, scale):
    command = [binary, engine, workloads, "--scale", str(scale)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode})")
    rates, peaks = {}, {}
    for line in done.stdout.splitlines():
        if match := RESULT.match(line.strip()):
            rates[match[1]] = float(match[2])
    for line in done.stderr.splitlines():
        if match := PEAK.match(line.strip()):
            peaks[match[1]] = int(match[2])
    return rates, peaks


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--build-dir", default=os.path.join(ROOT, "build-release"))
    parser.add_argument("--cargo-target-dir",
                        default=os.path.expanduser("~/.cache/surrealcpp/target-release"),
                        help="kept apart from the debug builds' so that both can build at once")
    parser.add_argument("--mem", default="W1,W2,W3,W4,W5,W6,W7",
                        help="workloads on mem:// (W3 needs W2's records, W6 W5's)")
    parser.add_argument("--rocksdb", default="W2,W5", help="workloads on RocksDB ('' for none)")
    parser.add_argument("--no-build", action="store_true")
    parser.add_argument("--no-layers", action="store_true",
                        help="skip the per-layer cost breakdown (bench-layers) after the table")
    args = parser.parse_args()

    if not args.no_build:
        build(args.build_dir, args.cargo_target_dir)
    sides = {
        "C++": os.path.join(args.build_dir, "bench", "bench-cpp"),
        "Rust": os.path.join(cargo_target_dir(args.build_dir), "release", "bench-rust"),
    }
    plan = [(engine, workloads) for engine, workloads in
            (("mem", args.mem), ("rocksdb", args.rocksdb)) if workloads]
    rates = {}  # (engine, workload, side) -> [ops/s]
    peaks = {}  # (engine, workload, side) -> max kB
    for repeat in range(args.repeats):
        for engine, workloads in plan:
            for side, binary in sides.items():
                print(f"run {repeat + 1}/{args.repeats}: {side} {engine} {workloads}",
                      file=sys.stderr, flush=True)
                got_rates, got_peaks = run_once(binary, engine, workloads, args.scale)
                for workload, rate in got_rates.items():
                    rates.setdefault((engine, workload, side), []).append(rate)
                for workload, peak in got_peaks.items():
                    key = (engine, workload, side)
                    peaks[key] = max(peaks.get(key, 0), peak)

    print(f"\n{args.repeats} runs each, scale {args.scale}; medians (min-max) in ops/s, "
          "peak RSS in MiB")
    header = ("workload", "engine", "C++", "Rust", "C++/Rust", "C++ MiB", "Rust MiB")
    rows = []
    for engine, workloads in plan:
        for workload in workloads.split(","):
            cells = [workload, engine]
            medians = {}
            for side in sides:
                values = rates.get((engine, workload, side), [])
                if not values:
                    cells.append("-")
                    continue
                medians[side] = statistics.median(values)
                cells.append(f"{medians[side]:,.0f} ({min(values):,.0f}-{max(values):,.0f})")
            ratio = medians.get("C++", 0) / medians["Rust"] if medians.get("Rust") else 0
            cells.append(f"{ratio:.2f}")
            for side in sides:
                cells.append(f"{peaks.get((engine, workload, side), 0) / 1024:.0f}")
            rows.append(cells)
    widths = [max(len(str(row[i])) for row in rows + [header]) for i in range(len(header))]
    for row in [header] + rows:
        print("| " + " | ".join(str(cell).ljust(width) for cell, width in zip(row, widths)) + " |")

    if not args.no_layers:
        print("\nWhere the time goes (bench-layers):", flush=True)
        subprocess.run([os.path.join(args.build_dir, "bench", "bench-layers")], check=True)


if __name__ == "__main__":
    main()
