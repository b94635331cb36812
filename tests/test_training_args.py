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


# What each config trains on, per step, in the paper's terms: (prompts, rollouts per prompt,
# optimizer updates) per step, and its steps. The paper's are verl's batches counted in prompts.
BATCHES = {
    ("default", "judge_grpo"): (1, 4, 1, 2),
    ("default", "policy_grpo"): (1, 4, 1, 4),
    ("paper", "judge_grpo"): (2048, 8, 4, 200),
    ("paper", "policy_grpo"): (1024, 8, 4, 1200),
}
PROCESSES = {"judge_grpo": "train_judge_grpo", "policy_grpo": "train_policy"}


@pytest.mark.parametrize("name", ["default", "paper", "single_gpu"])
@pytest.mark.parametrize("section", ["judge_grpo", "policy_grpo"])
def test_every_config_builds_its_grpo_config(tiny_model_dir, tmp_path, name, section):
    """TRL's GRPOConfig, built as the trainer builds it on each of its processes: the rollouts it
    generates at once and the updates it makes from them are the config's batch."""
    from transformers import AutoTokenizer
    from trl import GRPOConfig

    from judgerl import grpo_batch

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    cfg = load(name)
    args = copy.deepcopy(cfg["training"][section])
    processes = cfg.get("launch", {}).get(PROCESSES[section], {}).get("processes", 1)
    trl = grpo_batch.trl_args(args, processes)
    prompts = [[{"role": "user", "content": "word " * n}] for n in (5, 300)]
    extra = training.colocated_vllm_args(trl, tokenizer, prompts)
    config = GRPOConfig(**training.trainer_args(tmp_path, 0, **trl), **extra)
    # GRPOConfig sees one process here; each of `processes` generates its share.
    rollouts = config.generation_batch_size * processes
    updates = config.steps_per_generation // config.gradient_accumulation_steps
    assert config.steps_per_generation % config.gradient_accumulation_steps == 0
    assert rollouts % config.num_generations == 0  # whole groups
    assert config.max_steps % updates == 0 and config.save_steps % updates == 0
    steps = config.max_steps // updates
    assert steps == args["max_steps"]  # the config's steps are paper steps
    if (name, section) in BATCHES:
        prompts_per_step, n, updates_per_step, paper_steps = BATCHES[name, section]
        assert rollouts == prompts_per_step * n and config.num_generations == n
        assert updates == updates_per_step and steps == paper_steps
        # What TRL will train on over the run, counted from its own arguments.
        prompts_seen = (
            config.max_steps
            * config.gradient_accumulation_steps
            * config.per_device_train_batch_size
            * processes
            // config.num_generations
        )
        assert prompts_seen == paper_steps * prompts_per_step
    if trl.get("use_vllm"):
        longest = training.prompt_tokens(tokenizer, prompts[1])
        assert config.vllm_max_model_length == longest + args["max_completion_length"]
        assert config.vllm_mode == "colocate" and config.use_vllm
        assert config.vllm_max_model_length < 16384  # not the model's whole context
    else:
        assert extra == {} and not config.use_vllm


def test_the_batch_reads_responses_one_switch_away():
    from judgerl import grpo_batch

    batch = {
        "global_batch": 1024,
        "mini_batch": 256,
        "rollouts_per_prompt": 8,
        "counts": "prompts",
        "rollouts_per_device": 2,
    }
    args = {"max_steps": 10, "save_steps": 5, "batch": batch}
    assert grpo_batch.trl_args(args, processes=4) == {
        "max_steps": 40,  # 4 updates per step
        "save_steps": 20,
        "per_device_train_batch_size": 2,
        "num_generations": 8,
        "gradient_accumulation_steps": 256,  # 2048 rollouts per update / (2 x 4)
        "steps_per_generation": 1024,  # 8192 rollouts per step / (2 x 4)
    }
    responses = {**args, "batch": {**batch, "counts": "responses"}}
    assert grpo_batch.shape(responses["batch"]) == {
        "prompts_per_step": 128,
        "rollouts_per_step": 1024,
        "rollouts_per_update": 256,
        "updates_per_step": 4,
    }
    assert grpo_batch.trl_args(responses, processes=4)["steps_per_generation"] == 128
    with pytest.raises(grpo_batch.BatchError, match="derived from `batch`"):
        grpo_batch.trl_args({**args, "num_generations": 8})
    with pytest.raises(grpo_batch.BatchError, match="do not split into micro-steps"):
        grpo_batch.trl_args(args, processes=3)
    with pytest.raises(grpo_batch.BatchError, match="does not divide"):
        grpo_batch.trl_args({**args, "batch": {**batch, "mini_batch": 300}})


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


def test_logs_and_judge_calls_count_paper_steps(tmp_path):
    """With 4 updates per step, TRL's updates 1-4 are paper step 1, 5-8 step 2; rewards are
    computed for the step about to run."""
    from types import SimpleNamespace

    import polars as pl

    from judgerl.rewards import _step

    history = [{"step": k, "loss": 0.1 * k} for k in range(1, 9)]
    training.write_log_history(history, tmp_path / "log.csv", updates_per_step=4)
    log = pl.read_csv(tmp_path / "log.csv")
    assert log["step"].to_list() == [1, 1, 1, 1, 2, 2, 2, 2]
    assert log["trainer_step"].to_list() == list(range(1, 9))
    assert _step(SimpleNamespace(global_step=0), 4) == 1
    assert _step(SimpleNamespace(global_step=4), 4) == 2
    assert _step(SimpleNamespace(global_step=4)) == 5  # one update per step
