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

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import polars as pl

from judgerl import files, runtime, tables
from judgerl.hacking import hacking_onset, sqrt_kl

GOLD = "rewards/gold_score/mean"
GOLD_STD = "rewards/gold_score/std"
JUDGE_REWARD = ("rewards/judge_expected_score/mean", "rewards/judge_win_rate/mean")


def rollout_series(path) -> dict[int, tuple[float, float, float]]:
    """(judge reward, gold mean, gold spread) of the training rollouts, by step: the steps whose
    rollouts the gold scored (a step's logged updates averaged)."""
    log = pl.read_csv(path)
    judge = next((c for c in JUDGE_REWARD if c in log.columns), None)
    if GOLD not in log.columns or judge is None:
        return {}  # trained with policy_monitoring.gold_every 0
    scored = (
        log.select("step", judge, GOLD, GOLD_STD)
        .fill_nan(None)
        .drop_nulls(GOLD)
        .group_by("step")
        .mean()
        .sort("step")
    )
    return {
        int(row[0]): (float(row[1]), float(row[2]), float(row[3] or 0.0))
        for row in scored.iter_rows()
    }


def rollout_onset(series: dict) -> dict:
    """The hacking onset of the rollouts' view (judgerl.hacking), in columns of its own."""
    if len(series) < 2:
        return {"rollout_gold_peak_step": None, "rollout_onset_step": None}
    found = hacking_onset(
        {s: v[1] for s, v in series.items()}, {s: v[0] for s, v in series.items()}
    )
    return {
        "rollout_gold_peak_step": found["gold_peak_step"],
        "rollout_onset_step": found["onset_step"],
    }


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


def main(snakemake):
    runtime.setup(snakemake)
    KL = "rewards/kl_to_initial/mean"
    FIRST = "judge/first_preferred"
    scores = pl.read_csv(snakemake.input.scores).filter(
        pl.col("metric").is_in(["score", "win_rate"])
    )
    runs = snakemake.params.runs

    def position_biased_steps(path):
        """Steps where a pairwise judge chose one position in every game (rewards all 0.5)."""
        log = pl.read_csv(path)
        if FIRST not in log.columns:
            return None  # a pointwise judge
        return int(log[FIRST].drop_nulls().is_in([0.0, 1.0]).sum())

    def kl_by_step(path):
        log = pl.read_csv(path)
        if KL not in log.columns:
            return {}  # the run was trained with policy_monitoring.kl_to_initial off
        return {
            int(s): float(k)
            for s, k in zip(log["step"], log[KL])
            if k is not None and not math.isnan(k)
        }

    rows, curves, rollouts, checkpoints = [], {}, {}, {}
    for run, log_path in zip(runs, snakemake.input.train_logs, strict=True):
        kl = kl_by_step(log_path)
        rollouts[run] = rollout_series(log_path)
        series = {}
        for scorer in ("gold", "judge"):
            part = scores.filter(
                (pl.col("run") == run) & (pl.col("scorer") == scorer)
            ).sort("step")
            series[scorer] = dict(zip(part["step"].to_list(), part["mean"].to_list()))
        steps = sorted(series["gold"])
        gold, judge = series["gold"], series["judge"]
        last = steps[-1]
        rows.append(
            {
                "run": run,
                "judge": runs[run]["judge"],
                **hacking_onset(gold, judge),
                "sqrt_kl_final": sqrt_kl(kl[last]) if last in kl else None,
                "position_biased_steps": position_biased_steps(log_path),
                **rollout_onset(rollouts[run]),
            }
        )
        checkpoints[run] = series
        curves[run] = [
            (0.0 if s == 0 else sqrt_kl(kl[s]), gold[s], judge[s], s)
            for s in steps
            if s == 0 or s in kl
        ]

    frame = pl.DataFrame(
        rows,
        schema_overrides={
            "onset_step": pl.Int64,
            "sqrt_kl_final": pl.Float64,
            "position_biased_steps": pl.Int64,
            "rollout_gold_peak_step": pl.Int64,
            "rollout_onset_step": pl.Int64,
        },
    )
    tables.write_table(frame, snakemake.output.csv, snakemake.output.md, floatfmt=".3f")

    fig, axes = plt.subplots(
        2, len(curves), figsize=(4.2 * len(curves), 6.6), squeeze=False
    )
    for ax, (run, points) in zip(axes[0], curves.items()):
        x = [p[0] for p in points]
        ax.plot(
            x,
            [p[1] for p in points],
            marker="o",
            color="tab:orange",
            label="gold judge",
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
        onset = next(r["onset_step"] for r in rows if r["run"] == run)
        ax.set_title(
            f"{run}" + (f"\nhacking from step {onset}" if onset is not None else ""),
            fontsize=8,
        )
        ax.set_xlabel("sqrt(KL to initial policy), nats^0.5 (labels: step)")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("test-prompt score")
    axes[0][0].legend(fontsize=7)
    for ax, run in zip(axes[1], curves):
        if rollouts[run]:
            pairwise = runs[run]["judge"] in snakemake.params.pairwise_judges
            plot_rollouts(ax, rollouts[run], checkpoints[run], pairwise)
        else:
            ax.set_axis_off()
    axes[1][0].set_ylabel("score (0-9)")
    axes[1][0].legend(fontsize=6)
    fig.tight_layout()
    with files.atomic_path(snakemake.output.figure) as tmp:
        fig.savefig(tmp, dpi=120, format="png")


if __name__ == "__main__":
    main(runtime.current_job(globals()))
