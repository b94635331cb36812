"""Reading a judge's output: the verdict, its validity, the expected score, and Eq. 1 and 3.

A verdict is valid when the output (after the thinking, for reasoning judges) carries a verdict
line of its format (pointwise "Score: N", N in 0..9; pairwise "Better: N", N in 1, 2) and, for
reasoning judges, the thinking was closed. The expected score sum_x x p(x) uses p renormalised over
the ten score tokens at the score position, which is defined for every output of a local model
(the position can always be forced).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from judgerl.prompts import PAIRWISE, POINTWISE, REASONING, THINK_CLOSE, VerdictFormat

SCORES = POINTWISE.labels
DIGITS = tuple(range(10))  # engines report the probabilities of the digit tokens 0..9


@dataclass(frozen=True)
class ParsedVerdict:
    score: int | None
    reasoning: str | None
    answer: str
    thinking_closed: bool

    @property
    def valid(self) -> bool:
        return self.score is not None


def split_thinking(text: str) -> tuple[str | None, str, bool]:
    """Split a reasoning judge's completion (written after the opened `<think>`) at `</think>`."""
    if THINK_CLOSE in text:
        reasoning, answer = text.split(THINK_CLOSE, 1)
        return reasoning.removeprefix("<think>").strip(), answer.strip(), True
    return text.removeprefix("<think>").strip(), "", False


def find_score(text: str, fmt: VerdictFormat = POINTWISE) -> re.Match | None:
    """The last verdict line of `fmt` in `text`."""
    matches = list(fmt.pattern.finditer(text))
    return matches[-1] if matches else None


def parse_verdict(
    text: str, mode: str, reasoning: str | None = None, fmt: VerdictFormat = POINTWISE
) -> ParsedVerdict:
    """Parse a verdict of `fmt` (its `score` is the pointwise score or the pairwise choice).

    `text` is the whole completion of a local model, or the answer alone when the backend returned
    the reasoning separately (`reasoning` given, as for gpt-oss served by vLLM).
    """
    if mode == REASONING and reasoning is None:
        reasoning, answer, closed = split_thinking(text)
    else:
        answer, closed = text.strip(), True
    match = find_score(answer, fmt) if closed else None
    score = int(match.group(1)) if match else None
    if score is not None and score not in fmt.labels:
        score = None
    return ParsedVerdict(
        score=score, reasoning=reasoning, answer=answer, thinking_closed=closed
    )


def renormalise(
    probs: list[float], fmt: VerdictFormat = POINTWISE
) -> list[float] | None:
    """The distribution over `fmt`'s verdicts from the ten digit-token probabilities (None if no mass)."""
    if len(probs) != len(DIGITS):
        raise ValueError(
            f"expected {len(DIGITS)} digit probabilities, got {len(probs)}"
        )
    mass = [float(probs[label]) for label in fmt.labels]
    total = sum(mass)
    if not math.isfinite(total) or total <= 0.0:
        return None
    return [p / total for p in mass]


def expected_score(probs: list[float]) -> float | None:
    """sum_x x * p(x), p renormalised over the score tokens 0..9 (the paper's pointwise reward)."""
    p = renormalise(probs)
    return None if p is None else sum(x * px for x, px in zip(SCORES, p))


def judge_accuracy_reward(predicted: int | None, gold: int) -> float:
    """Eq. 1: -1 for an invalid prediction, else (81 - (s_hat - s)^2) / 81."""
    if predicted is None or predicted not in SCORES:
        return -1.0
    return (81.0 - (predicted - gold) ** 2) / 81.0


def pairwise_accuracy_reward(predicted: int | None, gold: int) -> float:
    """Eq. 3: -1 for an invalid choice, else 1 if the chosen response (1 or 2) matches gold, else 0."""
    if predicted not in PAIRWISE.labels:
        return -1.0
    return 1.0 if predicted == gold else 0.0


def verdict_reward(fmt: VerdictFormat, predicted: int | None, gold: int) -> float:
    """The judge-RL reward of a verdict of `fmt`: Eq. 1 (pointwise) or Eq. 3 (pairwise)."""
    return (
        pairwise_accuracy_reward(predicted, gold)
        if fmt is PAIRWISE
        else judge_accuracy_reward(predicted, gold)
    )
