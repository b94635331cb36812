"""The study's config: canonical form, defaults from the schema, and the checks the schema cannot
express (references between sections, GPU splits, batch shapes).

The Snakefile validates the config against `schemas/config.schema.yaml` (which fills every
`default:`), then calls `canonical` and `check`. Tests call the same functions on a dict.
"""

from __future__ import annotations

from pathlib import Path

from judgerl import grpo_batch
from judgerl.layout import Layout

SCHEMA = Path(__file__).resolve().parents[2] / "schemas" / "config.schema.yaml"
STAGE_ORDERS = ([], ["sft"], ["grpo"], ["sft", "grpo"])
# Room for a prompt's template around its texts: the judge's rules, delimiters and a rubric.
JUDGE_TEMPLATE_TOKENS = 1024
CHAT_TEMPLATE_TOKENS = 512


class ConfigError(ValueError):
    """A config that the schema accepts but the study cannot run; the message names the key."""


def canonical(value):
    """`value` with every mapping's keys sorted, recursively; lists keep their order.

    Snakemake compares a job's params by their repr, so the same values in another key order
    would rerun the job; in canonical form only a change of value does.
    """
    if isinstance(value, dict):
        return {key: canonical(value[key]) for key in sorted(value, key=str)}
    if isinstance(value, (list, tuple)):
        return [canonical(item) for item in value]
    return value


def validate(config: dict, schema: str | Path = SCHEMA) -> dict:
    """Validate against the schema and fill its defaults in place, as the Snakefile does."""
    from snakemake.utils import validate as snakemake_validate

    snakemake_validate(config, str(schema))
    return config


def checkpoint_steps(config: dict) -> list[int]:
    """Step 0 (the initial policy), then every save of the policy trainer."""
    grpo = config["training"]["policy_grpo"]
    return [0, *range(grpo["save_steps"], grpo["max_steps"] + 1, grpo["save_steps"])]


def pairwise_baseline_file(evaluation: dict) -> str | None:
    """Where the answers that pairwise runs meet are: a configured file, or the output of rule
    generate_pairwise_baseline; None: each run's initial policy."""
    baseline = evaluation.get("pairwise_baseline")
    if isinstance(baseline, dict):
        return f"results/baselines/{baseline['name']}/answers.jsonl"
    return baseline


# Each rule's resource needs where config `resources.<rule>` sets none: GPUs (per node for a
# trainer), CPU threads, memory in MB and runtime in minutes. The CPU default asks for no GPU (a
# GPU request fails at submission on a cluster without GPUs). The schema's `resources` names
# these rules, and a test checks both against the workflow's rules.
_CPU_JOB = {"gpu": 0, "threads": 1, "mem_mb": 8000, "runtime": 120}
_TRAINER = {"gpu": 0, "threads": 1, "mem_mb": 12000}
RULE_RESOURCES = {
    "prepare_model": {**_CPU_JOB, "threads": 2, "runtime": 60},
    "make_splits": {**_CPU_JOB, "mem_mb": 4000, "runtime": 30},
    "generate_candidates": _CPU_JOB,
    "annotate_gold": {**_CPU_JOB, "runtime": 240},
    "annotate_gold_pairwise": {**_CPU_JOB, "runtime": 240},
    "generate_rubrics": {**_CPU_JOB, "runtime": 240},
    "train_judge_sft": {**_TRAINER, "runtime": 600},
    "train_judge_grpo": {**_TRAINER, "runtime": 600},
    "evaluate_judge": _CPU_JOB,
    "evaluate_judge_before_rl": _CPU_JOB,
    "train_policy": {**_TRAINER, "mem_mb": 16000, "runtime": 1440},
    "generate_pairwise_baseline": {**_CPU_JOB, "mem_mb": 4000, "runtime": 240},
    "generate_initial_answers": _CPU_JOB,
    "generate_answers": _CPU_JOB,
    "score_initial_answers": _CPU_JOB,
    "score_answers_by_judge": _CPU_JOB,
    "score_answers_by_gold": _CPU_JOB,
    "gold_robustness": _CPU_JOB,
    "generate_arena_answers": _CPU_JOB,
    "generate_arena_baseline": _CPU_JOB,
    "judge_arena": {**_CPU_JOB, "runtime": 240},
}
# The rules that start their processes by a layout (config `launch.<rule>`, judgerl/layout.py).
TRAINERS = ("train_judge_sft", "train_judge_grpo", "train_policy")


def rule_resources(config: dict, rule: str) -> dict:
    """What a rule's jobs get: config `resources.<rule>` over the rule's RULE_RESOURCES (with
    `retries` only where config sets it: else the profile's). A rule not in the table raises."""
    if rule not in RULE_RESOURCES:
        raise ConfigError(
            f"no resources for rule {rule!r}: not in config.RULE_RESOURCES"
        )
    return {**RULE_RESOURCES[rule], **config.get("resources", {}).get(rule, {})}


def judge_stage_args(config: dict, judge: str, stage: str) -> dict:
    """A judge's arguments for one training stage (sft / grpo): training.judge_<stage>, then the
    judge's own `<stage>` overrides."""
    return {
        **config["training"][f"judge_{stage}"],
        **config["judges"][judge].get(stage, {}),
    }


def policy_grpo_args(config: dict, run: str) -> dict:
    """A policy run's GRPO arguments: training.policy_grpo, then the run's `grpo` overrides."""
    return {
        **config["training"]["policy_grpo"],
        **config["policy_runs"][run].get("grpo", {}),
    }


def check(config: dict) -> None:
    """Raise ConfigError, naming the key, for what the schema cannot see."""
    _check_references(config)
    _check_batches(config)
    _check_gpu_split(config)
    _check_lengths(config)


def _need(config: dict, kind: str, name: str, where: str) -> None:
    if name not in config[kind]:
        raise ConfigError(
            f"{where} names {kind[:-1]} {name!r}, which is not in `{kind}` "
            f"({', '.join(config[kind])})"
        )


def _check_references(config: dict) -> None:
    """Every name that one section gives of another's entry exists there."""
    _check_sources(config)
    _check_judges(config)
    _check_runs(config)
    _check_arena(config.get("arena_hard"), config)


def _check_sources(config: dict) -> None:
    """The models behind the candidates, the gold judge and the data's token counter."""
    candidates, gold = config["candidates"], config["gold"]
    if candidates["source"] == "model":
        if "model" not in candidates:
            raise ConfigError(
                "candidates.source is 'model' but candidates.model is not set"
            )
        _need(config, "models", candidates["model"], "candidates.model")
    if "model" in gold:
        _need(config, "models", gold["model"], "gold.model")
    elif gold["backend"]["kind"] in ("transformers", "vllm"):
        raise ConfigError(
            f"gold.model is not set: a {gold['backend']['kind']} gold loads a model"
        )
    for where in ("candidates", "judge_inference", "evaluation"):
        if config[where].get("backend", {}).get("kind") == "known":
            raise ConfigError(f"{where}.backend: 'known' is a gold judge, not a model")
    data = config["data"]
    if "max_instruction_tokens" in data or "max_response_tokens" in data:
        if "token_counter" not in data:
            raise ConfigError(
                "data caps tokens, but data.token_counter (whose tokenizer) is not set"
            )
        _need(config, "models", data["token_counter"], "data.token_counter")
    if "high" not in gold["efforts"]:
        raise ConfigError(
            "gold.efforts must define 'high': the gold judge grades policies at high effort"
        )


def _check_judges(config: dict) -> None:
    gold = config["gold"]
    for name, judge in config["judges"].items():
        _need(config, "models", judge["base"], f"judges.{name}.base")
        if judge["format"] == "pairwise" and judge["rubrics"]:
            raise ConfigError(
                f"judges.{name}: rubrics are for pointwise judges, as in the paper"
            )
        writes_rubrics = "rubrics" in gold or gold["backend"]["kind"] == "known"
        if judge["rubrics"] and not writes_rubrics:
            raise ConfigError(
                f"judges.{name} reads rubrics, but gold.rubrics (how the gold model writes them) "
                "is not set"
            )
        if judge["stages"] not in STAGE_ORDERS:
            raise ConfigError(
                f"judges.{name}.stages must be [], [sft], [grpo] or [sft, grpo]"
            )
        if judge["gold_effort"] not in gold["efforts"]:
            raise ConfigError(
                f"judges.{name}.gold_effort is {judge['gold_effort']!r}, not in gold.efforts"
            )


def _check_runs(config: dict) -> None:
    for name, run in config["policy_runs"].items():
        _need(config, "models", run["policy"], f"policy_runs.{name}.policy")
        _need(config, "judges", run["judge"], f"policy_runs.{name}.judge")
        steps = {"max_steps", "save_steps"} & set(run.get("grpo", {}))
        if steps:
            raise ConfigError(
                f"policy_runs.{name}.grpo sets {sorted(steps)}: every run saves the checkpoints "
                "of training.policy_grpo, which evaluation and the figures compare step by step"
            )


def _check_arena(arena: dict | None, config: dict) -> None:
    if not arena:
        return
    for table, runs in arena["tables"].items():
        for run in runs:
            _need(config, "policy_runs", run, f"arena_hard.tables.{table}")
    for category, base in arena["baselines"].items():
        if "model" in base:
            _need(
                config,
                "models",
                base["model"],
                f"arena_hard.baselines.{category}.model",
            )
    if arena["judge"]["backend"]["kind"] != "openai":
        if "model" not in arena["judge"]:
            raise ConfigError(
                "arena_hard.judge.model must name a model for a local judge backend"
            )
        _need(config, "models", arena["judge"]["model"], "arena_hard.judge.model")
    counter = arena["length_tokenizer"]
    if not counter.startswith("tiktoken:"):
        _need(config, "models", counter, "arena_hard.length_tokenizer")


def _world_size(config: dict, rule: str) -> int:
    return Layout.of(config.get("launch", {}).get(rule)).world_size


def _check_batches(config: dict) -> None:
    for section, rule in (
        ("judge_grpo", "train_judge_grpo"),
        ("policy_grpo", "train_policy"),
    ):
        processes = _world_size(config, rule)
        try:
            grpo_batch.trl_args(config["training"][section], processes)
        except grpo_batch.BatchError as error:
            raise ConfigError(f"training.{section}: {error}") from None
    processes = _world_size(config, "train_policy")
    for name in config["policy_runs"]:
        try:
            grpo_batch.trl_args(policy_grpo_args(config, name), processes)
        except grpo_batch.BatchError as error:
            raise ConfigError(f"policy_runs.{name}.grpo: {error}") from None
    grpo = config["training"]["policy_grpo"]
    trl = grpo_batch.trl_args(grpo, processes)
    pairwise = [
        run
        for run in config["policy_runs"].values()
        if config["judges"][run["judge"]]["format"] == "pairwise"
    ]
    # TRL scores a process's whole generation batch at once: per_device_train_batch_size x
    # steps_per_generation rollouts (steps_per_generation defaults to the accumulation steps).
    local = trl["per_device_train_batch_size"] * trl.get(
        "steps_per_generation", trl.get("gradient_accumulation_steps", 1)
    )
    if pairwise and local % trl["num_generations"]:
        raise ConfigError(
            "training.policy_grpo: per_device_train_batch_size x steps_per_generation must be a "
            "multiple of num_generations for pairwise rewards (Eq. 4 compares rollouts within a "
            "whole group, on one process)"
        )
    if grpo["max_steps"] % grpo["save_steps"]:
        raise ConfigError(
            "training.policy_grpo.max_steps must be a multiple of save_steps "
            "(each save is a checkpoint)"
        )


def _check_gpu_split(config: dict) -> None:
    """resources.<rule>.gpu is the GPUs of each node of the job: those the layout puts there."""
    for rule, settings in config.get("launch", {}).items():
        layout = Layout.of(settings)
        gpus = rule_resources(config, rule)["gpu"]
        wanted = layout.gpus_per_node(gpu_job=True)
        if gpus and gpus != wanted:
            raise ConfigError(
                f"resources.{rule}.gpu is {gpus}, but launch.{rule} ({layout.describe()}) "
                f"needs {wanted} GPUs per node: make them agree"
            )
        if layout.nodes > 1 and layout.served and not layout.judge_nodes:
            raise ConfigError(
                f"launch.{rule}: a trainer on {layout.nodes} nodes serves its judge on nodes of "
                "its own: set judge_server.nodes"
            )


def longest_judge_output(judging: dict) -> int:
    """The largest number of tokens a judge may write: over evaluation and reward, and over
    their pairwise overrides (config `judge_inference`)."""
    return max(
        sampling.get("max_tokens", 0)
        for purpose in ("evaluation", "reward")
        for sampling in (judging[purpose], judging[purpose].get("pairwise", {}))
    )


def _check_lengths(config: dict) -> None:
    """With token caps on the data, every vLLM engine and server must hold its longest prompt
    and its output: a pairwise judge reads an instruction and two responses."""
    data = config["data"]
    if "max_instruction_tokens" not in data:
        return
    instruction = data["max_instruction_tokens"]
    response = max(
        data.get("max_response_tokens", 0),
        config["training"]["policy_grpo"].get("max_completion_length", 0),
        config["evaluation"]["answers"].get("max_tokens", 0),
    )
    judging = config["judge_inference"]
    judge_output = longest_judge_output(judging)
    judge_need = instruction + 2 * response + judge_output + JUDGE_TEMPLATE_TOKENS
    places = [("judge_inference.backend", judging["backend"], judge_need)]
    server = config.get("launch", {}).get("train_policy", {}).get("judge_server")
    if server:
        places.append(("launch.train_policy.judge_server", server, judge_need))
    answers = config["evaluation"]["answers"].get("max_tokens", 0)
    places.append(
        (
            "evaluation.backend",
            config["evaluation"]["backend"],
            instruction + answers + CHAT_TEMPLATE_TOKENS,
        )
    )
    for where, backend, need in places:
        if backend.get("kind", "vllm") == "vllm" and backend["max_model_len"] < need:
            raise ConfigError(
                f"{where}.max_model_len is {backend['max_model_len']}, but its longest prompt "
                f"and output take up to {need} tokens (data caps, generation caps, template)"
            )
