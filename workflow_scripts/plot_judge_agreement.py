"""Rule plot_judge_agreement: alpha x 100 of base and trained judges against gold (the paper's Fig. 2):
pointwise judges without rubrics, learning from high-effort gold, by base model and mode."""

import math
import textwrap

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
    fig, ax = plt.subplots(figsize=(max(4.0, 1.3 * len(frame)), 3.8))
    for x, row in enumerate(frame.iter_rows(named=True)):
        plot_judge(ax, x, row, colours)
    ax.margins(y=0.25)
    ax.set_xticks(range(len(frame)))
    ax.set_xticklabels(
        [
            f"{r['judge']}\n{r['training']}"
            + ("\n" + "\n".join(textwrap.wrap(r["note"], 18)) if r["note"] else "")
            for r in frame.iter_rows(named=True)
        ],
        fontsize=7,
    )
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_ylabel("Krippendorff's alpha x 100")
    ax.set_title(
        "Agreement with gold on the test split\n"
        "(hatched: untuned; whiskers: bootstrap interval)",
        fontsize=9,
    )
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in colours.values()]
    ax.legend(handles, ["non-reasoning", "reasoning"], fontsize=8)
    fig.tight_layout()
    with files.atomic_path(snakemake.output[0]) as tmp:
        fig.savefig(tmp, dpi=120, format="png")


def plot_judge(ax, x: int, row: dict, colours: dict[str, str]) -> None:
    """One judge's bar at `x`: alpha x 100 with its bootstrap interval and a label, hatched when
    untuned, coloured by mode; its note in place of the bar where alpha is undefined."""
    alpha = row["alpha_x100"]
    if alpha is None or math.isnan(alpha):
        ax.text(
            x,
            0.5,
            row["note"] or "undefined",
            ha="center",
            va="center",
            rotation=90,
            fontsize=7,
            transform=ax.get_xaxis_transform(),
        )
        return
    low, high = row["low_x100"], row["high_x100"]
    has_interval = low is not None and not math.isnan(low)
    ax.bar(
        x,
        alpha,
        color=colours[row["mode"]],
        hatch="//" if row["training"] == "untuned" else None,
        edgecolor="black",
        linewidth=0.5,
        yerr=[[alpha - low], [high - alpha]] if has_interval else None,
        capsize=3,
    )
    label = f"{alpha:.0f}" + (f"\n[{low:.0f}, {high:.0f}]" if has_interval else "")
    above = alpha >= 0
    end = (high if above else low) if has_interval else alpha
    ax.annotate(
        label,
        (x, end),
        xytext=(0, 3 if above else -3),
        textcoords="offset points",
        ha="center",
        va="bottom" if above else "top",
        fontsize=7,
    )


if __name__ == "__main__":
    main(runtime.current_job(globals()))
