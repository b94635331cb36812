"""Rule plot_judge_agreement: alpha x 100 of base and trained judges against gold (the paper's Fig. 2):
pointwise judges without rubrics, learning from high-effort gold, by base model and mode."""

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import polars as pl

from judgerl import files, runtime, tables


def main(snakemake):
    runtime.setup(snakemake)
    frame = tables.figure2_rows(pl.read_csv(snakemake.input[0])).sort(
        ["base", "mode", "training"]
    )
    if frame.is_empty():
        raise ValueError(
            f"{snakemake.input[0]} has no judge of Fig. 2 (pointwise, no rubrics, high-effort gold)"
        )
    colours = {"non_reasoning": "tab:blue", "reasoning": "tab:orange"}
    fig, ax = plt.subplots(figsize=(max(4.0, 1.1 * len(frame)), 3.4))
    for x, row in enumerate(frame.iter_rows(named=True)):
        alpha = row["alpha_x100"]
        if alpha is None or math.isnan(alpha):
            # Undefined: no paired valid verdicts, or no variation in the ratings.
            ax.text(
                x,
                0.5,
                "undefined",
                ha="center",
                va="center",
                rotation=90,
                fontsize=8,
                transform=ax.get_xaxis_transform(),
            )
            continue
        ax.bar(
            x,
            alpha,
            color=colours[row["mode"]],
            hatch="//" if row["training"] == "untuned" else None,
            edgecolor="black",
            linewidth=0.5,
        )
    ax.set_xticks(range(len(frame)))
    ax.set_xticklabels(
        [f"{r['judge']}\n{r['training']}" for r in frame.iter_rows(named=True)],
        fontsize=7,
    )
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_ylabel("Krippendorff's alpha x 100")
    ax.set_title("Agreement with gold, test split (hatched: untuned)", fontsize=9)
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in colours.values()]
    ax.legend(handles, ["non-reasoning", "reasoning"], fontsize=8)
    fig.tight_layout()
    with files.atomic_path(snakemake.output[0]) as tmp:
        fig.savefig(tmp, dpi=120, format="png")


if __name__ == "__main__":
    main(runtime.current_job(globals()))
