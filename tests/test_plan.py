"""`make plan`: memory and GPU-hour estimates per GPU job, against arithmetic done by hand, and
the shipped configs fit their GPUs while a config made too big fails, naming the job and term."""

import copy
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


def load(name):
    return study_config.validate(
        yaml.safe_load((ROOT / f"configs/{name}.yaml").read_text())
    )


def test_terms_by_hand():
    # Full-vocabulary bf16 logits of 8 x 2048 tokens of Llama 3: 8 * 2048 * 128256 * 2 = 4.2 GB,
    # and their fp32 log-softmax twice that again.
    assert plan.logits_bytes(8, 2048, 128256) == pytest.approx(8 * 2048 * 128256 * 6)
    assert pytest.approx(4.2, abs=0.05) == 8 * 2048 * 128256 * 2 / 1e9
    # FSDP over 4 processes: 16 bytes per parameter / 4 = 32.1 GB for Llama 3.1 8B.
    terms = plan.training_terms(LLAMA, 4, 1, 4096, checkpointing=True)
    assert terms["weights+grads+adam (FSDP shard)"] / 1e9 == pytest.approx(32.12)
    assert (
        terms["activations"] == 32 * 1 * 4096 * 4096 * 2
    )  # one bf16 hidden state per layer
    # KV cache: K and V, bf16, 32 layers x 8 heads x 128 dims = 131072 bytes per token.
    assert plan.kv_cache_bytes(LLAMA, 1) == 131072
    assert plan.vllm_terms(LLAMA, 4096, 2)["vllm weights (bf16)"] == 2 * 8.03e9 / 2
    # 6 N FLOPs per token: 1e9 tokens of an 8B model at 35% of 312 TFLOPs on 8 GPUs.
    seconds = plan.train_seconds({"mfu": 0.35, "peak_tflops": 312}, 8e9, 1e9, 8)
    assert seconds == pytest.approx(6 * 8e9 * 1e9 / (0.35 * 312e12 * 8))


@pytest.mark.parametrize("name", ["paper", "single_gpu"])
def test_the_shipped_configs_fit_their_gpus(name):
    jobs = plan.jobs(load(name))
    plan.check(jobs)
    rules = {job.name.split(":")[0] for job in jobs}
    assert {
        "train_judge_sft",
        "train_judge_grpo",
        "train_policy",
        "generate_answers",
    } <= rules
    assert all(job.hours > 0 and job.peak > 0 for job in jobs)


def test_a_config_made_too_big_fails_naming_the_job_and_term():
    cfg = load("paper")
    cfg["training"]["judge_sft"]["per_device_train_batch_size"] = 4
    with pytest.raises(
        plan.PlanError, match=r"train_judge_sft:nr-qwen3-14b: .* largest term is logits"
    ):
        plan.check(plan.jobs(cfg))
    cfg = load("paper")
    # The 14B judge's bf16 weights alone (29.6 GB) on one GPU with a 30% share (24 GB).
    cfg["launch"]["train_policy"]["judge_server"].update(
        tensor_parallel_size=1, gpu_memory_utilization=0.3
    )
    with pytest.raises(
        plan.PlanError,
        match=r"train_policy:llama-vs-nr-qwen3-14b: its judge server needs",
    ):
        plan.check(plan.jobs(cfg))


def test_make_plan_prints_and_exits(capsys, tmp_path):
    assert plan.main([str(ROOT / "configs/paper.yaml")]) == 0
    out = capsys.readouterr().out
    assert (
        "train_policy:llama-vs-r-qwen3-4b" in out
        and "GPU-hours" in out
        and "fit 80 GB GPUs" in out
    )
    cfg = yaml.safe_load((ROOT / "configs/paper.yaml").read_text())
    big = copy.deepcopy(cfg)
    big["training"]["policy_grpo"]["batch"]["rollouts_per_device"] = 32
    path = tmp_path / "big.yaml"
    path.write_text(yaml.safe_dump(big))
    assert plan.main([str(path)]) == 1
    assert "plan fails: train_policy:" in capsys.readouterr().err
