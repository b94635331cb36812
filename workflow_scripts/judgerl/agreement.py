"""How well a judge agrees with gold: Krippendorff's alpha (pointwise), accuracy (pairwise), the
malformed-output rate, mean thinking tokens, and the judge-RL reward (Eq. 1 / Eq. 3) on held-out
data, which picks a GRPO checkpoint on the validation split."""

from __future__ import annotations

import math

from judgerl import stats
from judgerl.prompts import PAIRWISE, VerdictFormat
from judgerl.verdicts import verdict_reward


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else math.nan


def agreement(verdicts: list[dict], gold: list[int], fmt: VerdictFormat) -> dict:
    """Agreement of verdicts (each with `label`, `valid`, `malformed`, `thinking_tokens`) with
    gold labels.

    A verdict without a label (invalid) is a missing rating for alpha, and a wrong answer for
    accuracy. The malformed rate counts outputs that fail their format, also where the verdict was
    then forced (`verdict: argmax`); the reward is Eq. 1 / 3 with a malformed output as invalid
    (-1), as in judge RL.
    """
    if len(verdicts) != len(gold):
        raise ValueError("verdicts and gold labels differ in length")
    labels = [v["label"] for v in verdicts]
    observed = [v["malformed"] for v in verdicts if v.get("malformed") is not None]
    out = {
        "format": fmt.name,
        "n": len(verdicts),
        "n_invalid": sum(not v["valid"] for v in verdicts),
        "n_malformed": sum(observed),
        "malformed_rate": sum(observed) / len(observed) if observed else math.nan,
        "mean_thinking_tokens": _mean([v["thinking_tokens"] for v in verdicts]),
        "mean_reward": _mean(
            [
                verdict_reward(fmt, None if v.get("malformed") else v["label"], g)
                for v, g in zip(verdicts, gold)
            ]
        ),
    }
    if fmt is PAIRWISE:
        out["accuracy"] = _mean([float(p == g) for p, g in zip(labels, gold)])
        out["alpha"] = out["alpha_expected_score"] = None
    else:
        out["accuracy"] = None
        out["alpha"] = stats.interval_alpha(labels, gold)
        out["alpha_expected_score"] = stats.interval_alpha(
            [v.get("expected_score") for v in verdicts], gold
        )
    return out
