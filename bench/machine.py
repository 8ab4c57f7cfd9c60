"""Shared by the benchmarks: what machine the figures come from, and how to summarise timings.

Not a benchmark itself (`make bench` runs `bench/bench_*.py` only).
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
from datetime import UTC, datetime
from pathlib import Path


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def describe() -> str:
    """One line: date, cores, CPU model, Python, and the load (other work skews the figures)."""
    cores = os.cpu_count() or 0
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC | {cores} cores ({usable} usable) | "
        f"{cpu_model()} | Python {platform.python_version()} ({sys.implementation.name}) | "
        f"{platform.system()} {platform.release()} | load average {load}"
    )


def banner(title: str) -> None:
    print(f"== {title}")
    print(f"machine: {describe()}")


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of `values` (seconds in, seconds out)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]


def latency_line(values: list[float]) -> str:
    """`p50 0.18 ms, p99 0.91 ms, max 2.3 ms` for per-item timings in seconds."""
    return (
        f"p50 {percentile(values, 0.50) * 1000:.3f} ms, "
        f"p99 {percentile(values, 0.99) * 1000:.3f} ms, "
        f"max {max(values) * 1000:.3f} ms, mean {statistics.fmean(values) * 1000:.3f} ms"
    )


def verdict(measured: float, target: float, *, higher_is_better: bool, unit: str) -> str:
    """`target >= 5,000 turns/s: met (measured/target = 1.40)`; never an exit status."""
    met = measured >= target if higher_is_better else measured <= target
    sign = ">=" if higher_is_better else "<="
    word = "met" if met else "MISSED"
    return f"target {sign} {target:,.6g} {unit}: {word} (measured/target = {measured / target:.2f})"
