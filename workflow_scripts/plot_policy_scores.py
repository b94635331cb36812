"""Rule plot_policy_scores: gold and training-judge score against step, for one run."""

import sys

sys.path.insert(0, snakemake.scriptdir)  # the judgerl library sits beside this script

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import polars as pl

from judgerl import files, runtime

runtime.setup(snakemake)
run = snakemake.wildcards.run
frame = pl.read_csv(snakemake.input[0]).filter(pl.col("run") == run)
if frame.is_empty():
    raise ValueError(f"{snakemake.input[0]} has no rows for run {run}")

titles = {"score": "score (0-9)", "expected_score": "expected score", "win_rate": "win rate against baseline"}
metrics = [m for m in titles if m in set(frame["metric"])]
fig, axes = plt.subplots(1, len(metrics), figsize=(4.5 * len(metrics), 3.4), sharex=True, squeeze=False)
axes = axes[0]
labels = {"gold": "gold judge", "judge": f"training judge ({frame['judge'][0]})"}
for ax, metric in zip(axes, metrics):
    title = titles[metric]
    for scorer, colour in (("gold", "tab:orange"), ("judge", "tab:blue")):
        part = frame.filter((pl.col("scorer") == scorer) & (pl.col("metric") == metric)).sort("step")
        if part.is_empty():
            continue
        ax.plot(part["step"], part["mean"], marker="o", color=colour, label=labels[scorer])
        ax.fill_between(part["step"], part["ci_low"], part["ci_high"], color=colour, alpha=0.2)
    ax.set_xlabel("policy GRPO step")
    ax.set_title(title)
    ax.grid(alpha=0.3)
axes[0].legend(fontsize=8)
fig.suptitle(f"{run}: policy test prompts")
fig.tight_layout()
with files.atomic_path(snakemake.output[0]) as tmp:
    fig.savefig(tmp, dpi=120, format="png")
