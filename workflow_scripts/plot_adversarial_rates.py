"""Rule plot_adversarial_rates: the share of answers showing each adversarial pattern, by step."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import polars as pl
from matplotlib.ticker import MaxNLocator

from judgerl import files, runtime
from judgerl.adversarial import PATTERNS


def main(snakemake):
    runtime.setup(snakemake)
    frame = pl.read_csv(snakemake.input[0])
    fig, axes = plt.subplots(
        1, len(PATTERNS), figsize=(4 * len(PATTERNS), 3.2), sharey=True
    )
    for ax, pattern in zip(axes, PATTERNS):
        part = frame.filter(pl.col("pattern") == pattern)
        for run in sorted(set(part["run"])):
            series = part.filter(pl.col("run") == run).sort("step")
            ax.plot(series["step"], series["rate"], marker="o", label=run)
        ax.set_title(pattern.replace("_", " "), fontsize=9)
        ax.set_xlabel("policy GRPO step")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("share of test answers")
    axes[0].set_ylim(-0.02, 1.02)
    axes[-1].legend(fontsize=7)
    fig.tight_layout()
    with files.atomic_path(snakemake.output[0]) as tmp:
        fig.savefig(tmp, dpi=120, format="png")


if __name__ == "__main__":
    main(runtime.current_job(globals()))
