"""What the training scripts share: TRL configs from config, resume, checkpoint export, logs.

Every trainer works in `<output>.work/`: TRL's own checkpoints (model + optimizer, for resume)
under `trainer/`, and light bf16 model exports under `exports/`. Only a finished run moves its
results onto the rule's outputs, so Snakemake never sees a half-trained model, and a killed job
rerun continues from its last TRL checkpoint.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from judgerl.files import atomic_path, read_jsonl, write_jsonl
from judgerl.grpo_batch import ONE_UPDATE_PER_STEP, StepUnits

log = logging.getLogger(__name__)


def device_args() -> dict:
    """CPU runs need `use_cpu` for bf16 autocast (TRL's default bf16=True fails without it)."""
    import torch

    if torch.cuda.is_available():
        return {"bf16": True}
    return {"use_cpu": True, "bf16": True}


def work_dir(output: str | Path) -> Path:
    output = Path(output)
    return output.with_name(f"{output.name}.work")


def claim_work_dir(work: Path, snakemake) -> None:
    """Resume only what the same job started: the work folder records the job's params and
    inputs, and a folder left by a job with other ones (a changed learning rate, another number
    of steps) is removed, not resumed. The launching process calls it, before any trainer."""
    from judgerl import launch, runtime

    if launch.is_child():
        return
    job = runtime.job_record(snakemake)
    record = Path(work) / "job.json"
    if record.exists() and record.read_text() != job:
        log.warning(
            "%s was left by a job with other params or inputs: starting afresh", work
        )
        shutil.rmtree(work)
    Path(work).mkdir(parents=True, exist_ok=True)
    record.write_text(job)


def job_rubrics(snakemake) -> dict[str, str] | None:
    """The rubrics of a job that has them (input `rubrics`: rubric judges), else None."""
    from judgerl.data import load_rubrics

    return load_rubrics(snakemake.input.rubrics) if snakemake.input.rubrics else None


def last_checkpoint(trainer_dir: Path) -> str | None:
    """The newest whole TRL checkpoint to resume from, or None.

    A kill during a save (a scheduler's time limit) leaves a checkpoint folder without the trainer
    state, which the Trainer writes last: it does not count, and the main process removes it, so
    that the step is saved afresh when training gets there again.
    """
    import os

    trainer_dir = Path(trainer_dir)
    if not trainer_dir.is_dir():
        return None
    found = sorted(
        (
            p
            for p in trainer_dir.glob("checkpoint-*")
            if p.is_dir() and p.name.split("-")[-1].isdigit()
        ),
        key=checkpoint_step,
        reverse=True,
    )
    for path in found:
        if (path / "trainer_state.json").is_file():
            log.info("resuming from %s", path)
            return str(path)
        log.warning("%s was cut short (no trainer_state.json): not resumed from", path)
        if os.environ.get("RANK", "0") == "0":
            shutil.rmtree(path, ignore_errors=True)
    return None


def checkpoint_step(path: str | None) -> int:
    return int(Path(path).name.split("-")[-1]) if path else 0


def load_for_training(model_dir: str | Path):
    """Weights in fp32 for the optimizer; bf16 autocast does the arithmetic."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)
    return model, tokenizer


def autocast_dtype():
    """The dtype the trainer computes in under mixed precision (device_args): bf16, or None."""
    import torch

    return torch.bfloat16 if device_args().get("bf16") else None


def load_reference(model_dir: str | Path):
    """A frozen copy of a model beside the trainer: in bf16 on a GPU (the trainer's compute dtype,
    half the memory of fp32); in fp32 on a CPU, where the trainer holds fp32 weights and bf16
    autocast does the arithmetic, so that the initial policy is at KL 0 from itself."""
    import torch
    from transformers import AutoModelForCausalLM

    dtype = torch.bfloat16 if torch.cuda.is_available() else torch.float32
    return AutoModelForCausalLM.from_pretrained(model_dir, dtype=dtype)


def log_shards(trainer) -> dict:
    """Log what this process holds of the model and of its optimizer state, and return it. Under
    FSDP each tensor is a DTensor whose local part is this process's shard: with N processes,
    about 1/N."""
    import os

    import torch

    def local(tensor):
        return tensor.to_local() if hasattr(tensor, "to_local") else tensor

    def count(tensors):
        tensors = list(tensors)
        return (
            sum(local(t).numel() for t in tensors),
            sum(t.numel() for t in tensors),
            sum(local(t).numel() * local(t).element_size() for t in tensors),
        )

    params = count(trainer.model.parameters())
    optimizer = count(
        value
        for state in trainer.optimizer.state.values()
        for value in state.values()
        if torch.is_tensor(value) and value.dim() > 0
    )
    log.info(
        "process %s of %s holds %d of %d parameters (%.1f%%, %.0f MB) and %d of %d optimizer "
        "state values (%.1f%%, %.0f MB)",
        os.environ.get("RANK", "0"),
        os.environ.get("WORLD_SIZE", "1"),
        params[0],
        params[1],
        100 * params[0] / params[1],
        params[2] / 2**20,
        optimizer[0],
        optimizer[1],
        100 * optimizer[0] / max(optimizer[1], 1),
        optimizer[2] / 2**20,
    )
    return {
        "local_parameters": params[0],
        "total_parameters": params[1],
        "local_optimizer_values": optimizer[0],
        "total_optimizer_values": optimizer[1],
    }


def full_state_dict(trainer) -> dict:
    """The model's whole state dict, gathered from every process's shards (FSDP) by the trainer's
    accelerator. A collective: every process must call it."""
    return trainer.accelerator.get_state_dict(trainer.model_wrapped)


def save_model(
    model, tokenizer, output: str | Path, dtype: str = "bfloat16", state_dict=None
) -> None:
    """Save a copy in `dtype` (the trained weights stay fp32 in memory) atomically; `state_dict`
    is the gathered full state of a sharded model (else the model's own)."""
    import torch

    state_dict = model.state_dict() if state_dict is None else state_dict
    state = {k: v.detach().to(getattr(torch, dtype)) for k, v in state_dict.items()}
    with atomic_path(output) as tmp:
        model.save_pretrained(tmp, state_dict=state)
        tokenizer.save_pretrained(tmp)
        model.config.save_pretrained(tmp)
    _fix_dtype(Path(output), dtype)


def _fix_dtype(folder: Path, dtype: str) -> None:
    import json

    cfg_path = folder / "config.json"
    cfg = json.loads(cfg_path.read_text())
    cfg["dtype"] = dtype
    cfg_path.write_text(json.dumps(cfg, indent=2) + "\n")


def export_callback(
    exports: Path,
    tokenizer,
    dtype: str = "bfloat16",
    units: StepUnits = ONE_UPDATE_PER_STEP,
    every: int = 1,
):
    """A TrainerCallback that exports a light model copy every `every` updates (the config's
    save_steps, in TRL updates), for evaluation, named by the paper steps done (`units`);
    `callback.trainer` must be set once the trainer exists. Resume points in between
    (resume_callback) export nothing.

    The export is written at the end of the step that will be saved, before the Trainer writes
    its own checkpoint: the Trainer writes `trainer_state.json` last and calls `on_save` after
    it, so an export made there could be lost to a kill between the two, and the resumed run
    would never make it. Here a kill before the trainer's checkpoint redoes the step and its
    export; a kill after it finds the export made.
    """
    from transformers import TrainerCallback

    class ExportCheckpoint(TrainerCallback):
        trainer = None
        reported = False

        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step % every:
                return
            if self.trainer is None:
                raise RuntimeError(
                    "set the export callback's trainer after building the trainer"
                )
            if not self.reported:
                log_shards(self.trainer)
                self.reported = True
            full = full_state_dict(self.trainer)
            if state.is_world_process_zero:
                step = units.steps_done(state.global_step)
                target = exports / f"checkpoint-{step}"
                model = self.trainer.accelerator.unwrap_model(self.trainer.model)
                save_model(model, tokenizer, target, dtype, state_dict=full)
                log.info("exported checkpoint-%d", step)

    return ExportCheckpoint()


def agree(flag: bool) -> bool:
    """Rank 0's `flag` on every process: a checkpoint is a collective step under FSDP, and each
    process's clock reads a little differently."""
    import torch.distributed as dist

    if (
        not (dist.is_available() and dist.is_initialized())
        or dist.get_world_size() == 1
    ):
        return flag
    box = [flag]
    dist.broadcast_object_list(box, src=0)
    return bool(box[0])


def resume_callback(minutes: float | None, clock=None):
    """A TrainerCallback that has the Trainer write a full checkpoint (model, optimizer,
    scheduler, RNG and data position: what a resumed job continues from) once `minutes` of
    training have passed since the last one, besides the config's save_steps; None: at
    save_steps only. A job stopped at its time limit then loses at most `minutes` of work.
    The Trainer keeps only the latest checkpoint (trainer_args' save_total_limit)."""
    import time

    from transformers import TrainerCallback

    clock = clock or time.monotonic

    class ResumePoint(TrainerCallback):
        last = None

        def on_train_begin(self, args, state, control, **kwargs):
            self.last = clock()

        def on_step_end(self, args, state, control, **kwargs):
            if minutes is None or control.should_save:
                return
            if agree(clock() - self.last >= minutes * 60):
                control.should_save = True

        def on_save(self, args, state, control, **kwargs):
            self.last = clock()

    return ResumePoint()


def job_callbacks(snakemake, launched: dict, work: Path) -> list:
    """What every trainer of the workflow registers: resume points by the clock (config
    `launch.<rule>.resume_minutes`), progress lines, and the job's tracked runs."""
    from judgerl import tracking

    return [
        resume_callback(snakemake.params.launch.get("resume_minutes")),
        progress_callback(),
        *tracking.for_job(snakemake, launched, work),
    ]


def progress_callback(every_s: float | None = None, clock=None):
    """A TrainerCallback that logs the trainer's step of max_steps, steps a minute and the time
    left (judgerl/progress.py: at most once every `every_s` seconds, and at the end), from the
    main process only. A resumed run counts its checkpoint's steps as done, not in its rate."""
    import time

    from transformers import TrainerCallback

    from judgerl.progress import Progress

    class ProgressReport(TrainerCallback):
        meter = None

        def on_train_begin(self, args, state, control, **kwargs):
            if state.is_world_process_zero:
                self.meter = Progress(
                    "training steps",
                    state.max_steps,
                    done=state.global_step,
                    logger=log,
                    every_s=every_s,
                    clock=clock or time.monotonic,
                    unit="steps",
                )

        def on_step_end(self, args, state, control, **kwargs):
            if self.meter is not None:
                self.meter.advance_to(state.global_step)

        def on_train_end(self, args, state, control, **kwargs):
            if self.meter is not None:
                self.meter.finish()

    return ProgressReport()


def rank_log(folder: Path, name: str, rank: int) -> Path:
    """One process's own log file (one writer per file): `<name>.rank<rank>.jsonl`."""
    return Path(folder) / f"{name}.rank{rank}.jsonl"


def merge_rank_logs(folder: Path, name: str, output: Path) -> list[dict]:
    """Every process's `<name>.rank<r>.jsonl` as one file ordered by step, then rank, then the
    order each process wrote; returns its rows. Called once every process has finished."""
    parts = sorted(
        Path(folder).glob(f"{name}.rank*.jsonl"),
        key=lambda p: int(p.name.rsplit(".rank", 1)[1].split(".")[0]),
    )
    rows = [row for part in parts for row in read_jsonl(part)]
    rows.sort(key=lambda row: row["step"] if row.get("step") is not None else -1)
    write_jsonl(output, rows)
    return rows


def write_log_history(
    log_history: list[dict], output: str | Path, units: StepUnits = ONE_UPDATE_PER_STEP
) -> None:
    """The trainer's log as CSV; `step` is the paper step that each logged update belongs to
    (TRL counts updates: `trainer_step`)."""
    import polars as pl

    rows = []
    for row in log_history:
        row = {
            k: v
            for k, v in row.items()
            if isinstance(v, (int, float, str)) or v is None
        }
        if "step" in row:
            row["trainer_step"] = row["step"]
            row["step"] = units.step_of_update(row["step"])
        rows.append(row)
    frame = (
        pl.from_dicts(rows, infer_schema_length=None)
        if rows
        else pl.DataFrame({"step": []})
    )
    with atomic_path(output) as tmp:
        frame.write_csv(tmp)


def truncate_jsonl_after(path: Path, step: int) -> None:
    """Drop logged rows of steps after paper step `step` (the steps a resumed run will redo),
    and a last line that a kill cut off in the middle of its write (a file that does not end
    with a newline)."""
    if not path.exists():
        return
    text = path.read_text()
    if text and not text.endswith("\n"):
        cut = text.rfind("\n") + 1
        log.warning(
            "%s: dropping a line cut off by the kill (%d bytes)", path, len(text) - cut
        )
        path.write_text(text[:cut])
    rows = [r for r in read_jsonl(path) if r.get("step") is None or r["step"] <= step]
    write_jsonl(path, rows)


def has_signal(log_history: list[dict]) -> bool:
    """Whether any GRPO step had a group whose rewards differed: with every group's rewards
    equal (`frac_reward_zero_std` 1), every advantage is 0 and the step changes nothing."""
    fractions = [
        row["frac_reward_zero_std"]
        for row in log_history
        if row.get("frac_reward_zero_std") is not None
    ]
    return any(float(f) < 1 for f in fractions)


def warn_without_signal(log_history: list[dict], log: logging.Logger) -> None:
    if not has_signal(log_history):
        log.warning(
            "no learning signal: in every step, every group's rollouts earned the same reward "
            "(e.g. all invalid verdicts), so GRPO left the weights as they were"
        )


def move_into(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    if dst.exists():
        shutil.rmtree(dst) if dst.is_dir() else dst.unlink()
    shutil.move(str(src), str(dst))


def trainer_args(work: Path, seed: int, **args) -> dict:
    """Arguments every trainer of the workflow shares, then the config's own trainer arguments."""
    return {
        "output_dir": str(work / "trainer"),
        "seed": seed,
        # Trackers are the workflow's own callbacks (judgerl/tracking.py), which continue a run
        # on resume; the Trainer's progress bar would redraw into the job's log, where
        # progress_callback writes whole lines instead.
        "report_to": "none",
        "disable_tqdm": True,
        "logging_steps": 1,
        # The latest resume point only: the Trainer removes older ones after a new one is
        # whole, and last_checkpoint skips one cut short by a kill while saving.
        "save_total_limit": 1,
        **device_args(),
        **args,
    }


def release_memory() -> None:
    """Give back what a model that has just been dropped held (a GPU's cache included)."""
    import gc

    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def prompt_tokens(tokenizer, prompt) -> int:
    """Tokens of a trainer prompt: rendered text, or a conversation under the chat template."""
    if not isinstance(prompt, str):
        # Rendered as text, then tokenized as the engines do (tokenize=True returns a mapping in
        # transformers 5, whose len() would be its number of keys).
        prompt = tokenizer.apply_chat_template(
            prompt, tokenize=False, add_generation_prompt=True
        )
    return len(tokenizer.encode(prompt, add_special_tokens=False))


def cap_prompts(dataset, tokenizer, cap: int | None):
    """The dataset without the prompts longer than `cap` tokens (config max_prompt_length), their
    number logged: the paper's judge GRPO reads at most 4,096 prompt tokens."""
    if cap is None:
        return dataset
    kept = dataset.filter(lambda row: prompt_tokens(tokenizer, row["prompt"]) <= cap)
    log.info(
        "max_prompt_length %d: %d of %d prompts kept", cap, len(kept), len(dataset)
    )
    if not len(kept):
        raise ValueError(
            f"max_prompt_length {cap}: every one of {len(dataset)} prompts is longer"
        )
    return kept


# TRL 1.16 builds its colocated engine with max_num_batched_tokens=4096
# (trl/generation/vllm_generation.py:359), and vLLM 0.31 will not start with max_num_seqs above
# it (vllm/config/scheduler.py:329).
COLOCATED_MAX_NUM_BATCHED_TOKENS = 4096


def colocated_max_num_seqs(args: dict) -> int:
    """The max_num_seqs of TRL's colocated vLLM, from the GRPOConfig arguments (trl_args):
    TRL 1.16 passes per_device_train_batch_size x vllm_tensor_parallel_size x
    steps_per_generation (trl/trainer/grpo_trainer.py:1124-1126), the rollouts that a
    tensor-parallel group generates at once, and has no argument of its own for it. vLLM's
    start-up profile samples that many rows of full-vocabulary logits (its dummy batch of
    max_num_batched_tokens tokens holds min(tokens, max_num_seqs) requests, one row each:
    vllm/v1/worker/gpu_model_runner.py:5882, 6198-6200, 6217). make plan counts the same."""
    steps = args.get("steps_per_generation") or args.get(
        "gradient_accumulation_steps", 1
    )
    per_device = args.get("per_device_train_batch_size", 8)  # TrainingArguments'
    return per_device * args.get("vllm_tensor_parallel_size", 1) * steps


def colocated_vllm_args(args: dict, tokenizer, prompts: list) -> dict:
    """TRL's colocated vLLM sized to the data and to its share of the GPU.

    Its maximum model length is the longest prompt plus the completion cap: left unset, vLLM
    takes the model's whole context (131K tokens for Llama 3.1, 262K for Qwen3-4B-2507), whose
    KV cache does not fit its share of the GPU. Within that share (the config's
    `vllm_gpu_memory_utilization`, passed to GRPOConfig as it is) vLLM holds its bf16 weights,
    then a start-up profile of colocated_max_num_seqs rows of full-vocabulary fp32 logits, then
    the KV cache in what is left; make plan counts the same three (plan.colocated_engine).
    """
    if not args.get("use_vllm"):
        return {}
    seqs = colocated_max_num_seqs(args)
    if (
        args.get("vllm_mode", "colocate") == "colocate"
        and seqs > COLOCATED_MAX_NUM_BATCHED_TOKENS
    ):
        # TRL has no argument for max_num_seqs (nor passes any other LLM argument): it is the
        # rollouts a process generates at once, which more trainer processes divide.
        raise ValueError(
            f"TRL would start its colocated vLLM with max_num_seqs {seqs} (per-device batch x "
            "vLLM tensor parallel x steps_per_generation), above the max_num_batched_tokens "
            f"{COLOCATED_MAX_NUM_BATCHED_TOKENS} that it sets, which vLLM refuses: run the "
            "trainer on more processes (launch.<rule>.nodes / processes)"
        )
    longest = max(prompt_tokens(tokenizer, p) for p in prompts)
    return {
        "vllm_max_model_length": longest + args["max_completion_length"],
        # Sleep mode off: at the paper's layouts the FSDP-sharded trainer fits beside vLLM's share
        # all the time (make plan: the trainer's terms within 1 - share), so there is nothing to
        # free. On, TRL would drop vLLM's weights and KV cache after every generation and map them
        # back before the next weight sync and generation (trl/generation/vllm_generation.py:
        # 489-491, 704-705, 750-752): device time every step that the plan does not count, and
        # memory the trainer does not need. The config cannot set it (schema trainer_args).
        "vllm_enable_sleep_mode": False,
    }


def finish(
    trainer, tokenizer, work: Path, output: str | Path, dtype: str = "bfloat16"
) -> None:
    """Save the trained model with its training log onto the rule's output; drop the work dir.
    Every process calls it (the model is gathered from all of them); the main one writes."""
    log_shards(trainer)
    full = full_state_dict(trainer)
    if not trainer.is_world_process_zero():
        return
    final = work / "final"
    model = trainer.accelerator.unwrap_model(trainer.model)
    save_model(model, tokenizer, final, dtype, state_dict=full)
    write_log_history(trainer.state.log_history, final / "train_log.csv")
    move_into(final, Path(output))
    shutil.rmtree(work)
