"""A plan before the cluster: every GPU job of a config with its GPUs and nodes, its peak memory
per GPU by term, the seconds of a step by what it waits on (training, rollout generation, the
judge), its wall time against its SLURM limits, and its GPU-hours. `make plan` (python -m
judgerl.plan CONFIG) prints it, writes it to results/plan/<config stem>.json, and fails naming
each job that does not fit its GPUs or cannot finish within its limits.

Layout (config `launch.<rule>`, judgerl/layout.py): a trainer of `nodes` machines x `processes`
processes, its world size P; a policy's judge on `servers` vLLM servers of `tensor_parallel` GPUs
each, on `judge_server.nodes` nodes of their own (0: beside the trainer). A job holds its nodes
(trainer's and judge's) x the GPUs its layout asks of each node, and counts GPU-hours on them all.

Memory per GPU (arithmetic on the models' shapes, config `models.<name>.architecture`):
- training state under FSDP over the P processes of all nodes: fp32 weights, fp32 gradients and
  Adam's two fp32 moments, 16 bytes per parameter, divided by P;
- activations per micro-batch: with gradient checkpointing one bf16 hidden state per layer, else
  about 34 bytes per token and hidden unit per layer (Korthikanti et al., 2022);
- logits per micro-batch: full-vocabulary bf16 logits and their fp32 log-softmax for the loss;
- vLLM (colocated, served or offline): bf16 weights (over its tensor-parallel GPUs), the KV cache
  of one sequence at its maximum length, and its start-up profile: `max_num_seqs` rows of
  full-vocabulary fp32 logits, probabilities and log-probabilities, all within its memory share
  (colocated: the max_num_seqs TRL gives it, judgerl.training.colocated_max_num_seqs);
- the KL monitor's frozen reference: bf16 weights on every trainer GPU.

Time (GPU constants per type in GPUS; lengths in config `plan`):
- training: FLOPs per trained token from what the trainer runs: 6 N forward and backward, 2 N
  more for the recomputed forward under gradient checkpointing, 2 N for TRL's old-log-probability
  pass (several updates per generation, or vLLM's importance-sampling correction), 2 N per
  forward of each frozen model (TRL's reference when beta > 0, the KL monitor's reference); at
  the GPU type's MFU over the P GPUs, FSDP's collectives within and across nodes taken as part of
  that MFU (no inter-node term of their own).
- generation (vLLM, colocated or served): prefill at the MFU; decode one token per sequence per
  step, a step taking the longer of its FLOPs at the MFU and reading the weights and the batch's
  KV cache at the GPU type's decode share of HBM bandwidth, with as many sequences at once as
  the KV-cache budget holds (what is left of the memory share after weights and profile);
- the judge of a policy step: one call per rollout (pointwise) or Eq. 4's G(G-1) calls per
  group of G (pairwise, two responses per prompt), spread evenly over the judge's servers (or
  one in-process copy per trainer process), each prefilling the judge prompt and decoding
  the verdict, after `thinking_tokens` of thinking for a reasoning judge (the judge's own
  evaluation count where a run's results are given with --results);
- a GRPO step is synchronous (generate, then reward, then train): its seconds are the sum.

Limits: a job finishes when its wall time fits `runtime` x (retries + 1) (config
`resources.<rule>.retries`, else the SLURM profile's `retries`), and a resume point comes at least every quarter of `runtime` (TRL's `save_steps`, or
`launch.<rule>.resume_minutes` plus the step in progress).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path

from judgerl.config import (
    judge_stage_args,
    longest_judge_output,
    policy_grpo_args,
    rule_resources,
)
from judgerl.grpo_batch import StepUnits, trl_args
from judgerl.layout import Layout
from judgerl.training import COLOCATED_MAX_NUM_BATCHED_TOKENS, colocated_max_num_seqs

GB = 1e9
STATE_BYTES = 16  # fp32 weights + fp32 grads + Adam m and v
ACTIVATION_BYTES_PER_LAYER = 34  # per token and hidden unit, no recompute, 16-bit
# vLLM's sampler profile: fp32 logits, probabilities and log-probabilities per row.
PROFILE_COPIES = 3

# Per GPU type: dense bf16 peak (vendor datasheets, no sparsity), HBM bandwidth and memory; the
# MFU that FSDP training of 2-15B models reaches with gradient checkpointing and the share of
# HBM bandwidth that vLLM's decode reaches (both typical published figures, one per type).
GPUS = {
    "A100-80GB": {
        "peak_tflops": 312,
        "hbm_tb_per_s": 2.039,
        "memory_gb": 80,
        "mfu": 0.40,
        "decode_bandwidth_share": 0.7,
    },
    "H100-80GB": {
        "peak_tflops": 989,
        "hbm_tb_per_s": 3.35,
        "memory_gb": 80,
        "mfu": 0.35,
        "decode_bandwidth_share": 0.7,
    },
    "H200-141GB": {
        "peak_tflops": 989,
        "hbm_tb_per_s": 4.8,
        "memory_gb": 141,
        "mfu": 0.35,
        "decode_bandwidth_share": 0.7,
    },
}

# The paper's own compute figures (A100 80 GB, bf16), and the layouts it gives for them.
ANCHORS = {
    "judge SFT, hours per epoch (8 GPUs, 200K examples, 8B)": 10.0,
    "judge GRPO, hours per 100 steps (4 x 8 GPUs, 8B)": 20.0,
    "policy GRPO, wall hours for 1200 steps (4 x 8 + 4 x 8 GPUs)": 120.0,
    "policy GRPO, GPU-hours for 1200 steps": 7680.0,
}


@dataclass
class PlannedJob:
    rule: str
    name: str
    gpus: int
    memory: dict[str, float] = field(default_factory=dict)  # term -> bytes per GPU
    budget: dict[str, float] = field(default_factory=dict)  # group -> bytes it must fit
    server: dict[str, float] = field(default_factory=dict)  # judge server's own GPUs
    server_budget: float = 0.0
    step_seconds: dict[str, float] = field(default_factory=dict)  # GRPO jobs
    wall_seconds: float = 0.0
    resume_seconds: float = 0.0  # the longest stretch without a resume point
    runtime_minutes: float = 0.0
    retries: int = 0
    gpus_per_node: int = 8
    job_nodes: int = 0  # a trainer's nodes (its layout's); 0: as many as its GPUs fill
    node_gpus: int = 0  # the GPUs a trainer's layout asks of each of its nodes
    # A GRPO trainer's rollout engine: vLLM (colocated) or transformers, its most sequences at
    # once (vLLM's max_num_seqs), its KV-cache budget and a mean rollout's KV (bytes), and the
    # sequences it decodes at once (the plan's concurrency).
    rollout_engine: dict = field(default_factory=dict)
    # The gold on a policy's training rollouts (policy_monitoring.gold_every): its calls to the
    # gold's server over the run, and their tokens in (prompt) and out (thinking and verdict).
    # The gold's server is not the job's: the plan counts its load, not its time.
    gold: dict = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def peak(self) -> float:
        return sum(self.memory.values())

    @property
    def subject(self) -> str:
        """The judge, run or model the job is about (its name after the rule)."""
        return self.name.split(":", 1)[1]

    @property
    def nodes(self) -> int:
        return self.job_nodes or max(1, math.ceil(self.gpus / self.gpus_per_node))

    @property
    def wall_hours(self) -> float:
        return self.wall_seconds / 3600

    @property
    def gpu_hours(self) -> float:
        return self.wall_hours * self.gpus

    @property
    def limit_hours(self) -> float:
        return self.runtime_minutes * (self.retries + 1) / 60

    @property
    def finishes(self) -> bool:
        return not [p for p in self.problems if not p.startswith("memory")]

    @property
    def fits(self) -> bool:
        return not [p for p in self.problems if p.startswith("memory")]

    def record(self) -> dict:
        return {
            "rule": self.rule,
            "name": self.name,
            "gpus": self.gpus,
            "nodes": self.nodes,
            "gpu_hours": self.gpu_hours,
            "wall_hours": self.wall_hours,
            "resume_interval_hours": self.resume_seconds / 3600,
            "runtime_hours": self.runtime_minutes / 60,
            "limit_hours": self.limit_hours,
            **({"step_seconds": self.step_seconds} if self.step_seconds else {}),
            "memory_gb": {k: v / GB for k, v in self.memory.items()},
            **(
                {"judge_server_memory_gb": {k: v / GB for k, v in self.server.items()}}
                if self.server
                else {}
            ),
            **(
                {
                    "rollout_engine": {
                        (f"{k}_gb" if k.startswith("kv") else k): (
                            v / GB if k.startswith("kv") else v
                        )
                        for k, v in self.rollout_engine.items()
                    }
                }
                if self.rollout_engine
                else {}
            ),
            **({"gold_on_rollouts": self.gold} if self.gold else {}),
            "fits": self.fits,
            "finishes": self.finishes,
            "problems": self.problems,
        }


class PlanError(ValueError):
    """Jobs that do not fit their GPUs or cannot finish; the message names each job and key."""


# ---- memory ------------------------------------------------------------------------------------


def architecture(config: dict, model: str) -> dict:
    arch = config["models"][model].get("architecture")
    if arch is None:
        raise PlanError(
            f"models.{model}.architecture is not set: the plan needs the model's shape"
        )
    return arch


def kv_cache_bytes(arch: dict, tokens: float) -> float:
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


def vllm_terms(
    arch: dict, max_len: int, tensor_parallel: int = 1, max_num_seqs: int = 256
) -> dict:
    """vLLM's memory per GPU beside its KV cache: weights, one sequence's KV at its maximum
    length, and the start-up profile of `max_num_seqs` rows of logits (vLLM's default 256)."""
    return {
        "vllm weights (bf16)": 2 * arch["parameters"] / tensor_parallel,
        "vllm KV cache at max length": kv_cache_bytes(arch, max_len) / tensor_parallel,
        "vllm start-up profile": PROFILE_COPIES * 4 * max_num_seqs * arch["vocab"],
    }


# ---- time --------------------------------------------------------------------------------------


def gpu_type(plan: dict) -> dict:
    name = plan["gpu"]
    if name not in GPUS:
        raise PlanError(f"plan.gpu: {name!r} is not one of {sorted(GPUS)}")
    return GPUS[name]


def flops_per_token(
    parameters: float,
    checkpointing: bool,
    old_logps: bool = False,
    frozen_forwards: int = 0,
) -> float:
    """Training FLOPs per trained token: forward and backward, the recomputed forward, TRL's
    old-log-probability pass, and each frozen model's forward."""
    passes = 6 + 2 * checkpointing + 2 * old_logps + 2 * frozen_forwards
    return passes * parameters


def train_seconds(gpu: dict, flops: float, gpus: int) -> float:
    return flops / (gpu["mfu"] * gpu["peak_tflops"] * 1e12 * gpus)


@dataclass
class Engine:
    """One inference engine (a vLLM instance over `tensor_parallel` GPUs, or a transformers
    model batching `max_batch` sequences) and the memory its KV cache may use."""

    arch: dict
    tensor_parallel: int
    kv_budget: float  # bytes over all its GPUs
    max_batch: int = 256

    def concurrency(self, mean_tokens: float) -> int:
        held = self.kv_budget // max(kv_cache_bytes(self.arch, mean_tokens), 1)
        return int(max(1, min(self.max_batch, held)))


def generate_seconds(
    gpu: dict, engine: Engine, sequences: float, prompt: float, output: float
) -> float:
    """Seconds for one engine to prefill and decode `sequences` sequences of `prompt` tokens in
    and `output` tokens out."""
    if sequences <= 0:
        return 0.0
    arch, tp = engine.arch, engine.tensor_parallel
    compute = gpu["mfu"] * gpu["peak_tflops"] * 1e12 * tp
    prefill = 2 * arch["parameters"] * sequences * prompt / compute
    if output <= 0:
        return prefill
    batch = min(sequences, engine.concurrency(prompt + output / 2))
    bandwidth = gpu["decode_bandwidth_share"] * gpu["hbm_tb_per_s"] * 1e12 * tp
    read = 2 * arch["parameters"] + batch * kv_cache_bytes(arch, prompt + output / 2)
    step = max(2 * arch["parameters"] * batch / compute, read / bandwidth)
    return prefill + math.ceil(sequences / batch) * output * step


# ---- lengths -----------------------------------------------------------------------------------


def lengths(config: dict) -> dict:
    """Mean tokens of the texts a job handles: the config's `plan.tokens`, each replaced by what a
    run's data measured where `plan.measured` holds it (--results)."""
    return {**config["plan"]["tokens"], **config["plan"].get("measured", {})}


def thinking_tokens(config: dict, judge: str) -> float:
    spec = config["judges"][judge]
    if spec["mode"] != "reasoning":
        return 0.0
    measured = config["plan"].get("measured_thinking", {})
    return measured.get(judge, config["plan"]["thinking_tokens"])


def judge_prompt_tokens(config: dict, responses: int, response: float) -> float:
    tokens = lengths(config)
    return tokens["judge_template"] + tokens["instruction"] + responses * response


def judge_output_tokens(config: dict, judge: str) -> float:
    return thinking_tokens(config, judge) + lengths(config)["verdict"]


def judge_example_tokens(config: dict, judge: str) -> float:
    """A judge SFT example: its prompt and the gold's verdict (with the trace, if reasoning)."""
    spec = config["judges"][judge]
    responses = 1 if spec["format"] == "pointwise" else 2
    response = lengths(config)["response"]
    return judge_prompt_tokens(config, responses, response) + judge_output_tokens(
        config, judge
    )


# ---- jobs --------------------------------------------------------------------------------------


def _resources(config: dict, rule: str) -> dict:
    """What the rule's jobs get: config resources.<rule> over the rule's defaults."""
    return rule_resources(config, rule)


def _new_job(config: dict, rule: str, name: str, gpus: int, retries: int) -> PlannedJob:
    return PlannedJob(
        rule,
        name,
        gpus,
        runtime_minutes=_resources(config, rule)["runtime"],
        retries=_resources(config, rule).get("retries", retries),
        gpus_per_node=config["plan"]["gpus_per_node"],
    )


def layout(config: dict, rule: str) -> Layout:
    """A trainer's machines, processes and judge servers (config launch.<rule>)."""
    return Layout.of(config.get("launch", {}).get(rule))


def _trainer_job(config: dict, rule: str, name: str, retries: int) -> PlannedJob | None:
    """A trainer's job on the nodes of its layout, each with the GPUs the layout asks of it
    (resources.<rule>.gpu, GPUs per node; 0: no GPU job, not planned)."""
    if not _resources(config, rule)["gpu"]:
        return None
    lay = layout(config, rule)
    per_node = lay.gpus_per_node(gpu_job=True)
    job = _new_job(config, rule, name, lay.job_nodes * per_node, retries)
    job.job_nodes = lay.job_nodes
    job.node_gpus = per_node
    return job


def sft_job(config: dict, judge: str, retries: int = 0) -> PlannedJob | None:
    rule = "train_judge_sft"
    job = _trainer_job(config, rule, f"{rule}:{judge}", retries)
    if job is None:
        return None
    spec, plan = config["judges"][judge], config["plan"]
    arch, gpu = architecture(config, spec["base"]), gpu_type(plan)
    args = judge_stage_args(config, judge, "sft")
    processes = layout(config, rule).world_size
    checkpointing = args.get("gradient_checkpointing", False)
    micro = args["per_device_train_batch_size"]
    job.memory = training_terms(
        arch, processes, micro, args.get("max_length", 1024), checkpointing
    )
    job.budget = {"all": gpu["memory_gb"] * GB}
    examples = config["data"]["splits"]["judge_train"] * (
        2 if spec["format"] == "pointwise" else 1
    )
    tokens = examples * judge_example_tokens(config, judge)
    flops = flops_per_token(arch["parameters"], checkpointing) * tokens
    epochs = args.get("num_train_epochs", 1)
    job.wall_seconds = train_seconds(gpu, flops, processes) * epochs
    batch = micro * args.get("gradient_accumulation_steps", 1) * processes
    updates = max(1, math.ceil(examples * epochs / batch))
    save = args.get("save_steps") or updates
    job.resume_seconds = _resume_seconds(
        config, rule, job.wall_seconds / updates, min(save, updates)
    )
    return job


def _resume_seconds(config: dict, rule: str, step: float, save_steps: int) -> float:
    """The longest stretch without a resume point: `save_steps` steps, or with
    launch.<rule>.resume_minutes that long plus the step in progress, whichever is shorter."""
    every = save_steps * step
    minutes = config.get("launch", {}).get(rule, {}).get("resume_minutes")
    return min(every, minutes * 60 + step) if minutes else every


def colocated_share(args: dict) -> float:
    """The GPU share of TRL's colocated vLLM: the config's, else GRPOConfig's default (0.3)."""
    return args.get("vllm_gpu_memory_utilization", 0.3)


def colocated_engine(
    arch: dict, args: dict, gpu: dict, max_len: int
) -> tuple[Engine, dict]:
    """TRL's colocated vLLM, one per tensor-parallel group of trainer processes: its memory terms
    per GPU and its engine, built with the max_num_seqs that TRL passes it (the rollouts its
    group generates at once: judgerl.training.colocated_max_num_seqs)."""
    tp = args.get("vllm_tensor_parallel_size", 1)
    max_num_seqs = colocated_max_num_seqs(args)
    terms = vllm_terms(arch, max_len, tp, max_num_seqs)
    budget = tp * (colocated_share(args) * gpu["memory_gb"] * GB - sum(terms.values()))
    return Engine(arch, tp, max(budget, 0.0), max_num_seqs), terms


def grpo_step(
    config: dict,
    arch: dict,
    args: dict,
    processes: int,
    prompt: float,
    completion: float,
    frozen_forwards: int,
) -> tuple[dict, dict, dict]:
    """(memory terms, budgets, step seconds without the judge) of a GRPO trainer."""
    plan = config["plan"]
    gpu = gpu_type(plan)
    trl = trl_args(args, processes)
    cap = trl["max_completion_length"]
    max_len = int(prompt) + cap
    checkpointing = trl.get("gradient_checkpointing", False)
    micro = trl["per_device_train_batch_size"]
    memory = training_terms(arch, processes, micro, max_len, checkpointing)
    units = StepUnits.of(args)
    updates = units.updates_per_step
    # Rollouts per step: the paper's global batch, or without one TRL's update of
    # per-device x accumulation x processes rollouts.
    rollouts = units.rollouts_per_step or (
        micro * trl.get("gradient_accumulation_steps", 1) * processes
    )
    vllm = trl.get("use_vllm", False)
    old_logps = updates > 1 or vllm
    flops = flops_per_token(
        arch["parameters"], checkpointing, old_logps, frozen_forwards
    )
    train = train_seconds(gpu, flops * rollouts * (prompt + completion), processes)
    if vllm:
        share = colocated_share(trl)
        engine, terms = colocated_engine(arch, trl, gpu, max_len)
        memory.update(terms)
        budget = {
            "all": gpu["memory_gb"] * GB * (1 - share),
            "vllm": gpu["memory_gb"] * GB * share,
        }
    else:  # transformers' generate: a generation batch at once, beside the training state
        free = gpu["memory_gb"] * GB - sum(memory.values())
        engine = Engine(arch, 1, max(free, 0.0), rollouts // processes)
        budget = {"all": gpu["memory_gb"] * GB}
    # Each engine generates its tensor-parallel group's rollouts, all engines at once.
    sequences = rollouts / processes * engine.tensor_parallel
    generate = generate_seconds(gpu, engine, sequences, prompt, completion)
    mean = prompt + completion / 2
    rollout = {
        "vllm": vllm,
        "max_batch": engine.max_batch,  # vLLM's max_num_seqs
        "kv_budget": engine.kv_budget,
        "kv_per_sequence": kv_cache_bytes(arch, mean),
        "concurrency": engine.concurrency(mean),
    }
    step = {"train": train, "generate": generate, "rollouts": rollouts}
    return memory, budget, {**step, "rollout_engine": rollout}


def judge_grpo_job(config: dict, judge: str, retries: int = 0) -> PlannedJob | None:
    rule = "train_judge_grpo"
    job = _trainer_job(config, rule, f"{rule}:{judge}", retries)
    if job is None:
        return None
    spec = config["judges"][judge]
    arch = architecture(config, spec["base"])
    args = judge_stage_args(config, judge, "grpo")
    processes = layout(config, rule).world_size
    responses = 1 if spec["format"] == "pointwise" else 2
    prompt = judge_prompt_tokens(config, responses, lengths(config)["response"])
    completion = min(
        judge_output_tokens(config, judge), trl_args(args)["max_completion_length"]
    )
    memory, budget, step = grpo_step(
        config, arch, args, processes, prompt, completion, frozen_forwards=0
    )
    job.memory, job.budget = memory, budget
    job.rollout_engine = step["rollout_engine"]
    _grpo_times(config, job, step, 0.0, args)
    return job


def _grpo_times(
    config: dict, job: PlannedJob, step: dict, judge: float, args: dict
) -> None:
    job.step_seconds = {
        "train": step["train"],
        "generate": step["generate"],
        "judge": judge,
    }
    seconds = step["train"] + step["generate"] + judge
    job.wall_seconds = seconds * args["max_steps"]
    save = args.get("save_steps") or args["max_steps"]
    job.resume_seconds = _resume_seconds(
        config, job.rule, seconds, min(save, args["max_steps"])
    )


def judge_engines(config: dict, judge: str) -> tuple[Engine, int, dict, float]:
    """The judge of a policy run: (one engine, how many serve side by side, the server's memory
    terms per GPU, its budget). vLLM servers on GPUs of their own (launch.train_policy.
    judge_server): the layout's `servers`, one per tensor-parallel group on nodes of their own,
    else one beside the trainer; or a copy in each trainer process (transformers, batching its
    configured batch size), beside the trainer."""
    gpu = gpu_type(config["plan"])
    arch = architecture(config, config["judges"][judge]["base"])
    lay = layout(config, "train_policy")
    server = config.get("launch", {}).get("train_policy", {}).get("judge_server")
    if lay.served and lay.judge_gpus:
        tp = lay.tensor_parallel
        share = server.get("gpu_memory_utilization", 0.9)
        terms = vllm_terms(arch, server["max_model_len"], tp)
        per_engine = tp * (share * gpu["memory_gb"] * GB - sum(terms.values()))
        engine = Engine(arch, tp, max(per_engine, 0.0))
        return engine, lay.servers, terms, share * gpu["memory_gb"] * GB
    batch = config["judge_inference"]["backend"].get("batch_size", 256)
    return Engine(arch, 1, float("inf"), batch), lay.world_size, {}, 0.0


def judge_step_seconds(
    config: dict, judge: str, rollouts: int, group: int, completion: float
) -> float:
    """One step's judge calls spread over the judge's engines: one per rollout, or Eq. 4's
    every ordered pair of a group, two responses in each prompt."""
    engine, engines, _, _ = judge_engines(config, judge)
    if config["judges"][judge]["format"] == "pairwise":
        calls = rollouts // group * group * (group - 1)
        prompt = judge_prompt_tokens(config, 2, completion)
    else:
        calls = rollouts
        prompt = judge_prompt_tokens(config, 1, completion)
    output = judge_output_tokens(config, judge)
    gpu = gpu_type(config["plan"])
    return generate_seconds(gpu, engine, calls / engines, prompt, output)


def policy_job(config: dict, run: str, retries: int = 0) -> PlannedJob | None:
    rule = "train_policy"
    job = _trainer_job(config, rule, f"{rule}:{run}", retries)
    if job is None:
        return None
    spec, plan = config["policy_runs"][run], config["plan"]
    arch = architecture(config, spec["policy"])
    args = policy_grpo_args(config, run)
    processes = layout(config, rule).world_size
    monitor = config["policy_monitoring"]
    prompt = lengths(config)["instruction"]
    completion = trl_args(args)["max_completion_length"] * plan["completion_fill"]
    frozen = int(monitor["kl_to_initial"]) + int(args.get("beta", 0.0) > 0)
    memory, budget, step = grpo_step(
        config, arch, args, processes, prompt, completion, frozen
    )
    max_len = int(prompt) + trl_args(args)["max_completion_length"]
    if monitor["kl_to_initial"]:
        memory["KL reference (bf16)"] = 2 * arch["parameters"]
        memory["KL logits (one chunk)"] = logits_bytes(
            monitor["kl_chunk_size"], max_len, arch["vocab"]
        )
    if args.get("beta", 0.0) > 0:
        memory["TRL reference (bf16)"] = 2 * arch["parameters"]
    job.memory, job.budget = memory, budget
    job.rollout_engine = step["rollout_engine"]
    _, _, server_terms, server_budget = judge_engines(config, spec["judge"])
    job.server, job.server_budget = server_terms, server_budget
    group = trl_args(args, processes)["num_generations"]
    judge = judge_step_seconds(
        config, spec["judge"], step["rollouts"], group, completion
    )
    _grpo_times(config, job, step, judge, args)
    job.gold = gold_on_rollouts(config, args, step["rollouts"], completion)
    return job


def gold_on_rollouts(
    config: dict, args: dict, rollouts: int, completion: float
) -> dict:
    """The gold's load from a policy run's monitoring: every `gold_every`-th step (the first
    included), a `gold_sample` share of the step's rollouts, one pointwise call each, thinking
    `plan.thinking_tokens`."""
    monitor = config["policy_monitoring"]
    if not monitor["gold_every"]:
        return {}
    steps = math.ceil(args["max_steps"] / monitor["gold_every"])
    calls = steps * max(1, round(rollouts * monitor["gold_sample"]))
    output = config["plan"]["thinking_tokens"] + config["plan"]["tokens"]["verdict"]
    return {
        "calls": calls,
        "prompt_tokens": calls * judge_prompt_tokens(config, 1, completion),
        "output_tokens": calls * output,
    }


def inference_jobs(config: dict, retries: int = 0) -> list[PlannedJob]:
    """Judge evaluation, answer generation and scoring on vLLM: generation at the same rates."""
    judging = config["judge_inference"]
    plan = config["plan"]
    gpu = gpu_type(plan)
    judge_output = longest_judge_output(judging)
    out = []
    for rule, model_of, count in _inference_jobs(config):
        gpus = _resources(config, rule)["gpu"]
        backend = (
            judging["backend"]
            if rule in ("evaluate_judge", "score_answers_by_judge")
            else config["evaluation"]["backend"]
        )
        if not gpus or backend["kind"] != "vllm":
            continue
        for name, model in model_of.items():
            arch = architecture(config, model)
            tp = backend.get("tensor_parallel_size", 1)
            terms = vllm_terms(arch, backend["max_model_len"], tp)
            share = backend.get("gpu_memory_utilization", 0.9)
            engine = Engine(
                arch,
                tp,
                max(tp * (share * gpu["memory_gb"] * GB - sum(terms.values())), 0),
            )
            if "judge" in rule:
                judge = (
                    name
                    if rule.startswith("evaluate")
                    else config["policy_runs"][name]["judge"]
                )
                prompt = judge_prompt_tokens(config, 1, lengths(config)["response"])
                output = min(judge_output_tokens(config, judge), judge_output)
            else:
                prompt = lengths(config)["instruction"]
                output = (
                    config["evaluation"]["answers"]["max_tokens"]
                    * plan["completion_fill"]
                )
            job = _new_job(config, rule, f"{rule}:{name}", gpus, retries)
            job.memory = terms
            job.budget = {"all": gpu["memory_gb"] * GB * share}
            job.wall_seconds = generate_seconds(
                gpu, engine, count(name), prompt, output
            )
            job.resume_seconds = 0.0  # answers and verdicts resume item by item
            out.append(job)
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


def jobs(config: dict, retries: int = 0) -> list[PlannedJob]:
    """Every GPU job of the config: memory terms, budgets, step seconds, wall time, and what
    keeps it from fitting or finishing (`problems`)."""
    out: list[PlannedJob | None] = []
    for judge, spec in config["judges"].items():
        if "sft" in spec["stages"]:
            out.append(sft_job(config, judge, retries))
        if "grpo" in spec["stages"]:
            out.append(judge_grpo_job(config, judge, retries))
    out += [policy_job(config, run, retries) for run in config["policy_runs"]]
    out += inference_jobs(config, retries)
    planned = [job for job in out if job is not None]
    for job in planned:
        job.problems = problems(job)
    return planned


# ---- checks and output -------------------------------------------------------------------------


def problems(job: PlannedJob) -> list[str]:
    """What keeps a job from fitting its GPUs ("memory ...") or finishing within its limits,
    naming the config keys to change."""
    found = []
    if job.node_gpus > job.gpus_per_node:
        found.append(
            f"layout: launch.{job.rule} asks {job.node_gpus} GPUs of each node, which has "
            f"{job.gpus_per_node} (plan.gpus_per_node)"
        )
    engine = job.rollout_engine
    if engine.get("vllm") and engine["max_batch"] > COLOCATED_MAX_NUM_BATCHED_TOKENS:
        found.append(
            f"vLLM: TRL would start the colocated engine with max_num_seqs "
            f"{engine['max_batch']}, above its max_num_batched_tokens "
            f"{COLOCATED_MAX_NUM_BATCHED_TOKENS}, which vLLM refuses: more trainer processes "
            f"(launch.{job.rule}.nodes / processes)"
        )
    vllm = sum(v for k, v in job.memory.items() if k.startswith("vllm"))
    groups = (
        {"vllm": vllm, "all": job.peak - vllm}
        if "vllm" in job.budget
        else {"all": job.peak}
    )
    for group, used in groups.items():
        if used > job.budget[group]:
            terms = {
                k: v
                for k, v in job.memory.items()
                if "vllm" not in job.budget or k.startswith("vllm") == (group == "vllm")
            }
            largest = max(terms, key=terms.get)
            found.append(
                f"memory: {used / GB:.1f} GB per GPU does not fit its "
                f"{job.budget[group] / GB:.1f} GB ({group}); the largest term is {largest} "
                f"at {terms[largest] / GB:.1f} GB"
            )
    if job.server and sum(job.server.values()) > job.server_budget:
        largest = max(job.server, key=job.server.get)
        found.append(
            f"memory: its judge server needs {sum(job.server.values()) / GB:.1f} GB per GPU, "
            f"more than {job.server_budget / GB:.1f} GB; the largest term is {largest}"
        )
    if job.wall_hours > job.limit_hours:
        found.append(
            f"wall time {job.wall_hours:,.1f} h exceeds resources.{job.rule}.runtime "
            f"({job.runtime_minutes:.0f} min) x (retries {job.retries} + 1) = "
            f"{job.limit_hours:,.1f} h"
        )
    if job.resume_seconds > job.runtime_minutes * 60 / 4:
        found.append(
            f"a resume point every {job.resume_seconds / 3600:,.1f} h, more than a quarter of "
            f"resources.{job.rule}.runtime ({job.runtime_minutes:.0f} min): "
            f"launch.{job.rule}.resume_minutes"
        )
    return found


def check(job_list: list[PlannedJob]) -> None:
    """Raise PlanError naming every job that does not fit or cannot finish, with why."""
    bad = [job for job in job_list if job.problems]
    if bad:
        raise PlanError(
            "\n".join(f"{job.name}: {'; '.join(job.problems)}" for job in bad)
        )


def totals(job_list: list[PlannedJob]) -> dict:
    by_rule: dict[str, dict] = {}
    for job in job_list:
        entry = by_rule.setdefault(job.rule, {"jobs": 0, "gpu_hours": 0.0})
        entry["jobs"] += 1
        entry["gpu_hours"] += job.gpu_hours
    longest = max(job_list, key=lambda j: j.wall_hours)
    return {
        "gpu_hours": sum(j.gpu_hours for j in job_list),
        "by_rule": by_rule,
        "longest_job": {"name": longest.name, "wall_hours": longest.wall_hours},
        "jobs": len(job_list),
        "fit": all(j.fits for j in job_list),
        "finish": all(j.finishes for j in job_list),
        "gold_on_rollouts": {
            key: sum(j.gold.get(key, 0) for j in job_list)
            for key in ("calls", "prompt_tokens", "output_tokens")
        },
    }


def render(job_list: list[PlannedJob]) -> str:
    lines = [
        f"{'job':44} {'GPUs':>4} {'nodes':>5} {'GB/GPU':>6} {'wall h':>8} {'GPU-h':>9} "
        f"{'step s (train/gen/judge)':>26} {'resume h':>8}  status"
    ]
    for job in job_list:
        step = (
            "/".join(
                f"{job.step_seconds[k]:.0f}" for k in ("train", "generate", "judge")
            )
            if job.step_seconds
            else ""
        )
        status = "ok" if not job.problems else "; ".join(job.problems)
        lines.append(
            f"{job.name:44} {job.gpus:>4} {job.nodes:>5} {job.peak / GB:>6.1f} "
            f"{job.wall_hours:>8,.1f} {job.gpu_hours:>9,.0f} {step:>26} "
            f"{job.resume_seconds / 3600:>8.1f}  {status}"
        )
    total = totals(job_list)
    lines.append("")
    lines += [
        f"{rule:44} {v['jobs']:>3} jobs {v['gpu_hours']:>12,.0f} GPU-hours"
        for rule, v in total["by_rule"].items()
    ]
    lines.append(
        f"{'total':44} {total['jobs']:>3} jobs {total['gpu_hours']:>12,.0f} GPU-hours"
    )
    lines.append(
        f"longest job: {total['longest_job']['name']}, "
        f"{total['longest_job']['wall_hours']:,.0f} h of wall time"
    )
    gold = total["gold_on_rollouts"]
    if gold["calls"]:
        lines.append(
            f"the gold on the training rollouts (policy_monitoring): {gold['calls']:,.0f} "
            f"calls to its server, {gold['prompt_tokens'] / 1e9:,.2f}B tokens in and "
            f"{gold['output_tokens'] / 1e9:,.2f}B out over all runs (its server's time is "
            "not the jobs')"
        )
    return "\n".join(lines)


def markdown(job_list: list[PlannedJob], config: dict) -> str:
    """The table of a plan in docs/paper-scale.md: GPU-hours per rule, the longest job, and what
    a policy run against a reasoning judge spends its hours on (the first such run of the
    config)."""
    total = totals(job_list)
    rows = ["| stage | jobs | GPU-hours |", "|---|---:|---:|"]
    rows += [
        f"| {rule} | {v['jobs']} | {v['gpu_hours']:,.0f} |"
        for rule, v in total["by_rule"].items()
    ]
    rows.append(f"| total | {total['jobs']} | {total['gpu_hours']:,.0f} |")
    longest = total["longest_job"]
    rows += [
        "",
        f"Longest job: `{longest['name']}`, {longest['wall_hours']:,.0f} h of wall time.",
    ]
    policies = [j for j in job_list if j.rule == "train_policy"]
    reasoning = [
        j
        for j in policies
        if config["judges"][config["policy_runs"][j.subject]["judge"]]["mode"]
        == "reasoning"
    ]
    if policies:
        job = (reasoning or policies)[0]
        steps = job.wall_seconds / sum(job.step_seconds.values())
        parts = ", ".join(
            f"{part} {seconds:,.0f} s ({seconds * steps / 3600:,.0f} h, "
            f"{seconds * steps / 3600 * job.gpus:,.0f} GPU-hours)"
            for part, seconds in job.step_seconds.items()
        )
        rows.append(
            f"A step of `{job.name}` on {job.gpus} GPU(s) of {job.nodes} node(s): {parts}; "
            f"{job.wall_hours:,.0f} h of wall time for the run."
        )
    bad = [j.name for j in job_list if j.problems]
    rows.append(
        f"Jobs that cannot fit or finish as configured: {len(bad)} of {len(job_list)}."
    )
    return "\n".join(rows)


# ---- the paper's anchors -----------------------------------------------------------------------


def anchor_layouts(config: dict) -> dict:
    """The paper config in the layouts of the paper's compute figures: judge SFT on one node of 8,
    judge GRPO on 4 nodes of 8, a policy on 4 nodes of 8 with its judge served on 4 more."""
    import copy

    cfg = copy.deepcopy(config)
    cfg["plan"]["gpu"] = "A100-80GB"
    for rule, nodes in (
        ("train_judge_sft", 1),
        ("train_judge_grpo", 4),
        ("train_policy", 4),
    ):
        cfg["resources"][rule]["gpu"] = 8  # per node
        cfg["launch"][rule].update(nodes=nodes, processes=8)
    cfg["launch"]["train_policy"]["judge_server"].update(nodes=4, gpus=8)
    # verl's hybrid engine hands the rollout engine the memory that the sharded trainer leaves;
    # colocated vLLM gets the same: what the trainer's terms leave, less a tenth, in 5% steps.
    for key, job in (
        ("judge_grpo", judge_grpo_job(cfg, "r-qwen3-8b")),
        ("policy_grpo", policy_job(cfg, "llama-vs-r-qwen3-4b")),
    ):
        trainer = sum(v for k, v in job.memory.items() if not k.startswith("vllm"))
        free = 1 - trainer / (GPUS["A100-80GB"]["memory_gb"] * GB) - 0.1
        cfg["training"][key]["vllm_gpu_memory_utilization"] = math.floor(free * 20) / 20
    return cfg


def anchor_ratios(config: dict) -> dict[str, float]:
    """Plan / paper for each of the paper's compute figures (ANCHORS)."""
    judge, run = "r-qwen3-8b", "llama-vs-r-qwen3-4b"
    if judge not in config["judges"] or run not in config["policy_runs"]:
        raise PlanError(
            f"the anchors need judge {judge} and run {run} of configs/paper.yaml"
        )
    cfg = anchor_layouts(config)
    sft_cfg = {**cfg, "data": {**cfg["data"], "splits": {"judge_train": 100_000}}}
    sft = sft_job(sft_cfg, judge)
    epochs = {
        **cfg["training"]["judge_sft"],
        **cfg["judges"][judge].get("sft", {}),
    }.get("num_train_epochs", 1)
    grpo = judge_grpo_job(cfg, judge)
    grpo_steps = cfg["training"]["judge_grpo"]["max_steps"]
    policy = policy_job(cfg, run)
    policy_steps = cfg["training"]["policy_grpo"]["max_steps"]
    plan = [
        sft.wall_hours / epochs,
        grpo.wall_hours * 100 / grpo_steps,
        policy.wall_hours * 1200 / policy_steps,
        policy.gpu_hours * 1200 / policy_steps,
    ]
    return {name: p / paper for (name, paper), p in zip(ANCHORS.items(), plan)}


# ---- make plan ---------------------------------------------------------------------------------


def profile_retries(profile: Path) -> int:
    import yaml

    if not profile.exists():
        return 0
    return int((yaml.safe_load(profile.read_text()) or {}).get("retries", 0))


def measure(config: dict, results: Path) -> None:
    """Lengths and thinking counts from a finished run of this config (its results folder): mean
    instruction and response tokens of the judge data (characters / plan.chars_per_token), and
    each judge's mean thinking tokens from its evaluation."""
    from judgerl.files import read_jsonl

    per = config["plan"]["chars_per_token"]
    candidates = results / "data/candidates/judge_train.jsonl"
    if candidates.exists():
        rows = read_jsonl(candidates)
        responses = [r for row in rows for r in row.get("responses", [])]
        config["plan"]["measured"] = {
            "instruction": sum(len(r["instruction"]) for r in rows) / len(rows) / per,
            **(
                {"response": sum(len(r) for r in responses) / len(responses) / per}
                if responses
                else {}
            ),
        }
    thinking = {}
    for judge in config["judges"]:
        path = results / f"judges/{judge}/eval/agreement.json"
        if path.exists():
            value = json.loads(path.read_text()).get("mean_thinking_tokens")
            if value:
                thinking[judge] = value
    config["plan"]["measured_thinking"] = thinking


def update_readme(readme: Path, stem: str, table: str) -> None:
    """Replace the text between `<!-- plan:<stem> -->` and `<!-- /plan:<stem> -->` lines."""
    import re

    text = readme.read_text()
    name = re.escape(stem)
    block = re.compile(rf"(<!-- plan:{name} -->\n).*?(<!-- /plan:{name} -->)", re.S)
    if not block.search(text):
        raise PlanError(
            f"{readme} has no <!-- plan:{stem} --> ... <!-- /plan:{stem} --> block"
        )
    readme.write_text(block.sub(lambda m: m.group(1) + table + "\n" + m.group(2), text))


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="GPUs, memory, step time, wall time and GPU-hours of every GPU job of a "
        "config, against its SLURM limits."
    )
    parser.add_argument("config", nargs="?", default="configs/paper.yaml")
    parser.add_argument(
        "--profile",
        default="profiles/slurm/config.yaml",
        help="the SLURM profile whose `retries` a job may use",
    )
    parser.add_argument(
        "--results",
        type=Path,
        help="a finished run's results folder: lengths and thinking tokens measured there",
    )
    parser.add_argument("--out", type=Path, help="default: results/plan/<stem>.json")
    parser.add_argument(
        "--readme",
        type=Path,
        help="write the plan's table into this file, between <!-- plan:<stem> --> markers",
    )
    return parser.parse_args(argv)


def write_plan(out: Path, path: Path, config: dict, job_list: list[PlannedJob]) -> None:
    """The plan of the config at `path` as JSON: every job's record and the totals."""
    from judgerl.files import write_json

    out.parent.mkdir(parents=True, exist_ok=True)
    write_json(
        out,
        {
            "config": str(path),
            "gpu": config["plan"]["gpu"],
            "jobs": [job.record() for job in job_list],
            "total": totals(job_list),
        },
    )


def main(argv: list[str] | None = None) -> int:
    import yaml

    from judgerl import config as study_config

    args = _arguments(argv)
    path = Path(args.config)
    config = study_config.validate(yaml.safe_load(path.read_text()))
    if args.results:
        measure(config, args.results)
    job_list = jobs(config, profile_retries(Path(args.profile)))
    if not job_list:
        print(f"{path}: no GPU jobs (resources.<rule>.gpu), nothing to plan")
        return 0
    if args.readme:
        update_readme(args.readme, path.stem, markdown(job_list, config))
        print(f"{args.readme}: the plan of {path} written")
        return 0
    print(render(job_list))
    out = args.out or Path("results/plan") / f"{path.stem}.json"
    write_plan(out, path, config, job_list)
    print(f"\nwritten: {out}")
    if "llama-vs-r-qwen3-4b" in config["policy_runs"]:
        print(
            "\nthe paper's compute figures, planned in the paper's layouts (plan / paper):"
        )
        for name, ratio in anchor_ratios(config).items():
            print(f"  {name}: {ratio:.2f}")
    try:
        check(job_list)
    except PlanError as err:
        print(f"\nplan fails:\n{err}", file=sys.stderr)
        return 1
    print(f"\n{len(job_list)} GPU jobs fit {config['plan']['gpu']} GPUs and finish")
    return 0


if __name__ == "__main__":
    sys.exit(main())
