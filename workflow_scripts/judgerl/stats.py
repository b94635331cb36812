"""Agreement and uncertainty: Krippendorff's alpha and bootstrap intervals, from kept libraries."""

from __future__ import annotations

import math

import numpy as np


def interval_alpha(judge: list[float | None], gold: list[float | None]) -> float:
    """Krippendorff's alpha (interval) between a judge and gold; None marks a missing rating.

    Items where either rating is missing still enter as units with one rating (they do not pair,
    as the `krippendorff` package defines). Returns nan when alpha is undefined (no variation).
    """
    import krippendorff

    if len(judge) != len(gold):
        raise ValueError("judge and gold ratings differ in length")
    data = np.array(
        [
            [np.nan if v is None else float(v) for v in judge],
            [np.nan if v is None else float(v) for v in gold],
        ]
    )
    paired = ~np.isnan(data).any(axis=0)
    if paired.sum() < 2 or np.nanvar(data[:, paired]) == 0:
        return math.nan
    return float(
        krippendorff.alpha(reliability_data=data, level_of_measurement="interval")
    )


def bootstrap_mean(
    values: list[float],
    confidence: float = 0.95,
    n_resamples: int = 1000,
    seed: int = 0,
) -> tuple[float, float, float]:
    """Mean and percentile bootstrap interval (scipy.stats.bootstrap)."""
    from scipy.stats import bootstrap

    x = np.asarray(
        [v for v in values if v is not None and not math.isnan(v)], dtype=float
    )
    if x.size == 0:
        return math.nan, math.nan, math.nan
    mean = float(x.mean())
    if x.size == 1 or np.all(x == x[0]):
        return mean, mean, mean
    res = bootstrap(
        (x,),
        np.mean,
        confidence_level=confidence,
        n_resamples=n_resamples,
        method="percentile",
        rng=np.random.default_rng(seed),
    )
    return mean, float(res.confidence_interval.low), float(res.confidence_interval.high)


def bootstrap_interval(
    n: int,
    statistic,
    confidence: float = 0.95,
    n_resamples: int = 1000,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap interval of `statistic(indices)` over n paired items, resampled
    whole (a judge's verdict with its gold label): scipy.stats.bootstrap on the item indices."""
    from scipy.stats import bootstrap

    if n < 2:
        return math.nan, math.nan
    res = bootstrap(
        (np.arange(n),),
        lambda idx: statistic(idx.astype(int)),
        vectorized=False,
        confidence_level=confidence,
        n_resamples=n_resamples,
        method="percentile",
        rng=np.random.default_rng(seed),
    )
    return float(res.confidence_interval.low), float(res.confidence_interval.high)
