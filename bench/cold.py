"""Cold start of two tokenvend trees and the naive function, interleaved (A B C A B C …).

For cold-start work: copy the tree as it was to another folder, change this one, and
compare. Reports spawn → first token and the first request's own latency (from the
function's log line), medians over ``--runs``.

    python -m bench.cold --before /tmp/before [--runs 9]
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

from bench.common import ROOT, Fakes, first_token, start_function


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", type=Path, required=True, help="a copy of the old tree")
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    trees = {"before": args.before.resolve(), "after": ROOT}
    spawn: dict[str, list[float]] = {name: [] for name in (*trees, "naive")}
    first_request: dict[str, list[float]] = {name: [] for name in trees}
    fakes = Fakes.start()
    try:
        for round_number in range(args.runs + 1):
            for name in spawn:
                if name == "naive":
                    function = start_function("naive", fakes)
                else:
                    function = start_function("tokenvend", fakes, tree=trees[name])
                try:
                    seconds = first_token(function)
                finally:
                    function.stop()
                log = function.log_path.read_text(encoding="utf-8").splitlines()
                function.log_path.unlink()
                if not round_number:
                    continue  # warms the page cache and .pyc files
                spawn[name].append(seconds * 1000)
                if name in first_request:
                    entry = next(json.loads(line) for line in log if '"latency_ms"' in line)
                    first_request[name].append(entry["latency_ms"])
    finally:
        fakes.stop()
    print(f"cold start, median of {args.runs} interleaved runs (ms)\n")
    print("| tree | spawn → first token | first request's own latency | ratio to naive |")
    print("|---|---:|---:|---:|")
    naive = spawn["naive"]
    for name in spawn:
        ratios = [a / b for a, b in zip(spawn[name], naive, strict=True)]
        request = f"{statistics.median(first_request[name]):.1f}" if name in trees else ""
        print(
            f"| {name} | {statistics.median(spawn[name]):.0f} | {request} | "
            f"{statistics.median(ratios):.2f}× |"
        )


if __name__ == "__main__":
    main()
