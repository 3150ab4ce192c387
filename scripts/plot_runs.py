#!/usr/bin/python3
"""Plots held-out greedy accuracy against wall time after the cold start, from the
metrics.jsonl of one or more zerorl runs (the README's quickstart figure).

    /usr/bin/python3 scripts/plot_runs.py OUT.png LABEL=RUN_DIR [LABEL=RUN_DIR ...]

Needs Debian's python3-matplotlib (a documentation tool: zerorl itself does not use it).
Each run contributes its eval rows: the one before the first step at 0 s, then every
evaluation at the run's `elapsed_s` (wall seconds since the first GRPO or control step).
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def eval_curve(run_dir):
    points = []
    with open(run_dir + "/metrics.jsonl") as f:
        for number, line in enumerate(f, 1):
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                print(f"{run_dir}/metrics.jsonl:{number}: not JSON, skipped", file=sys.stderr)
                continue
            keys = [k for k in row if k.startswith("eval/") and k.endswith("/pass@1")]
            if not keys:
                continue
            points.append((row.get("elapsed_s", 0.0), 100.0 * row[sorted(keys)[0]]))
    return points


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out = sys.argv[1]
    fig, ax = plt.subplots(figsize=(7, 4), dpi=120)
    for spec in sys.argv[2:]:
        label, _, run_dir = spec.partition("=")
        points = eval_curve(run_dir)
        if not points:
            sys.exit(f"{run_dir}: no eval rows in metrics.jsonl")
        xs, ys = zip(*points)
        ax.plot([x / 60 for x in xs], ys, marker="o", markersize=3, label=label)
    ax.set_xlabel("wall time after the cold start (minutes)")
    ax.set_ylabel("held-out greedy accuracy (%)")
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(out)


if __name__ == "__main__":
    main()
