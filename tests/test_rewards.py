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
