"""`make plan`: memory, FLOPs, decode and judge time against arithmetic done by hand; the paper's
own compute figures reproduced within 1.5x in the paper's layouts; limits that name each job
that cannot finish; the plan's file, and the tables of docs/paper-scale.md as views of fresh
plans."""

import copy
import json
import re
from pathlib import Path

import pytest
import yaml

from judgerl import config as study_config
from judgerl import plan

ROOT = Path(__file__).resolve().parents[1]
LLAMA = {
    "parameters": 8.03e9,
    "layers": 32,
    "hidden": 4096,
    "kv_heads": 8,
    "head_dim": 128,
    "vocab": 128256,
}
A100 = plan.GPUS["A100-80GB"]


def load(name):
    return study_config.validate(
        yaml.safe_load((ROOT / f"configs/{name}.yaml").read_text())
    )


def test_memory_terms_by_hand():
    # Full-vocabulary bf16 logits of 8 x 2048 tokens of Llama 3: 8 * 2048 * 128256 * 2 = 4.2 GB,
    # and their fp32 log-softmax twice that again.
    assert plan.logits_bytes(8, 2048, 128256) == pytest.approx(8 * 2048 * 128256 * 6)
    # FSDP over 4 processes: 16 bytes per parameter / 4 = 32.1 GB for Llama 3.1 8B.
    terms = plan.training_terms(LLAMA, 4, 1, 4096, checkpointing=True)
    assert terms["weights+grads+adam (FSDP shard)"] / 1e9 == pytest.approx(32.12)
    assert (
        terms["activations"] == 32 * 1 * 4096 * 4096 * 2
    )  # one bf16 hidden state a layer
    # KV cache: K and V, bf16, 32 layers x 8 heads x 128 dims = 131072 bytes per token.
    assert plan.kv_cache_bytes(LLAMA, 1) == 131072
    vllm = plan.vllm_terms(LLAMA, 4096, 2, max_num_seqs=2048)
    assert vllm["vllm weights (bf16)"] == 2 * 8.03e9 / 2
    # TRL's colocated max_num_seqs of 2048 rows of fp32 logits, probabilities, log-probs: 3.2 GB.
    assert vllm["vllm start-up profile"] == 3 * 4 * 2048 * 128256


def test_flops_per_trained_token_count_every_pass():
    n = 8e9
    assert plan.flops_per_token(n, checkpointing=False) == 6 * n
    # recompute + old log-probs + the KL monitor's reference + TRL's reference (beta > 0)
    assert plan.flops_per_token(n, True, True, 2) == (6 + 2 + 2 + 4) * n
    seconds = plan.train_seconds(A100, 6 * n * 1e9, 8)
    assert seconds == pytest.approx(6 * n * 1e9 / (0.40 * 312e12 * 8))


def test_decode_is_bound_by_memory_bandwidth_and_the_kv_budget():
    # 10 GB of KV budget holds 10e9 / (131072 * 1024) = 74 Llama sequences of 1024 tokens.
    engine = plan.Engine(LLAMA, 1, 10e9)
    assert engine.concurrency(1024) == 74
    # 74 sequences, 512 in and 1024 out (mean length 1024): each decode step reads the weights
    # and the batch's KV cache at 70% of 2.039 TB/s, far longer than its FLOPs take.
    read = 2 * 8.03e9 + 74 * plan.kv_cache_bytes(LLAMA, 1024)
    step = read / (0.7 * 2.039e12)
    prefill = 2 * 8.03e9 * 74 * 512 / (0.40 * 312e12)
    assert plan.generate_seconds(A100, engine, 74, 512, 1024) == pytest.approx(
        prefill + 1024 * step
    )
    # Twice the sequences at the same concurrency: two waves.
    assert plan.generate_seconds(A100, engine, 148, 512, 1024) == pytest.approx(
        2 * prefill + 2 * 1024 * step
    )
    # An engine with room for one sequence decodes one at a time.
    assert plan.Engine(LLAMA, 1, 1.0).concurrency(1024) == 1


def test_the_judge_is_on_a_policy_steps_critical_path():
    cfg = load("paper")
    pointwise = plan.policy_job(cfg, "llama-vs-r-qwen3-8b")
    pairwise = plan.policy_job(cfg, "llama-vs-pw-r-qwen3-8b")
    nr = plan.policy_job(cfg, "llama-vs-nr-qwen3-8b")
    assert pointwise.step_seconds["judge"] > 0
    # Both prefill 8192 prompts of ~1300 tokens (the NR judge's whole cost, 44 s on 16 servers of
    # 2 GPUs); the reasoning judge also decodes ~1000 thinking tokens a call.
    assert pointwise.step_seconds["judge"] > 2 * nr.step_seconds["judge"]
    # Eq. 4: 7 calls per rollout (G - 1), each with two responses in its prompt.
    assert pairwise.step_seconds["judge"] > 6 * pointwise.step_seconds["judge"]
    assert pointwise.wall_seconds == pytest.approx(
        sum(pointwise.step_seconds.values()) * 1200
    )
    # A reasoning judge's thinking: the config's, or what a run's evaluation counted.
    cfg["plan"]["measured_thinking"] = {"r-qwen3-8b": 200.0}
    shorter = plan.policy_job(cfg, "llama-vs-r-qwen3-8b")
    decode = pointwise.step_seconds["judge"] - nr.step_seconds["judge"]
    assert shorter.step_seconds["judge"] < nr.step_seconds["judge"] + decode / 3


def test_trainer_nodes_divide_a_policy_steps_training():
    """FSDP over nodes x processes: twice the trainer's nodes, half the training seconds of a step
    and half the sharded state per GPU; the job holds the added nodes, and its GPU-hours count
    them (judge nodes as before)."""
    cfg = load("paper")
    four = plan.policy_job(cfg, "llama-vs-r-qwen3-4b")
    cfg["launch"]["train_policy"]["nodes"] = 8
    eight = plan.policy_job(cfg, "llama-vs-r-qwen3-4b")
    assert eight.step_seconds["train"] == pytest.approx(four.step_seconds["train"] / 2)
    state = "weights+grads+adam (FSDP shard)"
    assert eight.memory[state] == pytest.approx(four.memory[state] / 2)
    # the judge's servers and the rollouts each process generates: the judge unchanged, the
    # rollout generation no longer (half the rollouts per process)
    assert eight.step_seconds["judge"] == pytest.approx(four.step_seconds["judge"])
    assert eight.step_seconds["generate"] < four.step_seconds["generate"]
    assert (four.nodes, four.gpus) == (4 + 4, 8 * 8)
    assert (eight.nodes, eight.gpus) == (8 + 4, 12 * 8)
    assert eight.gpu_hours == pytest.approx(eight.wall_hours * 96)


def test_a_judge_on_nodes_of_its_own_gets_their_gpus_and_servers():
    """judge_server.nodes M: M nodes of gpus / tensor_parallel_size servers each, the calls of a
    step spread over them all; the job holds trainer + judge nodes. With nodes 0 one server
    beside the trainer on its node."""
    cfg = load("paper")
    server = cfg["launch"]["train_policy"]["judge_server"]
    assert (server["nodes"], server["gpus"], server["tensor_parallel_size"]) == (
        4,
        8,
        2,
    )
    engine, servers, _, _ = plan.judge_engines(cfg, "r-qwen3-8b")
    assert (servers, engine.tensor_parallel) == (16, 2)
    four = plan.policy_job(cfg, "llama-vs-r-qwen3-8b")
    server["nodes"] = 2
    two = plan.policy_job(cfg, "llama-vs-r-qwen3-8b")
    assert plan.judge_engines(cfg, "r-qwen3-8b")[1] == 8
    assert two.step_seconds["judge"] == pytest.approx(2 * four.step_seconds["judge"])
    assert two.step_seconds["train"] == four.step_seconds["train"]
    assert (two.nodes, two.gpus) == (4 + 2, 6 * 8)
    assert two.record()["nodes"] == 6
    # The judge beside a one-node trainer: one server on its GPUs, one node of their sum.
    cfg["launch"]["train_policy"].update(nodes=1, processes=4)
    server.update(nodes=0, gpus=4, tensor_parallel_size=4)
    beside = plan.policy_job(cfg, "llama-vs-r-qwen3-8b")
    assert plan.judge_engines(cfg, "r-qwen3-8b")[1] == 1
    assert (beside.nodes, beside.gpus) == (1, 8)
    # A layout asking more GPUs of a node than it has is named.
    server.update(gpus=8, tensor_parallel_size=2)
    cfg["launch"]["train_policy"]["processes"] = 8
    crowded = plan.policy_job(cfg, "llama-vs-r-qwen3-8b")
    assert any(
        "layout: launch.train_policy asks 16 GPUs of each node" in p
        for p in plan.problems(crowded)
    )


def test_a_colocated_vllm_that_would_not_start_is_named():
    """TRL gives its colocated vLLM max_num_seqs = the rollouts a process generates at once, and
    sets max_num_batched_tokens 4096, below which vLLM will not start: the paper's judge GRPO
    batch (16,384 rollouts a step) on one trainer process is named; on 4 x 8 it is 512."""
    cfg = load("paper")
    job = plan.judge_grpo_job(cfg, "r-qwen3-8b")
    assert job.rollout_engine["max_batch"] == 16384 // 32
    assert not [p for p in plan.problems(job) if p.startswith("vLLM")]
    cfg["launch"]["train_judge_grpo"].update(nodes=1, processes=1)
    job = plan.judge_grpo_job(cfg, "r-qwen3-8b")
    assert job.rollout_engine["max_batch"] == 16384
    assert any(
        p.startswith(
            "vLLM: TRL would start the colocated engine with max_num_seqs 16384"
        )
        for p in plan.problems(job)
    )


def test_the_paper_compute_figures_are_reproduced_within_1_5x():
    """The paper's layouts (set by plan.anchor_layouts, whatever configs/paper.yaml uses): judge
    SFT hours per epoch, judge GRPO hours per 100 steps, and the policy run's wall hours and
    GPU-hours for 1200 steps, each within 1.5x of the paper's figure."""
    ratios = plan.anchor_ratios(load("paper"))
    assert len(ratios) == 4
    for name, ratio in ratios.items():
        assert 1 / 1.5 <= ratio <= 1.5, (name, ratio)


def test_a_job_is_planned_with_the_resources_its_rule_gets():
    """Without resources.<rule>.runtime, the rule's own default (config.RULE_RESOURCES)."""
    cfg = load("paper")
    del cfg["resources"]["evaluate_judge"]["runtime"]
    evaluations = [j for j in plan.jobs(cfg) if j.rule == "evaluate_judge"]
    assert evaluations
    expected = study_config.RULE_RESOURCES["evaluate_judge"]["runtime"]
    assert {j.runtime_minutes for j in evaluations} == {expected}


def test_a_job_past_its_limits_is_named_with_the_keys():
    cfg = load("single_gpu")
    job = next(
        j for j in plan.jobs(cfg, retries=0) if j.name.startswith("train_policy:")
    )
    assert job.finishes and job.fits
    cfg["resources"]["train_policy"]["runtime"] = 10
    with pytest.raises(plan.PlanError) as err:
        plan.check(plan.jobs(cfg, retries=1))
    message = str(err.value)
    for run in cfg["policy_runs"]:
        assert f"train_policy:{run}: wall time" in message
    assert (
        "resources.train_policy.runtime (10 min) x (retries 1 + 1) = 0.3 h" in message
    )
    assert "a resume point every" in message and "resume_minutes" in message


def test_the_shipped_single_gpu_config_fits_and_finishes():
    jobs = plan.jobs(load("single_gpu"), retries=10)
    plan.check(jobs)
    rules = {job.rule for job in jobs}
    assert {"train_judge_sft", "train_judge_grpo", "train_policy"} <= rules
    assert all(job.gpu_hours > 0 and job.peak > 0 for job in jobs)


def test_a_config_made_too_big_fails_naming_the_job_and_term():
    cfg = load("paper")
    cfg["training"]["judge_sft"]["per_device_train_batch_size"] = 4
    with pytest.raises(
        plan.PlanError,
        match=r"train_judge_sft:nr-qwen3-14b: memory: .* largest term is logits",
    ):
        plan.check(plan.jobs(cfg))
    cfg = load("paper")
    # The 14B judge's bf16 weights alone (29.6 GB) on one GPU with a 30% share (24 GB).
    cfg["launch"]["train_policy"]["judge_server"].update(
        tensor_parallel_size=1, gpu_memory_utilization=0.3
    )
    with pytest.raises(
        plan.PlanError,
        match=r"train_policy:llama-vs-nr-qwen3-14b: .*its judge server needs",
    ):
        plan.check(plan.jobs(cfg))


def test_make_plan_writes_its_file_and_names_what_cannot_finish(capsys, tmp_path):
    out = tmp_path / "paper.json"
    code = plan.main([str(ROOT / "configs/paper.yaml"), "--out", str(out)])
    printed = capsys.readouterr()
    record = json.loads(out.read_text())
    jobs = record["jobs"]
    assert {"total", "jobs", "gpu", "config"} <= record.keys()
    keys = {"rule", "name", "gpus", "nodes", "gpu_hours", "wall_hours", "memory_gb"}
    assert all(keys | {"fits", "finishes"} <= j.keys() for j in jobs)
    assert all(
        set(j["step_seconds"]) == {"train", "generate", "judge"}
        for j in jobs
        if j["rule"] in ("train_policy", "train_judge_grpo")
    )
    assert record["total"]["gpu_hours"] == pytest.approx(
        sum(j["gpu_hours"] for j in jobs)
    )
    # Exit status and message agree with the file: each job that cannot finish is named.
    failing = [j["name"] for j in jobs if not (j["fits"] and j["finishes"])]
    assert code == (1 if failing else 0)
    for name in failing:
        assert f"{name}: " in printed.err
    assert "plan / paper" in printed.out


def test_the_paper_scale_page_tables_are_fresh_plans():
    """`make plan-table` writes them; a plan changed without it fails here."""
    page = (ROOT / "docs/paper-scale.md").read_text()
    for stem in ("paper", "single_gpu"):
        found = re.search(
            rf"<!-- plan:{stem} -->\n(.*?)\n<!-- /plan:{stem} -->", page, re.S
        )
        assert found, f"docs/paper-scale.md lacks the plan table of configs/{stem}.yaml"
        retries = plan.profile_retries(ROOT / "profiles/slurm/config.yaml")
        config = load(stem)
        assert found.group(1) == plan.markdown(plan.jobs(config, retries), config)


def test_make_plan_fails_on_a_config_too_big(capsys, tmp_path):
    cfg = yaml.safe_load((ROOT / "configs/paper.yaml").read_text())
    big = copy.deepcopy(cfg)
    big["training"]["policy_grpo"]["batch"]["rollouts_per_device"] = 32
    path = tmp_path / "big.yaml"
    path.write_text(yaml.safe_dump(big))
    assert plan.main([str(path), "--out", str(tmp_path / "big.json")]) == 1
    assert "train_policy:" in capsys.readouterr().err


def test_resume_minutes_bound_the_stretch_between_resume_points():
    cfg = load("paper")
    cfg["launch"]["train_policy"].pop("resume_minutes", None)
    job = plan.policy_job(cfg, "llama-vs-r-qwen3-4b", retries=10)
    step = sum(job.step_seconds.values())
    assert job.resume_seconds == pytest.approx(100 * step)  # save_steps alone
    assert any("resume_minutes" in p for p in plan.problems(job))
    cfg["launch"]["train_policy"]["resume_minutes"] = 240
    job = plan.policy_job(cfg, "llama-vs-r-qwen3-4b", retries=10)
    assert job.resume_seconds == pytest.approx(240 * 60 + step)
    assert not any("resume point" in p for p in plan.problems(job))


def test_the_gold_on_training_rollouts_is_counted_as_its_servers_load():
    """policy_monitoring: every 10th of 1200 steps (the first included), a 16th of the step's
    8,192 rollouts: 120 x 512 gold calls per policy run, each a judge prompt and a thinking."""
    cfg = load("paper")
    job = plan.policy_job(cfg, "llama-vs-nr-qwen3-8b")
    assert job.gold["calls"] == 120 * 512
    thinking = cfg["plan"]["thinking_tokens"] + cfg["plan"]["tokens"]["verdict"]
    assert job.gold["output_tokens"] == pytest.approx(120 * 512 * thinking)
    cfg["policy_monitoring"]["gold_every"] = 0
    assert plan.policy_job(cfg, "llama-vs-nr-qwen3-8b").gold == {}
    assert (
        "gold_on_rollouts" not in plan.policy_job(cfg, "llama-vs-nr-qwen3-8b").record()
    )
