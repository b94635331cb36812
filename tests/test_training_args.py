"""The trainer arguments every config gives TRL, built as the trainers build them: TRL accepts
them, and the paper's colocated vLLM generation (use_vllm, GPU only: vLLM's CPU build does not
take TRL's in-place weight updates) is sized to the data, never to the model's whole context."""

import copy
from pathlib import Path

import pytest
import yaml

from judgerl import config as study_config
from judgerl import training

ROOT = Path(__file__).resolve().parents[1]


def load(name):
    path = ROOT / ("config.yaml" if name == "default" else f"configs/{name}.yaml")
    return study_config.validate(yaml.safe_load(path.read_text()))


@pytest.mark.parametrize("name", ["default", "paper", "single_gpu"])
@pytest.mark.parametrize("section", ["judge_grpo", "policy_grpo"])
def test_every_config_builds_its_grpo_config(tiny_model_dir, tmp_path, name, section):
    from transformers import AutoTokenizer
    from trl import GRPOConfig

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    args = copy.deepcopy(load(name)["training"][section])
    prompts = [[{"role": "user", "content": "word " * n}] for n in (5, 300)]
    extra = training.colocated_vllm_args(args, tokenizer, prompts)
    config = GRPOConfig(**training.trainer_args(tmp_path, 0, **args), **extra)
    if args.get("use_vllm"):
        longest = training.prompt_tokens(tokenizer, prompts[1])
        assert config.vllm_max_model_length == longest + args["max_completion_length"]
        assert config.vllm_mode == "colocate" and config.use_vllm
        assert config.vllm_max_model_length < 16384  # not the model's whole context
    else:
        assert extra == {} and not config.use_vllm


def test_prompt_tokens_count_the_chat_template(tiny_model_dir):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    conversation = [{"role": "user", "content": "Hi"}]
    rendered = tokenizer.apply_chat_template(
        conversation, tokenize=False, add_generation_prompt=True
    )
    assert training.prompt_tokens(tokenizer, conversation) == training.prompt_tokens(
        tokenizer, rendered
    )
    assert training.prompt_tokens(tokenizer, rendered) > training.prompt_tokens(
        tokenizer, "Hi"
    )
