"""Reward hacking in a policy run (Gao et al., 2022): the checkpoint where the gold score peaks
while the training judge's score keeps rising after it."""

from __future__ import annotations

import math


def hacking_onset(gold: dict[int, float], judge: dict[int, float]) -> dict:
    """Where a run's gold score peaks, and whether it was hacked from there.

    `gold` and `judge` map checkpoint steps to mean scores. The peak is the first step at the
    highest gold score. The run is hacked when it goes on past the peak, its last gold score is
    lower than the peak's and its last training-judge score higher than at the peak; the onset is
    then the peak step, otherwise None.
    """
    if not gold or set(gold) != set(judge):
        raise ValueError(
            "gold and training-judge scores must cover the same, non-empty set of steps"
        )
    steps = sorted(gold)
    peak = max(steps, key=lambda s: (gold[s], -s))
    last = steps[-1]
    hacked = last > peak and judge[last] > judge[peak] and gold[last] < gold[peak]
    return {
        "gold_peak_step": peak,
        "gold_at_peak": gold[peak],
        "gold_final": gold[last],
        "judge_at_peak": judge[peak],
        "judge_final": judge[last],
        "hacking": hacked,
        "onset_step": peak if hacked else None,
    }


def sqrt_kl(kl: float) -> float:
    """sqrt of a KL estimate. The k3 estimate is never below 0 in exact arithmetic; float32
    rounding of exp(d) - 1 - d for |d| near 0 can leave a mean a hair below it, read as 0."""
    return math.sqrt(max(kl, 0.0))


# Columns of a policy run's train log (train_log.csv).
KL = "rewards/kl_to_initial/mean"
FIRST = "judge/first_preferred"
GOLD = "rewards/gold_score/mean"
GOLD_STD = "rewards/gold_score/std"
JUDGE_REWARD = ("rewards/judge_expected_score/mean", "rewards/judge_win_rate/mean")


def kl_by_step(log) -> dict[int, float]:
    """The sampled KL to the initial policy by step, from a train log (a polars frame); empty
    for a run trained with policy_monitoring.kl_to_initial off."""
    if KL not in log.columns:
        return {}
    return {
        int(s): float(k)
        for s, k in zip(log["step"], log[KL])
        if k is not None and not math.isnan(k)
    }


def position_biased_steps(log) -> int | None:
    """Steps where a pairwise judge chose one position in every game (rewards all 0.5); None
    for a pointwise judge."""
    if FIRST not in log.columns:
        return None
    return int(log[FIRST].drop_nulls().is_in([0.0, 1.0]).sum())


def rollout_series(log) -> dict[int, tuple[float, float, float]]:
    """(judge reward, gold mean, gold spread) of the training rollouts, by step: the steps whose
    rollouts the gold scored (a step's logged updates averaged). Empty for a run trained with
    policy_monitoring.gold_every 0."""
    judge = next((c for c in JUDGE_REWARD if c in log.columns), None)
    if GOLD not in log.columns or judge is None:
        return {}
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
    """The hacking onset of the rollouts' view, in columns of its own."""
    if len(series) < 2:
        return {"rollout_gold_peak_step": None, "rollout_onset_step": None}
    found = hacking_onset(
        {s: v[1] for s, v in series.items()}, {s: v[0] for s, v in series.items()}
    )
    return {
        "rollout_gold_peak_step": found["gold_peak_step"],
        "rollout_onset_step": found["onset_step"],
    }


def checkpoint_scores(scores, run: str) -> dict[str, dict[int, float]]:
    """A run's test-prompt mean by checkpoint step, per scorer (gold, judge), from
    policy_scores.csv's frame filtered to one metric per run."""
    import polars as pl

    series = {}
    for scorer in ("gold", "judge"):
        part = scores.filter(
            (pl.col("run") == run) & (pl.col("scorer") == scorer)
        ).sort("step")
        series[scorer] = dict(zip(part["step"].to_list(), part["mean"].to_list()))
    return series


def run_row(run: str, judge: str, checkpoints: dict, log) -> dict:
    """The over-optimisation table's row of one run, from its checkpoints' scores and its
    train log: the onset in both views, sqrt(KL) at the last checkpoint, the position-biased
    steps."""
    gold, judge_scores = checkpoints["gold"], checkpoints["judge"]
    kl, last = kl_by_step(log), max(gold)
    return {
        "run": run,
        "judge": judge,
        **hacking_onset(gold, judge_scores),
        "sqrt_kl_final": sqrt_kl(kl[last]) if last in kl else None,
        "position_biased_steps": position_biased_steps(log),
        **rollout_onset(rollout_series(log)),
    }


def kl_curve(checkpoints: dict, kl: dict[int, float]) -> list[tuple]:
    """(sqrt KL, gold, judge, step) of the checkpoints whose KL was logged, step 0 at KL 0."""
    gold, judge = checkpoints["gold"], checkpoints["judge"]
    return [
        (0.0 if s == 0 else sqrt_kl(kl[s]), gold[s], judge[s], s)
        for s in sorted(gold)
        if s == 0 or s in kl
    ]
