"""Rule overoptimization: per run, the hacking onset and the over-optimization view (Gao et al.,
2022): gold and training-judge score against sqrt(KL) from the initial policy.

Hacking onset (judgerl.hacking): the checkpoint where the gold score peaks while the
training-judge score keeps rising after it (it ends higher than at the peak, and gold ends lower);
none when gold ends at its peak or the judge's score falls too. Scores are the test-prompt means of policy_scores.csv (the
verdict score for pointwise runs, the win rate for pairwise ones).

A pairwise judge that picks one position in every game of a step gives every rollout 0.5:
`position_biased_steps` counts those steps (the train log's `judge/first_preferred` at 0 or 1).

KL at a checkpoint is the train log's `rewards/kl_to_initial/mean` at that step: the sampled
sequence KL (k3, never below 0) of that step's rollouts from the frozen initial policy, drawn
by the policy one update before the checkpoint.

The second view is the training rollouts themselves, step by step: the judge's reward and the
gold's score of the same rollouts (policy_monitoring.gold_every; the train log's
`rewards/gold_score/mean` and `/std`). The table gives the onset in both views: `onset_step` from
the checkpoints' test-prompt scores, `rollout_onset_step` from the rollouts of the steps the gold
scored.
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import polars as pl

from judgerl import files, hacking, runtime, tables

SCHEMA = {
    "onset_step": pl.Int64,
    "sqrt_kl_final": pl.Float64,
    "position_biased_steps": pl.Int64,
    "rollout_gold_peak_step": pl.Int64,
    "rollout_onset_step": pl.Int64,
}


def main(snakemake):
    runtime.setup(snakemake)
    scores = pl.read_csv(snakemake.input.scores).filter(
        pl.col("metric").is_in(["score", "win_rate"])
    )
    runs = snakemake.params.runs

    rows, curves, rollouts, checkpoints = [], {}, {}, {}
    for run, log_path in zip(runs, snakemake.input.train_logs, strict=True):
        log = pl.read_csv(log_path)
        checkpoints[run] = hacking.checkpoint_scores(scores, run)
        rollouts[run] = hacking.rollout_series(log)
        curves[run] = hacking.kl_curve(checkpoints[run], hacking.kl_by_step(log))
        rows.append(hacking.run_row(run, runs[run]["judge"], checkpoints[run], log))
    frame = pl.DataFrame(rows, schema_overrides=SCHEMA)
    tables.write_table(frame, snakemake.output.csv, snakemake.output.md, floatfmt=".3f")

    pairwise = {
        run: runs[run]["judge"] in snakemake.params.pairwise_judges for run in runs
    }
    onsets = {r["run"]: r["onset_step"] for r in rows}
    fig = plot(curves, onsets, rollouts, checkpoints, pairwise)
    with files.atomic_path(snakemake.output.figure) as tmp:
        fig.savefig(tmp, dpi=120, format="png")


def plot(curves: dict, onsets: dict, rollouts: dict, checkpoints: dict, pairwise: dict):
    """Per run, a column: the checkpoints' scores against sqrt(KL) above, the training
    rollouts' scores by step below (blank for a run whose rollouts the gold did not score)."""
    fig, axes = plt.subplots(
        2, len(curves), figsize=(4.2 * len(curves), 6.6), squeeze=False
    )
    for ax, (run, points) in zip(axes[0], curves.items()):
        plot_kl_curve(ax, run, points, onsets[run])
    axes[0][0].set_ylabel("test-prompt score")
    axes[0][0].legend(fontsize=7)
    for ax, run in zip(axes[1], curves):
        if rollouts[run]:
            plot_rollouts(ax, rollouts[run], checkpoints[run], pairwise[run])
        else:
            ax.set_axis_off()
    axes[1][0].set_ylabel("score (0-9)")
    axes[1][0].legend(fontsize=6)
    fig.tight_layout()
    return fig


def plot_kl_curve(ax, run: str, points: list[tuple], onset: int | None) -> None:
    """Gold and training-judge scores of a run's checkpoints against sqrt(KL)."""
    x = [p[0] for p in points]
    ax.plot(
        x, [p[1] for p in points], marker="o", color="tab:orange", label="gold judge"
    )
    ax.plot(
        x,
        [p[2] for p in points],
        marker="s",
        color="tab:blue",
        label="training judge",
    )
    # The sampled KL is noisy over few steps: each point names its step, so that a line
    # that doubles back reads as a KL estimate that fell.
    for x_, gold_, judge_, step in points:
        for y in (gold_, judge_):
            ax.annotate(
                f"{step}",
                (x_, y),
                xytext=(3, 3),
                textcoords="offset points",
                fontsize=6,
            )
    ax.set_title(
        f"{run}" + (f"\nhacking from step {onset}" if onset is not None else ""),
        fontsize=8,
    )
    ax.set_xlabel("sqrt(KL to initial policy), nats^0.5 (labels: step)")
    ax.grid(alpha=0.3)


def plot_rollouts(ax, series: dict, checkpoints: dict, pairwise: bool) -> None:
    """The judge's reward and the gold's score of the training rollouts, step by step, with
    the checkpoints' test-prompt scores as markers; a pairwise judge's win rate on its own axis."""
    steps = list(series)
    gold = [series[s][1] for s in steps]
    spread = [series[s][2] for s in steps]
    ax.plot(steps, gold, color="tab:orange", lw=1, label="gold, training rollouts")
    ax.fill_between(
        steps,
        [g - d for g, d in zip(gold, spread)],
        [g + d for g, d in zip(gold, spread)],
        color="tab:orange",
        alpha=0.15,
    )
    # A pairwise run's checkpoints are win rates against baseline answers, by the gold and by
    # the judge, as is its judge's reward: those go on the right-hand axis.
    judge_ax = ax.twinx() if pairwise else ax
    judge_ax.plot(
        list(checkpoints["gold"]),
        list(checkpoints["gold"].values()),
        "o",
        color="tab:orange",
        label="gold, checkpoints (test prompts)",
    )
    judge_ax.plot(
        steps,
        [series[s][0] for s in steps],
        color="tab:blue",
        lw=1,
        label="judge reward, training rollouts",
    )
    judge_ax.plot(
        list(checkpoints["judge"]),
        list(checkpoints["judge"].values()),
        "s",
        color="tab:blue",
        label="judge, checkpoints (test prompts)",
    )
    if pairwise:
        judge_ax.set_ylabel("win rate (judge reward, checkpoints)", fontsize=7)
    ax.set_xlabel("step")
    ax.grid(alpha=0.3)


if __name__ == "__main__":
    main(runtime.current_job(globals()))
