"""The direction-of-learning statistic on a model moved by hand: an update towards the rewarded
completion gives a positive gain, the same update with the rewards swapped a negative one, and no
update none."""

import pytest

from judgerl.learning_checks import advantage_weighted_gain, completion_logps

INSTRUCTION = "Name a colour."
GOOD, BAD = "Blue is a colour.", "I like trains very much."


def rows(good_reward, bad_reward):
    return [
        {
            "step": 1,
            "id": "a",
            "instruction": INSTRUCTION,
            "completion": GOOD,
            "reward": good_reward,
        },
        {
            "step": 1,
            "id": "a",
            "instruction": INSTRUCTION,
            "completion": BAD,
            "reward": bad_reward,
        },
    ]


@pytest.fixture(scope="module")
def moved_model(tiny_model_dir, tmp_path_factory):
    """The tiny model after a few SGD steps raising log p(GOOD) (fp32, saved as trained)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir, dtype=torch.float32)
    prompt = tokenizer.apply_chat_template(
        [{"role": "user", "content": INSTRUCTION}],
        add_generation_prompt=True,
        tokenize=True,
        return_dict=True,
    )["input_ids"]
    target = tokenizer(GOOD, add_special_tokens=False)["input_ids"]
    ids = torch.tensor([prompt + target])
    labels = ids.clone()
    labels[0, : len(prompt)] = -100
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
    for _ in range(3):
        model(ids, labels=labels).loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    out = tmp_path_factory.mktemp("moved")
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def test_gain_follows_the_advantage(tiny_model_dir, moved_model):
    before = completion_logps(rows(1, 0), tiny_model_dir, chat=True)
    after = completion_logps(rows(1, 0), moved_model, chat=True)
    assert after[0] > before[0]  # the update raised log p(GOOD)
    # By hand: advantages +0.5 / -0.5, weights summing to 1.
    by_hand = 0.5 * (after[0] - before[0]) - 0.5 * (after[1] - before[1])
    gain = advantage_weighted_gain(rows(1, 0), tiny_model_dir, moved_model)
    assert gain == pytest.approx(by_hand, rel=1e-4) and gain > 0
    assert advantage_weighted_gain(
        rows(0, 1), tiny_model_dir, moved_model
    ) == pytest.approx(-gain, rel=1e-4)
    assert advantage_weighted_gain(rows(1, 0), tiny_model_dir, tiny_model_dir) == 0


def test_a_group_without_spread_has_no_direction(tiny_model_dir):
    with pytest.raises(ValueError, match="no rollout differs"):
        advantage_weighted_gain(rows(1, 1), tiny_model_dir, tiny_model_dir)
