"""Run under `accelerate launch` with configs/accelerate/fsdp.yaml (tests/test_reference_model.py):
build TRL's GRPOTrainer with `beta > 0` as workflow_scripts/train_policy.py does (the policy loaded
first, then GRPOConfig, then the trainer, which loads and shards its own reference model), and
write what this process sees of the reference, gathered whole, before and after
judgerl.sharding.sync_reference, to `<out>/rank<N>.json`. `--no-fix` leaves the reference as TRL
made it.

    python -m accelerate.commands.launch --config_file configs/accelerate/fsdp.yaml \
        --num_processes 2 tests/data/reference_model_check.py MODEL_DIR OUT [--no-fix]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def compare(ref, initial: dict) -> dict:
    """The reference gathered whole on this process (a collective), against `initial`."""
    import torch
    from torch.distributed.checkpoint.state_dict import (
        StateDictOptions,
        get_model_state_dict,
    )

    full = get_model_state_dict(ref, options=StateDictOptions(full_state_dict=True))
    differ = sorted(k for k in initial if not torch.equal(full[k].cpu(), initial[k]))
    weights = sum(v.numel() for v in full.values())
    zeros = sum((v == 0).sum().item() for v in full.values())
    return {
        "keys": sorted(full) == sorted(initial),
        "tensors": len(initial),
        "tensors_differ": len(differ),
        "first_differ": differ[:3],
        "zero_fraction": zeros / weights,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("model", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--no-fix", action="store_true")
    cli = parser.parse_args()

    import torch
    import torch.distributed as dist
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    from judgerl import launch, sharding, training

    torch.set_num_threads(1)  # two processes on the test machine's two cores
    launch.allow_fsdp_on_cpu()
    # As train_policy.py: the policy first, while torch.distributed is not up yet (every process
    # reads the checkpoint whole), then the config and the trainer, after it is.
    loaded_before_distributed = not dist.is_initialized()
    model, tokenizer = training.load_for_training(cli.model)
    initial = {k: v.detach().clone() for k, v in model.state_dict().items()}
    initial_buffers = {k: v.detach().clone() for k, v in model.named_buffers()}
    ids = tokenizer("The capital of France is", return_tensors="pt").input_ids
    with torch.no_grad():
        logits = model(ids).logits

    config = GRPOConfig(
        output_dir=str(cli.out / "trainer"),
        beta=0.01,  # the KL ablation's: TRL builds its own reference model
        per_device_train_batch_size=2,
        num_generations=2,
        max_completion_length=8,
        max_steps=1,
        save_strategy="no",
        logging_steps=1,
        report_to="none",
        use_cpu=True,
        bf16=False,
        seed=0,
    )
    data = Dataset.from_list(
        [{"prompt": [{"role": "user", "content": "Name a colour."}]}] * 4
    )
    trainer = GRPOTrainer(
        model=model,
        reward_funcs=[lambda completions, **_: [0.0] * len(completions)],
        args=config,
        train_dataset=data,
        processing_class=tokenizer,
    )
    ref = trainer.ref_model
    report = {
        "rank": dist.get_rank(),
        "world": dist.get_world_size(),
        "loaded_before_distributed": loaded_before_distributed,
        "distributed_type": str(trainer.accelerator.distributed_type),
        "cpu_ram_efficient_loading": trainer.accelerator.state.fsdp_plugin.cpu_ram_efficient_loading,
        "reference_class": type(ref).__name__,
        "before": compare(ref, initial),
    }
    report["synced"] = False if cli.no_fix else sharding.sync_reference(trainer)
    report["after"] = compare(ref, initial)
    buffers = dict(ref.named_buffers())
    report["buffers_differ"] = sorted(
        k for k, v in initial_buffers.items() if not torch.equal(buffers[k].cpu(), v)
    )
    with torch.no_grad():  # TRL's forward without `fused_lm_head` is the model's own
        ref_logits = ref(ids).logits
    report["logits_max_diff"] = (ref_logits.float() - logits.float()).abs().max().item()
    report["tied"] = ref.lm_head.weight is ref.get_input_embeddings().weight
    # One GRPO step: before its update the policy is the initial one, so TRL's KL to the
    # reference is ~0 where the reference is right.
    trainer.train()
    report["kl"] = [row["kl"] for row in trainer.state.log_history if "kl" in row]
    cli.out.mkdir(parents=True, exist_ok=True)
    (cli.out / f"rank{report['rank']}.json").write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
