"""GPU smoke test: every CUDA path of the project that fits one GPU, on a small random-weight model
(no network, no download), printing what it measured. Run it on a GPU machine:

    python tests/gpu_smoke.py            # or: make gpu-check

1. the transformers engine on CUDA: generation and the verdict distribution;
2. the KL monitor on CUDA: reference on the trainer's device, chunked log-probabilities, zero KL
   for the initial policy, peak memory per chunk size;
3. one policy GRPO step (TRL's GRPOTrainer, bf16) with the KL monitor's reference on the
   trainer process's device;
4. one sharded training step: TRL's SFTTrainer under `accelerate launch` with the project's FSDP
   config (configs/accelerate/fsdp.yaml), its model gathered into one full state dict and reloaded.

vLLM is not exercised here (it cannot travel to a borrowed machine); `make test` runs it on CPU.
`--device cpu` runs all four on a CPU (the sharded step on two gloo processes), to check the
script itself.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

WORDS = [
    "Score",
    ":",
    "Better",
    "hi",
    "hello",
    "the",
    "a",
    "answer",
    "question",
    "is",
    "good",
    "bad",
    "paris",
    "france",
    "capital",
    "of",
    "what",
    "name",
    "<think>",
    "</think>",
    ".",
]


def tiny_model(folder: Path, layers: int = 4, hidden: int = 256) -> Path:
    """A word-level tokenizer (digits are tokens of their own, as the verdict position needs) with
    a ChatML template, and a Llama model with random weights, saved as a plain HF folder."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    special = ["<pad>", "<unk>", "<|im_start|>", "<|im_end|>"]
    vocab = {
        w: i
        for i, w in enumerate(
            [*special, *map(str, range(10)), *WORDS, "system", "user", "assistant"]
        )
    }
    backend = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.WhitespaceSplit(),
            pre_tokenizers.Punctuation(),
            pre_tokenizers.Digits(individual_digits=True),
        ]
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        pad_token="<pad>",
        unk_token="<unk>",
        eos_token="<|im_end|>",
        additional_special_tokens=special[2:],
    )
    tokenizer.chat_template = (
        "{% for m in messages %}<|im_start|> {{ m['role'] }} {{ m['content'] }} <|im_end|> {% endfor %}"
        "{% if add_generation_prompt %}<|im_start|> assistant {% endif %}"
    )
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(vocab),
        hidden_size=hidden,
        intermediate_size=2 * hidden,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=2048,
        pad_token_id=vocab["<pad>"],
        eos_token_id=vocab["<|im_end|>"],
        tie_word_embeddings=False,
    )
    model = LlamaForCausalLM(config).to(torch.bfloat16)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def report(name: str, **values) -> None:
    print(json.dumps({"check": name, **values}), flush=True)


def check_engine(folder: Path, device: str) -> None:
    from judgerl.engines import Sampling, TransformersEngine
    from judgerl.judging import JudgeSettings, judge_pointwise
    from judgerl.prompts import NON_REASONING

    start = time.perf_counter()
    engine = TransformersEngine(folder, dtype="bfloat16", batch_size=8, device=device)
    conversations = [
        [{"role": "user", "content": "what is the capital of france ?"}]
    ] * 8
    completions = engine.complete(
        conversations, Sampling(max_tokens=32, temperature=0.7)
    )
    verdicts = judge_pointwise(
        engine,
        ["what is the capital of france ?"] * 4,
        ["paris"] * 4,
        JudgeSettings(NON_REASONING, Sampling(max_tokens=16), verdict="argmax"),
    )
    assert all(v["valid"] and abs(sum(v["probs"]) - 1) < 1e-3 for v in verdicts)
    report(
        "transformers_engine",
        device=str(engine.model.device),
        seconds=round(time.perf_counter() - start, 2),
        tokens=sum(c.n_tokens for c in completions),
        expected_scores=[round(v["expected_score"], 3) for v in verdicts],
    )


def check_kl(folder: Path, device: str) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from judgerl.rewards import KLToInitial
    from judgerl.training import load_reference

    tokenizer = AutoTokenizer.from_pretrained(folder)
    policy = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32).to(
        device
    )
    prompts = [[{"role": "user", "content": "name the capital of france"}]] * 16
    completion_ids = [
        tokenizer.encode("paris is the answer .", add_special_tokens=False)
    ] * 16
    out = {}
    for chunk in (2, 16):
        kl = KLToInitial(
            load_reference(folder),
            tokenizer,
            temperature=0.7,
            autocast_dtype=torch.bfloat16 if device == "cuda" else None,
            chunk_size=chunk,
        )
        kl.attach(policy, torch.device(device))
        if device == "cuda":
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        values = kl(prompts, [None] * 16, completion_ids)
        out[f"chunk_{chunk}"] = {
            "reference_device": str(next(kl.reference.parameters()).device),
            "reference_dtype": str(next(kl.reference.parameters()).dtype),
            "max_abs_kl": round(max(abs(v) for v in values), 5),
            "peak_mb": round(torch.cuda.max_memory_allocated() / 2**20, 1)
            if device == "cuda"
            else None,
        }
    report("kl_monitor", **out)


def check_sharded_step(folder: Path, processes: int) -> None:
    """One SFT step under accelerate launch with the project's FSDP config."""
    import torch

    work = folder.parent / "sharded"
    command = [
        sys.executable,
        "-m",
        "accelerate.commands.launch",
        "--config_file",
        str(ROOT / "configs/accelerate/fsdp.yaml"),
        "--num_processes",
        str(processes),
        str(Path(__file__).resolve()),
        "--sharded-step",
        str(folder),
        str(work),
    ]
    start = time.perf_counter()
    subprocess.run(command, check=True)
    from transformers import AutoModelForCausalLM

    reloaded = AutoModelForCausalLM.from_pretrained(work.with_name("sharded-model"))
    initial = AutoModelForCausalLM.from_pretrained(folder)
    moved = sum(
        not torch.equal(a, b)
        for a, b in zip(reloaded.state_dict().values(), initial.state_dict().values())
    )
    report(
        "sharded_sft_step",
        processes=processes,
        seconds=round(time.perf_counter() - start, 2),
        tensors_moved=int(moved),
        tensors=len(initial.state_dict()),
    )
    assert moved > 0


def sharded_step(folder: Path, work: Path) -> None:
    """Inside accelerate launch: one SFT step, then the gathered full state dict saved."""
    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    from judgerl import launch, training

    launch.allow_fsdp_on_cpu()  # on a CPU (--device cpu); nothing to do on GPUs
    model, tokenizer = training.load_for_training(folder)
    data = Dataset.from_list(
        [{"prompt": "what is the capital of france ?", "completion": " paris"}] * 8
    )
    args = SFTConfig(
        output_dir=str(work / "trainer"),
        max_steps=1,
        per_device_train_batch_size=4,
        learning_rate=1e-3,
        report_to="none",
        save_strategy="no",
        gradient_checkpointing=False,
        **training.device_args(),
    )
    trainer = SFTTrainer(
        model=model, args=args, train_dataset=data, processing_class=tokenizer
    )
    trainer.train()
    report(
        "sharded_process",
        rank=trainer.accelerator.process_index,
        distributed_type=str(trainer.accelerator.distributed_type),
        **training.log_shards(trainer),
    )
    # finish() builds the model in work/final, moves it onto the output and removes work/.
    training.finish(
        trainer, tokenizer, work, work.with_name("sharded-model"), "bfloat16"
    )


def check_policy_step(folder: Path, device: str) -> None:
    """One policy GRPO step in bf16 on the device, with the KL monitor as the trainer runs it
    (a weight-0 reward, its reference on the process's accelerator device)."""
    import torch
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    from judgerl import training
    from judgerl.rewards import KLToInitial

    start = time.perf_counter()
    model, tokenizer = training.load_for_training(folder)
    initial = {k: v.clone() for k, v in model.state_dict().items()}
    data = Dataset.from_list(
        [{"prompt": [{"role": "user", "content": "name the capital of france"}]}] * 4
    )

    def length(prompts, completions, **_):  # a reward with spread: longer is better
        return [float(len(str(c))) for c in completions]

    kl = KLToInitial(
        training.load_reference(folder),
        tokenizer,
        temperature=1.0,
        autocast_dtype=training.autocast_dtype(),
    )
    args = GRPOConfig(
        output_dir=str(folder.parent / "grpo"),
        max_steps=1,
        per_device_train_batch_size=4,
        num_generations=4,
        max_completion_length=16,
        learning_rate=1e-3,
        reward_weights=[1.0, 0.0],
        report_to="none",
        save_strategy="no",
        gradient_checkpointing=False,
        **training.device_args(),
    )
    trainer = GRPOTrainer(
        model=model,
        reward_funcs=[length, kl],
        args=args,
        train_dataset=data,
        processing_class=tokenizer,
    )
    kl.attach(trainer.model, trainer.accelerator.device)
    trainer.train()
    after = trainer.model.state_dict()
    moved = sum(not torch.equal(initial[k], after[k].cpu()) for k in initial)
    logged = trainer.state.log_history[0]
    report(
        "policy_grpo_step",
        device=str(next(trainer.model.parameters()).device),
        kl_reference_device=str(next(kl.reference.parameters()).device),
        seconds=round(time.perf_counter() - start, 2),
        reward=round(logged.get("rewards/length/mean", float("nan")), 2),
        kl=logged.get("rewards/kl_to_initial/mean"),
        tensors_moved=int(moved),
        tensors=len(initial),
    )
    assert moved > 0
    assert next(kl.reference.parameters()).device.type == device


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    parser.add_argument(
        "--sharded-step", nargs=2, metavar=("MODEL", "WORK"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.sharded_step:
        sharded_step(Path(args.sharded_step[0]), Path(args.sharded_step[1]))
        return
    import torch

    if args.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit(
            "no CUDA device here; run it on a GPU machine (or --device cpu to check the script)"
        )
    report(
        "machine",
        torch=torch.__version__,
        device=torch.cuda.get_device_name(0) if args.device == "cuda" else "cpu",
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = tiny_model(Path(tmp) / "model")
        check_engine(folder, args.device)
        check_kl(folder, args.device)
        check_policy_step(folder, args.device)
        check_sharded_step(
            folder, torch.cuda.device_count() if args.device == "cuda" else 2
        )
    report("done")


if __name__ == "__main__":
    main()
