import json

import pytest

from judgerl.engines import Sampling
from judgerl.judging import JudgeSettings
from judgerl.prompts import NON_REASONING, REASONING
from judgerl.rewards import JudgeAccuracyReward, JudgeAsReward, completion_text


class State:
    global_step = 4


def test_judge_accuracy_reward_eq1_on_written_verdicts():
    reward = JudgeAccuracyReward(REASONING)
    completions = [
        "Accurate.\n</think>\nScore: 6",  # gold 6: 1
        "Mostly right.\n</think>\nScore: 3",  # gold 6: (81 - 9) / 81
        "thinking without end Score: 6",  # never closed: invalid, -1
        "done\n</think>\nno score line",  # invalid, -1
    ]
    metrics = {}
    values = reward(prompts=[""] * 4, completions=completions, gold_score=[6, 6, 6, 6],
                    log_metric=lambda k, v: metrics.__setitem__(k, v))
    assert values == pytest.approx([1.0, 72 / 81, -1.0, -1.0])
    assert metrics["judge/invalid_rate"] == 0.5
    nr = JudgeAccuracyReward(NON_REASONING)
    assert nr(prompts=[""], completions=[[{"role": "assistant", "content": "Score: 0"}]], gold_score=[9]) == [0.0]


def test_completion_text_of_conversational_completions():
    assert completion_text([{"role": "assistant", "content": "hi"}]) == "hi"
    assert completion_text("plain") == "plain"


def test_judge_as_reward_is_the_logged_expected_score(tiny_engine, tmp_path):
    log_path = tmp_path / "calls.jsonl"
    settings = JudgeSettings(NON_REASONING, Sampling(max_tokens=6, temperature=0.7, top_k=20, top_p=0.95))
    reward = JudgeAsReward(tiny_engine, settings, log_path=log_path)
    completions = [[{"role": "assistant", "content": text}] for text in ("Paris.", "I refuse.", "Lyon", "")]
    metrics = {}
    values = reward(prompts=[None] * 4, completions=completions, instruction=["Capital of France?"] * 4,
                    id=["a", "a", "a", "a"], trainer_state=State(), log_metric=lambda k, v: metrics.__setitem__(k, v))
    rows = [json.loads(line) for line in log_path.read_text().splitlines()]
    assert len(values) == len(rows) == 4 and reward.calls == 4
    for value, row in zip(values, rows):
        # Recomputed from the logged distribution: sum_x x p(x).
        assert value == pytest.approx(sum(x * p for x, p in enumerate(row["probs"])), abs=1e-3)
        assert 0.0 <= value <= 9.0
        assert row["step"] == 5  # computed for the optimizer step about to run
    assert metrics["judge/malformed_rate"] == sum(not r["valid"] for r in rows) / 4


def test_eq3_pairwise_accuracy():
    from judgerl.verdicts import pairwise_accuracy_reward

    assert pairwise_accuracy_reward(0, 0) == 1.0
    assert pairwise_accuracy_reward(1, 0) == 0.0
    assert pairwise_accuracy_reward(None, 1) == -1.0
    assert pairwise_accuracy_reward(2, 1) == -1.0


def test_eq4_round_robin_on_a_group_with_known_preferences():
    from judgerl.rewards import round_robin_rewards

    # Rollout 0 beats everyone in both orders, 2 loses to everyone, 1 is in between.
    better = {(0, 1), (0, 2), (1, 2)}
    outcomes = [[None if i == j else (1.0 if (i, j) in better else 0.0) for j in range(3)] for i in range(3)]
    rewards, invalid = round_robin_rewards(outcomes)
    assert rewards == pytest.approx([1.0, 0.5, 0.0]) and invalid == 0
    # A position-biased judge (always prefers whoever is shown first) gives everyone 0.5.
    first = [[None if i == j else 1.0 for j in range(4)] for i in range(4)]
    assert round_robin_rewards(first)[0] == pytest.approx([0.5] * 4)
    # An invalid verdict counts as a tie, and is counted.
    outcomes[0][1] = None
    rewards, invalid = round_robin_rewards(outcomes)
    assert invalid == 1 and rewards[0] == pytest.approx(((0.5 + 1.0) / 2 + 1.0) / 2)
    with pytest.raises(ValueError):
        round_robin_rewards([[None]])
