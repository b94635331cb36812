"""The judge trainers' pieces (judgerl/judge_trainer.py): one prompt dataset for SFT and GRPO,
SFT's checkpoint schedule, the choice of the GRPO step."""

import json

import pytest
from transformers import AutoTokenizer

from judgerl import judge_trainer
from judgerl.data import gold_examples
from judgerl.prompts import FORMATS, NON_REASONING, REASONING, judge_prompt

JUDGE = {
    "mode": REASONING,
    "base_spec": {},
    "format": "pointwise",
    "wording": "study",
}


@pytest.fixture
def gold(tmp_path):
    rows = [
        {
            "key": f"k{n}",
            "id": f"q{n}",
            "instruction": f"Question {n}?",
            "response": f"Answer {n}.",
            "score": n,
            "reasoning": f"Reason {n}.",
            "valid": n != 2,
        }
        for n in range(4)
    ]
    path = tmp_path / "gold.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_sft_and_grpo_see_the_same_prompts(tiny_model_dir, gold):
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    examples = gold_examples(gold, "pointwise")
    sft = judge_trainer.judge_dataset(
        examples, tokenizer, JUDGE, judge_trainer.sft_target
    ).to_list()
    grpo = judge_trainer.judge_dataset(
        examples, tokenizer, JUDGE, judge_trainer.grpo_target
    ).to_list()
    assert [r["prompt"] for r in sft] == [r["prompt"] for r in grpo]
    assert len(sft) == 3  # the invalid verdict is left out
    first = examples[0]
    assert sft[0]["prompt"] == judge_prompt(
        tokenizer,
        REASONING,
        {},
        first["instruction"],
        first["responses"],
        None,
        FORMATS["pointwise"],
        "study",
    )
    assert sft[0]["completion"].startswith("Reason 0.")
    assert grpo[0] == {"prompt": sft[0]["prompt"], "gold_label": 0, "item": "k0"}
    short = judge_trainer.sft_target(first, {**JUDGE, "mode": NON_REASONING})
    assert "Reason" not in short["completion"]


def test_sft_needs_a_valid_gold_verdict(tmp_path):
    empty = tmp_path / "none.jsonl"
    empty.write_text("")
    with pytest.raises(ValueError, match="no valid gold verdict"):
        judge_trainer.sft_examples(empty, JUDGE, None)


def test_sft_validates_at_its_checkpoints():
    assert judge_trainer.sft_schedule({"learning_rate": 1e-5}) == {
        "eval_strategy": "epoch",
        "save_strategy": "epoch",
    }
    assert judge_trainer.sft_schedule({"save_steps": 50}) == {
        "eval_strategy": "steps",
        "save_strategy": "steps",
        "eval_steps": 50,
    }


def test_the_best_grpo_step_is_the_earlier_of_a_tie():
    results = [
        {"step": 2, "mean_reward": 0.5},
        {"step": 4, "mean_reward": 0.7},
        {"step": 6, "mean_reward": 0.7},
    ]
    assert judge_trainer.best_step(results)["step"] == 4
