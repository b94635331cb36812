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
    """sqrt of a KL estimate; one below 0 (a log written with the plain log-ratio estimator, or
    rounding) is taken as 0."""
    return math.sqrt(max(kl, 0.0))
