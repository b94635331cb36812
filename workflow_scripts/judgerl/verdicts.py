"""Reading a judge's output: the score, its validity, the expected score, and Eq. 1.

A pointwise verdict is valid when the output (after the thinking, for reasoning judges) carries a
score line with an integer 0..9 and, for reasoning judges, the thinking was closed. The expected
score sum_x x p(x) uses p renormalised over the ten score tokens at the score position, which is
defined for every output of a local model (the position can always be forced).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from judgerl.prompts import REASONING, THINK_CLOSE

SCORES = tuple(range(10))
# "Score: 7", "**Score:** 7", "score = 7"; the last such line wins, as a judge may quote the format.
_SCORE_RE = re.compile(r"\**score\**\s*[:=]\s*\**\s*(\d+)(?![\d.])", re.IGNORECASE)


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


def find_score(text: str) -> re.Match | None:
    matches = list(_SCORE_RE.finditer(text))
    return matches[-1] if matches else None


def parse_verdict(text: str, mode: str, reasoning: str | None = None) -> ParsedVerdict:
    """Parse a pointwise verdict.

    `text` is the whole completion of a local model, or the answer alone when the backend returned
    the reasoning separately (`reasoning` given, as for gpt-oss served by vLLM).
    """
    if mode == REASONING and reasoning is None:
        reasoning, answer, closed = split_thinking(text)
    else:
        answer, closed = text.strip(), True
    match = find_score(answer) if closed else None
    score = int(match.group(1)) if match else None
    if score is not None and score not in SCORES:
        score = None
    return ParsedVerdict(score=score, reasoning=reasoning, answer=answer, thinking_closed=closed)


def renormalise(probs: list[float]) -> list[float] | None:
    """Renormalise the probabilities of the ten score tokens; None if they carry no mass at all."""
    if len(probs) != len(SCORES):
        raise ValueError(f"expected {len(SCORES)} score probabilities, got {len(probs)}")
    total = float(sum(probs))
    if not math.isfinite(total) or total <= 0.0:
        return None
    return [float(p) / total for p in probs]


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
    """Eq. 3: -1 for an invalid choice, else 1 if the chosen position matches gold, else 0."""
    if predicted not in (0, 1):
        return -1.0
    return 1.0 if predicted == gold else 0.0
