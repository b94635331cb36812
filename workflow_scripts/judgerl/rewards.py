"""Rewards for GRPO, as TRL reward functions.

- `JudgeAccuracyReward`: judge RL, Eq. 1 of the paper, from the judge's own sampled verdict.
- `JudgeAsReward`: policy RL, the training judge's expected score sum_x x p(x) over 0..9.

Invalid judge output, policy side: the expected score is read at the forced score position (after
the judge's thinking, closed if it ran out of tokens), so a reward is always defined; the verdict
still counts as malformed in the log and in the `judge/malformed_rate` metric. A backend without
score probabilities (HTTP without logprobs) falls back to the parsed score, and to
`invalid_reward` when there is none.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from judgerl.judging import JudgeSettings, judge_pointwise
from judgerl.verdicts import judge_accuracy_reward, parse_verdict

log = logging.getLogger(__name__)


def completion_text(completion) -> str:
    """TRL passes plain strings, or a list of chat messages for conversational prompts."""
    if isinstance(completion, str):
        return completion
    return "".join(m.get("content", "") for m in completion if m.get("role") == "assistant")


class JudgeAccuracyReward:
    """Eq. 1 for a judge in training: -1 if its verdict is invalid, else (81 - (s_hat - s)^2) / 81."""

    __name__ = "judge_accuracy"

    def __init__(self, mode: str):
        self.mode = mode

    def __call__(self, prompts, completions, gold_score, log_metric=None, **_) -> list[float]:
        scores = [parse_verdict(completion_text(c), self.mode).score for c in completions]
        rewards = [judge_accuracy_reward(s, g) for s, g in zip(scores, gold_score)]
        if log_metric is not None:
            log_metric("judge/invalid_rate", sum(s is None for s in scores) / len(scores))
        return rewards


class JudgeAsReward:
    """The training judge as the policy's reward; every call is logged for recomputation."""

    __name__ = "judge_expected_score"

    def __init__(self, engine, settings: JudgeSettings, log_path: str | Path | None = None,
                 invalid_reward: float = 0.0):
        self.engine, self.settings = engine, settings
        self.log_path = Path(log_path) if log_path else None
        self.invalid_reward = invalid_reward
        self.calls = 0

    def reward_of(self, verdict: dict) -> float:
        if verdict["expected_score"] is not None:
            return float(verdict["expected_score"])
        return float(verdict["score"]) if verdict["valid"] else self.invalid_reward

    def __call__(self, prompts, completions, instruction, id=None, trainer_state=None, log_metric=None, **_):
        answers = [completion_text(c) for c in completions]
        verdicts = judge_pointwise(self.engine, list(instruction), answers, self.settings)
        rewards = [self.reward_of(v) for v in verdicts]
        self.calls += len(verdicts)
        invalid = sum(not v["valid"] for v in verdicts)
        if log_metric is not None:
            log_metric("judge/malformed_rate", invalid / len(verdicts))
            log_metric("judge/calls", float(len(verdicts)))
        if self.log_path is not None:
            # Rewards are computed for the optimizer step about to run: completed steps + 1.
            step = trainer_state.global_step + 1 if trainer_state is not None else None
            with self.log_path.open("a") as fh:
                for k, (answer, verdict, reward) in enumerate(zip(answers, verdicts, rewards)):
                    row = {"step": step, "id": id[k] if id is not None else None, "instruction": instruction[k],
                           "completion": answer, "reward": reward, **verdict}
                    fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        return rewards


def round_robin_rewards(outcomes: list[list[float | None]]) -> tuple[list[float], int]:
    """Eq. 4: each rollout's win rate against the other rollouts of its group.

    `outcomes[i][j]` is the judge's verdict with rollout i shown first and j second: 1 if i is
    better, 0 if j is, 0.5 for a tie, None for an invalid verdict (scored as a tie and counted).
    Every pair is judged in both orders, so a group of G rollouts costs G (G - 1) judge calls, and
    rollout i's reward is the mean over j != i of its two outcomes against j.
    Returns the rewards and the number of invalid verdicts.
    """
    g = len(outcomes)
    if g < 2 or any(len(row) != g for row in outcomes):
        raise ValueError("outcomes must be a square matrix over a group of at least two rollouts")
    invalid = sum(outcomes[i][j] is None for i in range(g) for j in range(g) if i != j)

    def value(x):
        return 0.5 if x is None else float(x)

    rewards = []
    for i in range(g):
        wins = [(value(outcomes[i][j]) + 1.0 - value(outcomes[j][i])) / 2 for j in range(g) if j != i]
        rewards.append(sum(wins) / len(wins))
    return rewards, invalid
