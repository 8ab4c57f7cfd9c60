"""`billbot --help` wall time: a new process each run, as a user types it. Target: <= 0.3 s.

Runs `.venv/bin/billbot --help` (or the `billbot` beside this Python) N times after one
warm-up run, and prints the best and the median. Also reports what `python -X importtime`
says are the slowest imports, so a regression points at its cause.

    .venv/bin/python bench/bench_cli.py [--runs 10] [--imports 8]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from machine import banner, verdict

TARGET_SECONDS = 0.3
ROOT = Path(__file__).resolve().parent.parent


def billbot() -> str:
    for candidate in (ROOT / ".venv" / "bin" / "billbot", Path(sys.executable).parent / "billbot"):
        if candidate.exists():
            return str(candidate)
    found = shutil.which("billbot")
    if found is None:
        sys.exit("no billbot command: run `make install` first")
    return found


def run_once(command: list[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    spent = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stderr}")
    return spent


def slowest_imports(count: int) -> list[tuple[int, str]]:
    """(cumulative microseconds, module) of `bot.cli` and its slowest direct imports."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import bot.cli"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    rows = []
    for line in done.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) != 3 or not parts[1].strip().isdigit():
            continue
        depth = (len(parts[2]) - len(parts[2].lstrip()) - 1) // 2
        if depth <= 1:  # `bot.cli` and what it imports itself
            rows.append((int(parts[1]), parts[2].strip()))
    return sorted(rows, reverse=True)[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--imports", type=int, default=8, help="slowest imports to show")
    args = parser.parse_args()
    banner("bench_cli: billbot --help wall time")
    command = [billbot(), "--help"]
    run_once(command)  # warm-up: the page cache and .pyc files
    times = [run_once(command) for _ in range(args.runs)]
    python = [run_once([sys.executable, "-c", "pass"]) for _ in range(args.runs)]
    print(f"command: {' '.join(command)}")
    print(
        f"{args.runs} runs: best {min(times) * 1000:.0f} ms, median "
        f"{statistics.median(times) * 1000:.0f} ms, worst {max(times) * 1000:.0f} ms "
        f"(a bare `python -c pass`: best {min(python) * 1000:.0f} ms)"
    )
    print("best:   " + verdict(min(times), TARGET_SECONDS, higher_is_better=False, unit="s"))
    print(
        "median: "
        + verdict(statistics.median(times), TARGET_SECONDS, higher_is_better=False, unit="s")
    )
    if args.imports:
        print("slowest imports of `import bot.cli` (python -X importtime, cumulative):")
        for us, name in slowest_imports(args.imports):
            print(f"  {us / 1000:7.1f} ms  {name}")


if __name__ == "__main__":
    main()
