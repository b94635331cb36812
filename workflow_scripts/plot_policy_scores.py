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

fig, axes = plt.subplots(1, 2, figsize=(9, 3.4), sharex=True)
labels = {"gold": "gold judge", "judge": f"training judge ({frame['judge'][0]})"}
for ax, metric, title in zip(axes, ["score", "expected_score"], ["score (0-9)", "expected score"]):
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
