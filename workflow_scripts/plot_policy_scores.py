"""Rule plot_policy_scores: one of the paper's policy figures (fig3-fig5, fig7-fig10): score against
policy GRPO step, one panel per scorer (gold judge, training judge) and policy model, one line per
run, labelled by its judge; 95% bootstrap bands. Pointwise runs: the verdict score 0-9; pairwise
runs: the win rate against the baseline's answers."""

import textwrap

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import polars as pl
from matplotlib.ticker import MaxNLocator

from judgerl import files, runtime


def main(snakemake):
    runtime.setup(snakemake)
    figure, runs = snakemake.params.figure, snakemake.params.runs
    frame = pl.read_csv(snakemake.input[0]).filter(
        pl.col("run").is_in(list(runs)) & pl.col("metric").is_in(["score", "win_rate"])
    )
    missing = sorted(set(runs) - set(frame["run"]))
    if missing:
        raise ValueError(f"{snakemake.input[0]} has no scores of runs {missing}")

    policies = sorted({spec["policy"] for spec in runs.values()})
    scorer_titles = {"gold": "gold judge", "judge": "training judge"}
    fig, axes = plt.subplots(
        len(figure["scorers"]),
        len(policies),
        figsize=(4.6 * len(policies), 3.3 * len(figure["scorers"])),
        sharex=True,
        squeeze=False,
    )
    for row, scorer in enumerate(figure["scorers"]):
        for col, policy in enumerate(policies):
            ax = axes[row][col]
            for run, spec in runs.items():
                if spec["policy"] != policy:
                    continue
                part = frame.filter(
                    (pl.col("run") == run) & (pl.col("scorer") == scorer)
                ).sort("step")
                (line,) = ax.plot(
                    part["step"], part["mean"], marker="o", label=spec["judge"]
                )
                ax.fill_between(
                    part["step"],
                    part["ci_low"],
                    part["ci_high"],
                    color=line.get_color(),
                    alpha=0.15,
                )
            ax.set_title(f"{policy}: {scorer_titles[scorer]}", fontsize=9)
            ax.set_ylabel(
                "win rate" if set(frame["metric"]) == {"win_rate"} else "score (0-9)"
            )
            ax.set_xlabel("policy GRPO step")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.grid(alpha=0.3)
            ax.legend(fontsize=7, title="training judge", title_fontsize=7)
    title = f"{snakemake.wildcards.figure}: {figure['title']}"
    fig.suptitle("\n".join(textwrap.wrap(title, 48 * len(policies))), fontsize=10)
    fig.tight_layout()
    with files.atomic_path(snakemake.output[0]) as tmp:
        fig.savefig(tmp, dpi=120, format="png")


if __name__ == "__main__":
    main(runtime.current_job(globals()))
