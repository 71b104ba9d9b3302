"""Draws bench.png from bench.json; runs in .venv-bench (matplotlib), apart from the product.

.venv-bench/bin/python bench/chart.py bench/results/bench.json bench/results/bench.png
"""

from __future__ import annotations

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

COLORS = {"tokenvend": "#1a73e8", "naive": "#9aa0a6"}
LABELS = {"tokenvend": "tokenvend", "naive": "naive (google-genai)"}


def main(source: str, target: str) -> None:
    with open(source) as file:
        data = json.load(file)
    raw, summary = data["raw"], data["summary"]
    kinds = ["tokenvend", "naive"]
    figure, axes = plt.subplots(1, 4, figsize=(16, 4.2))

    cold = raw["cold_start_ms"]
    ax = axes[0]
    for index, kind in enumerate(kinds):
        ax.bar(index, summary["cold_median"][kind], color=COLORS[kind], width=0.6)
        ax.scatter([index] * len(cold[kind]), cold[kind], color="black", s=8, alpha=0.6, zorder=3)
        ax.text(
            index + 0.32,
            summary["cold_median"][kind],
            f"median {summary['cold_median'][kind]:.0f}",
            ha="left",
            va="center",
            fontsize=8,
        )
    ax.set_xlim(-0.5, 1.9)
    ax.set_xticks(range(2), [LABELS[k] for k in kinds])
    ax.set_title(f"cold start → first token (ms)\nratio {summary['cold_ratio_median']:.2f}×")

    ax = axes[1]
    width = 0.25
    for index, kind in enumerate(kinds):
        values = [summary[kind]["p50"], summary[kind]["p99"]]
        ax.bar(
            [x + index * width for x in (0, 1)],
            values,
            width,
            color=COLORS[kind],
            label=LABELS[kind],
        )
    direct = [summary["tokenvend"]["direct_p50"], summary["tokenvend"]["direct_p99"]]
    ax.bar(
        [x + 2 * width for x in (0, 1)], direct, width, color="#34a853", label="fake Gemini, direct"
    )
    ax.set_xticks([width, 1 + width], ["p50", "p99"])
    ax.set_title("warm latency (ms)")
    ax.legend(fontsize=8)

    ax = axes[2]
    for kind in kinds:
        levels = sorted(int(c) for c in summary[kind]["rps"])
        ax.plot(
            levels,
            [summary[kind]["rps"][str(c)] for c in levels],
            marker="o",
            color=COLORS[kind],
            label=LABELS[kind],
        )
    ax.set_xscale("log", base=2)
    ax.set_xticks([1, 8, 32], ["1", "8", "32"])
    ax.set_xlabel("concurrent clients")
    ax.set_title("throughput, one instance (req/s)")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8)

    ax = axes[3]
    for index, kind in enumerate(kinds):
        value = summary[kind]["peak_rss_mb"]
        ax.bar(index, value, color=COLORS[kind], width=0.6)
        ax.text(index, value, f"{value:.1f}", ha="center", va="bottom")
    ax.set_ylim(0, max(summary[k]["peak_rss_mb"] for k in kinds) * 1.2)
    ax.axhline(70, color="#d93025", linestyle="--", linewidth=1, label="target 70 MB")
    ax.set_xticks(range(2), [LABELS[k] for k in kinds])
    ax.set_title("peak RSS of the serving process (MB)")
    ax.legend(fontsize=8)

    figure.suptitle(f"make bench · {raw['date']} · {raw['machine']}", fontsize=9)
    figure.tight_layout()
    figure.savefig(target, dpi=110)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
