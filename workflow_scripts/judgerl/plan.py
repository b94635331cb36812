"""A plan before the cluster: every GPU job of a config, its GPUs, its estimated peak memory per
GPU by term, and its GPU-hours; a job that does not fit fails the plan, naming the job and the
term. `make plan` (python -m judgerl.plan CONFIG) prints it.

The estimates are arithmetic on the models' shapes (config `models.<name>.architecture`) and the
config's caps, with the planning assumptions of config `plan`:
- training state under FSDP over P processes: fp32 weights, fp32 gradients and Adam's two fp32
  moments, 16 bytes per parameter, divided by P;
- activations per micro-batch: with gradient checkpointing one bf16 hidden state per layer, else
  about 34 bytes per token and hidden unit per layer (Korthikanti et al., 2022);
- logits per micro-batch: full-vocabulary bf16 logits and their fp32 log-softmax for the loss;
- vLLM (colocated, served or offline): bf16 weights (over its tensor-parallel GPUs) and the KV
  cache of one sequence at its maximum length, within its memory share;
- the KL monitor's frozen reference: bf16 weights on every trainer GPU;
- time: 6 N FLOPs per trained token at `plan.mfu` of `plan.peak_tflops`, and generation at
  `plan.generation_tokens_per_second` per GPU for an 8B model, scaled by size.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

from judgerl.config import longest_judge_output
from judgerl.grpo_batch import trl_args

GB = 1e9
STATE_BYTES = 16  # fp32 weights + fp32 grads + Adam m and v
ACTIVATION_BYTES_PER_LAYER = 34  # per token and hidden unit, no recompute, 16-bit


@dataclass
class Job:
    name: str
    gpus: int
    memory: dict[str, float] = field(default_factory=dict)  # term -> bytes per GPU
    hours: float = 0.0  # GPU-hours
    budget: dict[str, float] = field(
        default_factory=dict
    )  # group -> bytes it must fit in
    server: dict[str, float] = field(
        default_factory=dict
    )  # the judge server's terms, own GPUs
    server_budget: float = 0.0

    @property
    def peak(self) -> float:
        return sum(self.memory.values())


class PlanError(ValueError):
    """A job that does not fit its GPUs; the message names the job and the term."""


def architecture(config: dict, model: str) -> dict:
    arch = config["models"][model].get("architecture")
    if arch is None:
        raise PlanError(
            f"models.{model}.architecture is not set: the plan needs the model's shape"
        )
    return arch


def kv_cache_bytes(arch: dict, tokens: int) -> float:
    """K and V, bf16, every layer, for `tokens` tokens."""
    return 2 * arch["layers"] * arch["kv_heads"] * arch["head_dim"] * 2 * tokens


def logits_bytes(micro_batch: int, tokens: int, vocab: int) -> float:
    """Full-vocabulary logits in bf16 (2 bytes) and their fp32 log-softmax (4 bytes)."""
    return micro_batch * tokens * vocab * (2 + 4)


def activation_bytes(
    arch: dict, micro_batch: int, tokens: int, checkpointing: bool
) -> float:
    per_layer = 2 if checkpointing else ACTIVATION_BYTES_PER_LAYER
    return arch["layers"] * micro_batch * tokens * arch["hidden"] * per_layer


def training_terms(
    arch: dict, processes: int, micro_batch: int, tokens: int, checkpointing: bool
) -> dict:
    return {
        "weights+grads+adam (FSDP shard)": STATE_BYTES * arch["parameters"] / processes,
        "activations": activation_bytes(arch, micro_batch, tokens, checkpointing),
        "logits": logits_bytes(micro_batch, tokens, arch["vocab"]),
    }


def vllm_terms(arch: dict, max_len: int, tensor_parallel: int = 1) -> dict:
    return {
        "vllm weights (bf16)": 2 * arch["parameters"] / tensor_parallel,
        "vllm KV cache at max length": kv_cache_bytes(arch, max_len) / tensor_parallel,
    }


def train_seconds(plan: dict, parameters: float, tokens: float, gpus: int) -> float:
    return 6 * parameters * tokens / (plan["mfu"] * plan["peak_tflops"] * 1e12 * gpus)


def generate_seconds(plan: dict, parameters: float, tokens: float, gpus: int) -> float:
    rate = plan["generation_tokens_per_second"] * 8e9 / parameters
    return tokens / (rate * gpus)


def _resources(config: dict, rule: str) -> dict:
    return config.get("resources", {}).get(rule, {})


def sft_job(
    name: str,
    arch: dict,
    args: dict,
    processes: int,
    gpus: int,
    examples: int,
    plan: dict,
) -> Job:
    tokens = args.get("max_length", 1024)
    memory = training_terms(
        arch,
        processes,
        args["per_device_train_batch_size"],
        tokens,
        args.get("gradient_checkpointing", False),
    )
    trained = examples * args.get("num_train_epochs", 1) * tokens * plan["mean_fill"]
    seconds = train_seconds(plan, arch["parameters"], trained, processes)
    return Job(
        name, gpus, memory, seconds * gpus / 3600, {"all": plan["gpu_memory_gb"] * GB}
    )


def grpo_job(
    name: str,
    arch: dict,
    args: dict,
    processes: int,
    gpus: int,
    prompt: int,
    plan: dict,
) -> Job:
    """A GRPO trainer: its FSDP state and micro-batch, and with colocated vLLM generation the
    model's bf16 copy and KV cache within vLLM's share of the GPU (the trainer gets the rest)."""
    args = trl_args(args, processes)
    completion = args["max_completion_length"]
    tokens, fill = prompt + completion, plan["mean_fill"]
    memory = training_terms(
        arch,
        processes,
        args["per_device_train_batch_size"],
        tokens,
        args.get("gradient_checkpointing", False),
    )
    share = (
        args.get("vllm_gpu_memory_utilization", 0.9) if args.get("use_vllm") else 0.0
    )
    budget = {"all": plan["gpu_memory_gb"] * GB * (1 - share)}
    if share:
        memory.update(vllm_terms(arch, tokens))
        budget["vllm"] = plan["gpu_memory_gb"] * GB * share
    rollouts = (
        args["max_steps"]
        * args["per_device_train_batch_size"]
        * args.get("gradient_accumulation_steps", 1)
        * processes
    )
    seconds = train_seconds(
        plan, arch["parameters"], rollouts * tokens * fill, processes
    )
    seconds += generate_seconds(
        plan, arch["parameters"], rollouts * completion * fill, processes
    )
    return Job(name, gpus, memory, seconds * gpus / 3600, budget)


def jobs(config: dict) -> list[Job]:
    """Every GPU job of the config with its memory terms, budgets and GPU-hours."""
    plan, data = config["plan"], config["data"]
    instruction = data.get("max_instruction_tokens", 2048)
    response = data.get("max_response_tokens", 2048)
    launch = config.get("launch", {})
    out = []
    for name, judge in config["judges"].items():
        arch = architecture(config, judge["base"])
        responses = 1 if judge["format"] == "pointwise" else 2
        for stage in judge["stages"]:
            rule = f"train_judge_{stage}"
            gpus = _resources(config, rule).get("gpu", 0)
            if not gpus:
                continue
            args = {**config["training"][f"judge_{stage}"], **judge.get(stage, {})}
            processes = launch.get(rule, {}).get("processes", 1)
            if stage == "sft":
                examples = data["splits"]["judge_train"] * (
                    3 - responses
                )  # two pointwise examples a pair
                out.append(
                    sft_job(
                        f"{rule}:{name}", arch, args, processes, gpus, examples, plan
                    )
                )
            else:  # a judge prompt: the instruction, one or two responses and the template
                prompt = instruction + responses * response + 1024
                out.append(
                    grpo_job(
                        f"{rule}:{name}", arch, args, processes, gpus, prompt, plan
                    )
                )

    grpo, monitor = config["training"]["policy_grpo"], config["policy_monitoring"]
    server = launch.get("train_policy", {}).get("judge_server")
    gpus = _resources(config, "train_policy").get("gpu", 0)
    for run, spec in config["policy_runs"].items() if gpus else ():
        policy = architecture(config, spec["policy"])
        processes = launch.get("train_policy", {}).get("processes", 1)
        job = grpo_job(
            f"train_policy:{run}", policy, grpo, processes, gpus, instruction, plan
        )
        if monitor["kl_to_initial"]:
            job.memory["KL reference (bf16)"] = 2 * policy["parameters"]
            job.memory["KL logits (one chunk)"] = logits_bytes(
                monitor["kl_chunk_size"],
                instruction + grpo["max_completion_length"],
                policy["vocab"],
            )
        if server and server["gpus"]:
            judge = architecture(config, config["judges"][spec["judge"]]["base"])
            job.server = vllm_terms(
                judge,
                server["max_model_len"],
                server.get("tensor_parallel_size", server["gpus"]),
            )
            job.server_budget = (
                plan["gpu_memory_gb"] * GB * server.get("gpu_memory_utilization", 0.9)
            )
        out.append(job)

    judging = config["judge_inference"]
    judge_output = longest_judge_output(judging)
    for rule, model_of, count in _inference_jobs(config):
        gpus = _resources(config, rule).get("gpu", 0)
        backend = (
            judging["backend"]
            if rule in ("evaluate_judge", "score_answers_by_judge")
            else config["evaluation"]["backend"]
        )
        if not gpus or backend["kind"] != "vllm":
            continue
        output = (
            judge_output
            if "judge" in rule
            else config["evaluation"]["answers"]["max_tokens"]
        )
        for name, model in model_of.items():
            arch = architecture(config, model)
            memory = vllm_terms(
                arch, backend["max_model_len"], backend.get("tensor_parallel_size", 1)
            )
            seconds = generate_seconds(
                plan, arch["parameters"], count(name) * output * plan["mean_fill"], gpus
            )
            out.append(
                Job(
                    f"{rule}:{name}",
                    gpus,
                    memory,
                    seconds * gpus / 3600,
                    {
                        "all": plan["gpu_memory_gb"]
                        * GB
                        * backend.get("gpu_memory_utilization", 0.9)
                    },
                )
            )
    return out


def _inference_jobs(config: dict):
    judges = {name: j["base"] for name, j in config["judges"].items()}
    runs = config["policy_runs"]
    test = config["data"]["splits"]
    grpo = config["training"]["policy_grpo"]
    checkpoints = grpo["max_steps"] // grpo["save_steps"]
    before_rl = {
        name: base
        for name, base in judges.items()
        if config["evaluation"].get("before_rl")
        and config["judges"][name]["stages"] == ["sft", "grpo"]
    }
    return [
        ("evaluate_judge", judges, lambda name: test["judge_test"] * 2),
        ("evaluate_judge_before_rl", before_rl, lambda name: test["judge_test"] * 2),
        (
            "generate_answers",
            {r: s["policy"] for r, s in runs.items()},
            lambda name: checkpoints * test["policy_test"],
        ),
        (
            "score_answers_by_judge",
            {r: judges[s["judge"]] for r, s in runs.items()},
            lambda name: (checkpoints + 1)
            * test["policy_test"]
            * (
                2
                if config["judges"][runs[name]["judge"]]["format"] == "pairwise"
                else 1
            ),
        ),
    ]


def check(job_list: list[Job]) -> None:
    """Raise PlanError for the first job whose terms exceed their budget."""
    for job in job_list:
        vllm = sum(v for k, v in job.memory.items() if k.startswith("vllm"))
        rest = job.peak - vllm
        groups = (
            {"vllm": vllm, "all": rest} if "vllm" in job.budget else {"all": job.peak}
        )
        for group, used in groups.items():
            if used > job.budget[group]:
                terms = {
                    k: v
                    for k, v in job.memory.items()
                    if group == "all"
                    and "vllm" not in job.budget
                    or k.startswith("vllm") == (group == "vllm")
                }
                largest = max(terms, key=terms.get)
                raise PlanError(
                    f"{job.name}: {used / GB:.1f} GB per GPU does not fit its {job.budget[group] / GB:.1f} GB "
                    f"({group}); the largest term is {largest} at {terms[largest] / GB:.1f} GB"
                )
        if job.server and sum(job.server.values()) > job.server_budget:
            largest = max(job.server, key=job.server.get)
            raise PlanError(
                f"{job.name}: its judge server needs {sum(job.server.values()) / GB:.1f} GB per GPU, more than "
                f"{job.server_budget / GB:.1f} GB; the largest term is {largest}"
            )


def render(job_list: list[Job]) -> str:
    lines = [
        f"{'job':60} {'GPUs':>4} {'peak GB/GPU':>11} {'GPU-hours':>10}  largest term"
    ]
    for job in job_list:
        largest = max(job.memory, key=job.memory.get)
        lines.append(
            f"{job.name:60} {job.gpus:>4} {job.peak / GB:>11.1f} {job.hours:>10.1f}  "
            f"{largest} {job.memory[largest] / GB:.1f} GB"
        )
    by_stage: dict[str, float] = {}
    for job in job_list:
        stage = job.name.split(":")[0]
        by_stage[stage] = by_stage.get(stage, 0.0) + job.hours
    lines.append("")
    lines += [
        f"{stage:60} GPU-hours {hours:>10.0f}" for stage, hours in by_stage.items()
    ]
    lines.append(f"{'total':60} GPU-hours {sum(by_stage.values()):>10.0f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from judgerl import config as study_config

    parser = argparse.ArgumentParser(
        description="Memory and GPU-hours of every GPU job of a config."
    )
    parser.add_argument("config", nargs="?", default="configs/paper.yaml")
    args = parser.parse_args(argv)
    import yaml

    config = study_config.validate(yaml.safe_load(Path(args.config).read_text()))
    job_list = jobs(config)
    print(render(job_list))
    try:
        check(job_list)
    except PlanError as err:
        print(f"\nplan fails: {err}", file=sys.stderr)
        return 1
    print(f"\n{len(job_list)} GPU jobs fit {config['plan']['gpu_memory_gb']} GB GPUs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
