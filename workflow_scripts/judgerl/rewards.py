"""Rewards for GRPO, as TRL reward functions.

- `JudgeAccuracyReward`: judge RL, Eq. 1 (pointwise) or Eq. 3 (pairwise) of the paper, from the
  judge's own sampled verdict.
- `JudgeAsReward`: policy RL, the training judge's expected score sum_x x p(x) over 0..9.
- `PairwiseJudgeReward`: policy RL, Eq. 4: each rollout's win rate against the rest of its group.
- `KLToInitial`: not a reward; a monitor riding on the reward hook (weight 0) that logs the
  sampled KL from the initial policy, which GRPO without a KL term does not compute.

Invalid judge output, policy side: the expected score is read at the forced score position (after
the judge's thinking, closed if it ran out of tokens), so a reward is always defined; the verdict
still counts as malformed in the log and in the `judge/malformed_rate` metric. A backend without
score probabilities (HTTP without logprobs) falls back to the parsed score, and to
`invalid_reward` when there is none. A pairwise verdict without a valid choice is a tie (0.5 to
each side), counted the same way.
"""

from __future__ import annotations

import logging
import random
from pathlib import Path

from judgerl.files import append_jsonl
from judgerl.grpo_batch import ONE_UPDATE_PER_STEP, StepUnits
from judgerl.judging import JudgeSettings, judge_pairwise, judge_pointwise
from judgerl.prompts import POINTWISE, VerdictFormat
from judgerl.verdicts import parse_verdict, verdict_reward

log = logging.getLogger(__name__)


def completion_text(completion) -> str:
    """TRL passes plain strings, or a list of chat messages for conversational prompts."""
    if isinstance(completion, str):
        return completion
    return "".join(
        m.get("content", "") for m in completion if m.get("role") == "assistant"
    )


class JudgeAccuracyReward:
    """Judge RL: Eq. 1 (pointwise: -1 invalid, else (81 - (s_hat - s)^2) / 81) or Eq. 3 (pairwise:
    -1 invalid, else 1 if the choice matches gold, else 0). Every rollout is logged with its
    prompt, verdict and reward (`log_path`), so that what the judge was rewarded for, and whether
    it moved towards it, can be read back."""

    __name__ = "judge_accuracy"

    def __init__(
        self,
        mode: str,
        fmt: VerdictFormat = POINTWISE,
        log_path: str | Path | None = None,
        units: StepUnits = ONE_UPDATE_PER_STEP,
    ):
        self.mode, self.fmt = mode, fmt
        self.log_path = Path(log_path) if log_path else None
        self.units = units

    def __call__(
        self,
        prompts,
        completions,
        gold_label,
        item=None,
        trainer_state=None,
        log_metric=None,
        **_,
    ) -> list[float]:
        answers = [completion_text(c) for c in completions]
        labels = [parse_verdict(a, self.mode, fmt=self.fmt).score for a in answers]
        rewards = [verdict_reward(self.fmt, s, g) for s, g in zip(labels, gold_label)]
        if log_metric is not None:
            log_metric(
                "judge/invalid_rate", sum(s is None for s in labels) / len(labels)
            )
        step = _step(trainer_state, self.units)
        _append_jsonl(
            self.log_path,
            [
                {
                    "step": step,
                    "item": item[k] if item is not None else None,
                    "prompt": prompts[k],
                    "completion": answers[k],
                    "gold_label": gold_label[k],
                    "verdict": labels[k],
                    "reward": rewards[k],
                }
                for k in range(len(answers))
            ],
        )
        return rewards


def _step(trainer_state, units: StepUnits = ONE_UPDATE_PER_STEP) -> int | None:
    """The paper step that a reward is computed for: the one about to run (TRL's
    `global_step` counts the updates done)."""
    if trainer_state is None:
        return None
    return units.step_under_way(trainer_state.global_step)


def _append_jsonl(path: Path | None, rows: list[dict]) -> None:
    """A reward's log rows, where it keeps a log (`log_path`)."""
    if path is not None:
        append_jsonl(path, rows)


class JudgeAsReward:
    """The training judge as the policy's reward; every call is logged for recomputation."""

    __name__ = "judge_expected_score"

    def __init__(
        self,
        engine,
        settings: JudgeSettings,
        log_path: str | Path | None = None,
        invalid_reward: float = 0.0,
        units: StepUnits = ONE_UPDATE_PER_STEP,
    ):
        self.engine, self.settings = engine, settings
        self.units = units
        self.log_path = Path(log_path) if log_path else None
        self.invalid_reward = invalid_reward
        self.calls = 0

    def reward_of(self, verdict: dict) -> float:
        if verdict["expected_score"] is not None:
            return float(verdict["expected_score"])
        return float(verdict["score"]) if verdict["valid"] else self.invalid_reward

    def __call__(
        self,
        prompts,
        completions,
        instruction,
        id=None,
        rubric=None,
        trainer_state=None,
        log_metric=None,
        **_,
    ):
        answers = [completion_text(c) for c in completions]
        verdicts = judge_pointwise(
            self.engine,
            list(instruction),
            answers,
            self.settings,
            list(rubric) if rubric is not None else None,
        )
        rewards = [self.reward_of(v) for v in verdicts]
        self.calls += len(verdicts)
        if log_metric is not None:
            log_metric("judge/malformed_rate", malformed_rate(verdicts))
            log_metric("judge/calls", float(len(verdicts)))
            for name, value in score_distribution(verdicts).items():
                log_metric(name, value)
        step = _step(trainer_state, self.units)
        _append_jsonl(
            self.log_path,
            [
                {
                    "step": step,
                    "id": id[k] if id is not None else None,
                    "instruction": instruction[k],
                    "completion": answer,
                    "reward": reward,
                    **verdict,
                }
                for k, (answer, verdict, reward) in enumerate(
                    zip(answers, verdicts, rewards)
                )
            ],
        )
        return rewards


class GoldOnRollouts:
    """The gold judge's pointwise score of the training rollouts themselves, beside the reward
    that is optimised: on every `every`-th step (the first one included), a `sample` share of
    that step's rollouts (each process its own, drawn by step and seed).

    Registered as a reward function with weight 0: it changes nothing in the update, and TRL logs
    the mean and spread over the rollouts it scored as `rewards/gold_score/mean` and `/std`
    (the others get None, which TRL leaves out). An invalid gold verdict is left out too, and
    counted (`gold/invalid`). Pairwise runs get the gold's pointwise score of each rollout.
    """

    __name__ = "gold_score"

    def __init__(
        self,
        engine,
        settings: JudgeSettings,
        every: int = 1,
        sample: float = 1.0,
        units: StepUnits = ONE_UPDATE_PER_STEP,
        seed: int = 0,
    ):
        if every < 1 or not 0 < sample <= 1:
            raise ValueError("gold on rollouts: every >= 1 and 0 < sample <= 1")
        self.engine, self.settings = engine, settings
        self.every, self.sample, self.seed = every, sample, seed
        self.units = units
        self.calls = 0

    def picks(self, step: int | None, n: int) -> list[int]:
        """The rollouts (indices into this call's batch) that the gold scores at `step`."""
        if step is None or (step - 1) % self.every:
            return []
        k = max(1, round(self.sample * n))
        return sorted(random.Random(self.seed * 1_000_003 + step).sample(range(n), k))

    def __call__(
        self,
        prompts,
        completions,
        instruction,
        trainer_state=None,
        log_metric=None,
        **_,
    ):
        answers = [completion_text(c) for c in completions]
        out: list[float | None] = [None] * len(answers)
        picks = self.picks(_step(trainer_state, self.units), len(answers))
        if not picks:
            return out
        verdicts = judge_pointwise(
            self.engine,
            [instruction[k] for k in picks],
            [answers[k] for k in picks],
            self.settings,
        )
        self.calls += len(verdicts)
        for k, verdict in zip(picks, verdicts):
            if verdict["valid"]:
                expected = verdict["expected_score"]
                out[k] = float(expected if expected is not None else verdict["score"])
        if log_metric is not None:
            log_metric("gold/invalid", float(sum(not v["valid"] for v in verdicts)))
            log_metric("gold/scored", float(len(verdicts)))
        return out


def malformed_rate(verdicts: list[dict]) -> float:
    """The share of judge outputs whose own text has no verdict (forced verdicts included)."""
    observed = [v["malformed"] for v in verdicts if v.get("malformed") is not None]
    return sum(observed) / len(observed) if observed else 0.0


def score_distribution(verdicts: list[dict]) -> dict[str, float]:
    """The judge's score distribution over one batch: the share of each valid score 0..9."""
    valid = [v["score"] for v in verdicts if v["valid"]]
    return {
        f"judge/score_{x}": (valid.count(x) / len(valid) if valid else 0.0)
        for x in range(10)
    }


class PairwiseJudgeReward:
    """Eq. 4: a pairwise judge compares every ordered pair of a group's rollouts; each rollout's
    reward is its win rate. Every judge call and every reward is logged for recomputation."""

    __name__ = "judge_win_rate"

    def __init__(
        self,
        engine,
        settings: JudgeSettings,
        group_size: int,
        log_path: str | Path | None = None,
        units: StepUnits = ONE_UPDATE_PER_STEP,
    ):
        if group_size < 2:
            raise ValueError(
                "a pairwise reward needs groups of at least two rollouts (num_generations >= 2)"
            )
        self.engine, self.settings, self.group_size = engine, settings, group_size
        self.units = units
        self.log_path = Path(log_path) if log_path else None
        self.calls = 0

    def groups(self, ids: list) -> list[list[int]]:
        """TRL lays out each prompt's rollouts next to each other; check it rather than assume it."""
        g = self.group_size
        if len(ids) % g:
            raise ValueError(
                f"a reward batch of {len(ids)} rollouts does not split into groups of {g}; make "
                "per_device_train_batch_size x steps_per_generation a multiple of num_generations"
            )
        groups = [list(range(start, start + g)) for start in range(0, len(ids), g)]
        for group in groups:
            if len({ids[k] for k in group}) != 1:
                raise ValueError(
                    "rollouts of one prompt are not contiguous in the reward batch; a pairwise "
                    "reward needs each group whole on one process"
                )
        return groups

    def __call__(
        self,
        prompts,
        completions,
        instruction,
        id=None,
        rubric=None,
        trainer_state=None,
        log_metric=None,
        **_,
    ):
        answers = [completion_text(c) for c in completions]
        groups = self.groups(list(id) if id is not None else list(instruction))
        pairs = [(a, b) for group in groups for a in group for b in group if a != b]
        verdicts = judge_pairwise(
            self.engine,
            [instruction[a] for a, _ in pairs],
            [answers[a] for a, _ in pairs],
            [answers[b] for _, b in pairs],
            self.settings,
            [rubric[a] for a, _ in pairs] if rubric is not None else None,
        )
        outcome = {
            pair: {1: 1.0, 2: 0.0}.get(v["choice"]) for pair, v in zip(pairs, verdicts)
        }
        rewards = [0.0] * len(answers)
        for group in groups:
            matrix = [[None if a == b else outcome[a, b] for b in group] for a in group]
            for k, value in zip(group, round_robin_rewards(matrix)[0]):
                rewards[k] = value
        self.calls += len(verdicts)
        step = _step(trainer_state, self.units)
        first = first_preferred(verdicts, step)
        if log_metric is not None:
            log_metric("judge/malformed_rate", malformed_rate(verdicts))
            log_metric("judge/calls", float(len(verdicts)))
            log_metric("judge/first_preferred", first)
        _append_jsonl(
            self.log_path,
            pairwise_log_rows(step, id, pairs, verdicts, instruction, answers, rewards),
        )
        return rewards


def first_preferred(verdicts: list[dict], step: int | None) -> float:
    """The share of pairwise games won by the response shown first, with a warning where it is
    all or none of them."""
    first = sum(v["choice"] == 1 for v in verdicts) / len(verdicts)
    if first in (0.0, 1.0):
        # Each rollout then wins its games in one position and loses them in the other:
        # every reward is 0.5, and the step teaches the policy nothing.
        log.warning(
            "step %s: the pairwise judge chose response %d in all %d games (position "
            "bias): every reward is 0.5, no learning signal",
            step,
            1 if first == 1.0 else 2,
            len(verdicts),
        )
    return first


def pairwise_log_rows(step, ids, pairs, verdicts, instruction, answers, rewards):
    """Eq. 4's log of one reward call: a row per judged pair, then a row per rollout."""
    key = (lambda k: ids[k]) if ids is not None else (lambda k: None)
    return [
        *(
            {"kind": "pair", "step": step, "id": key(a), "first": a, "second": b, **v}
            for (a, b), v in zip(pairs, verdicts)
        ),
        *(
            {
                "kind": "rollout",
                "step": step,
                "id": key(k),
                "index": k,
                "instruction": instruction[k],
                "completion": answers[k],
                "reward": rewards[k],
            }
            for k in range(len(answers))
        ),
    ]


def k3(log_ratio):
    """exp(d) - 1 - d for d = log pi_0 - log pi of sampled tokens: >= 0, 0 where pi = pi_0."""
    return log_ratio.exp() - 1 - log_ratio


class KLToInitial:
    """A sampled estimate of KL(pi || pi_0) per rollout, on rollouts sampled from pi, both
    policies at the sampling temperature: over its tokens, the sum of exp(d) - 1 - d with
    d = log pi_0 - log pi (Schulman's k3, as TRL's KL term). Each token's term is unbiased for
    that position's KL and never below 0; the plain log-ratio (k1) is unbiased too, but over a few
    rollouts it often comes out negative, which sqrt(KL) cannot plot.

    Registered as a reward function with weight 0, so it changes nothing in the update and its
    mean per step lands in the training log as `rewards/kl_to_initial/mean`.

    The frozen reference sits on the trainer's device (`attach`); log-probabilities are computed
    `chunk_size` rollouts at a time and only at the completion's positions, so memory follows the
    chunk, never the whole batch's full-vocabulary logits.
    """

    __name__ = "kl_to_initial"

    def __init__(
        self,
        reference_model,
        tokenizer,
        temperature: float = 1.0,
        autocast_dtype=None,
        chunk_size: int = 4,
    ):
        if chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")
        self.reference, self.tokenizer = reference_model, tokenizer
        self.temperature, self.chunk_size = temperature, chunk_size
        # The trainer runs its model under mixed-precision autocast (accelerate wraps its forward);
        # the reference must compute the same way, or the KL of the initial policy is not zero.
        self.autocast_dtype = autocast_dtype
        self.policy = None  # the trainer's model, once the trainer exists (attach)
        self.reference.eval().requires_grad_(False)

    def attach(self, policy, device) -> None:
        """Compare with the trainer's model; the reference goes to this process's accelerator
        device (`trainer.accelerator.device`). The policy's own parameters are no guide: under
        FSDP the Trainer leaves them on the CPU until `accelerator.prepare` inside `train()`."""
        self.policy = policy
        self.reference.to(device)

    def prompt_ids(self, prompt) -> list[int]:
        if isinstance(prompt, str):
            return self.tokenizer.encode(prompt, add_special_tokens=False)
        text = self.tokenizer.apply_chat_template(
            prompt, tokenize=False, add_generation_prompt=True
        )
        return self.tokenizer.encode(text, add_special_tokens=False)

    def _logps(self, model, seqs, starts, lengths):
        """log p of each completion token, rollouts `chunk_size` at a time."""
        import torch

        device = next(model.parameters()).device
        pad = self.tokenizer.pad_token_id or 0
        out = []
        for first in range(0, len(seqs), self.chunk_size):
            rows = range(first, min(first + self.chunk_size, len(seqs)))
            width = max(len(seqs[k]) for k in rows)
            # Right padding: the tokens scored sit at the same positions as in an unpadded pass.
            ids = torch.tensor([seqs[k] + [pad] * (width - len(seqs[k])) for k in rows])
            mask = torch.tensor(
                [[1] * len(seqs[k]) + [0] * (width - len(seqs[k])) for k in rows]
            )
            with torch.autocast(
                device.type,
                dtype=self.autocast_dtype or torch.float32,
                enabled=self.autocast_dtype is not None,
            ):
                logits = model(
                    input_ids=ids.to(device), attention_mask=mask.to(device)
                ).logits
            for row, k in enumerate(rows):
                s, n = starts[k], lengths[k]
                scores = logits[row, s - 1 : s - 1 + n].float() / self.temperature
                taken = torch.tensor(seqs[k][s : s + n], device=device)
                logp = torch.log_softmax(scores, dim=-1)
                out.append(logp.gather(-1, taken.unsqueeze(-1)).squeeze(-1).cpu())
            del logits
        return out

    def __call__(self, prompts, completions, completion_ids, **_):
        import torch

        if self.policy is None:
            raise RuntimeError(
                "KLToInitial has no policy; call attach(trainer.model, trainer.accelerator.device) after building the trainer"
            )
        seqs, starts, lengths = [], [], []
        for prompt, ids in zip(prompts, completion_ids):
            head = self.prompt_ids(prompt)
            seqs.append(head + list(ids))
            starts.append(len(head))
            lengths.append(len(ids))
        with torch.no_grad():
            policy = self._logps(self.policy, seqs, starts, lengths)
            reference = self._logps(self.reference, seqs, starts, lengths)
        return [float(k3(r - p).sum()) for p, r in zip(policy, reference)]


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
        raise ValueError(
            "outcomes must be a square matrix over a group of at least two rollouts"
        )
    invalid = sum(outcomes[i][j] is None for i in range(g) for j in range(g) if i != j)

    def value(x):
        return 0.5 if x is None else float(x)

    rewards = []
    for i in range(g):
        wins = [
            (value(outcomes[i][j]) + 1.0 - value(outcomes[j][i])) / 2
            for j in range(g)
            if j != i
        ]
        rewards.append(sum(wins) / len(wins))
    return rewards, invalid


def both_order_wins(
    choice_shown_first: int | None, choice_shown_second: int | None
) -> float:
    """An answer's wins against one opponent over the two games with positions swapped: the first
    game shows the answer first, the second shows it second. An invalid verdict is half a game."""
    first = {1: 1.0, 2: 0.0}.get(choice_shown_first, 0.5)
    second = {2: 1.0, 1: 0.0}.get(choice_shown_second, 0.5)
    return (first + second) / 2
