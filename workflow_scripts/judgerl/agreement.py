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


def undefined_reason(labels: list, gold: list) -> str | None:
    """Why alpha is undefined, in words; None where it is defined."""
    pairs = [(j, g) for j, g in zip(labels, gold) if j is not None and g is not None]
    if len(pairs) < 2:
        return "fewer than two valid verdicts"
    if len({v for pair in pairs for v in pair}) == 1:
        return f"judge and gold gave one score ({pairs[0][0]}) to every item"
    return None


def one_score_note(labels: list) -> str | None:
    """A judge that gives every item the same verdict agrees by chance at best: say so."""
    given = {v for v in labels if v is not None}
    if len(given) == 1:
        return f"judge gave one score ({given.pop()}) to every item"
    return None


def agreement(
    verdicts: list[dict],
    gold: list[int],
    fmt: VerdictFormat,
    bootstrap: dict | None = None,
) -> dict:
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
    correct = [float(p == g) for p, g in zip(labels, gold)]
    if fmt is PAIRWISE:
        out["accuracy"] = _mean(correct)
        out["alpha"] = out["alpha_expected_score"] = None
        out["note"] = one_score_note(labels) and "judge chose one position every time"
    else:
        out["accuracy"] = None
        out["alpha"] = stats.interval_alpha(labels, gold)
        out["alpha_expected_score"] = stats.interval_alpha(
            [v.get("expected_score") for v in verdicts], gold
        )
        reason = undefined_reason(labels, gold)
        out["note"] = f"undefined: {reason}" if reason else one_score_note(labels)
    if bootstrap:  # whole items resampled: a verdict stays with its gold label
        if fmt is PAIRWISE:
            interval = stats.bootstrap_interval(
                len(correct), lambda i: _mean([correct[k] for k in i]), **bootstrap
            )
        else:
            interval = stats.bootstrap_interval(
                len(labels),
                lambda i: stats.interval_alpha(
                    [labels[k] for k in i], [gold[k] for k in i]
                ),
                **bootstrap,
            )
        out["interval"] = list(interval)
    return out
