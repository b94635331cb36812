"""Training a judge (rules train_judge_sft and train_judge_grpo): its prompt dataset, the SFT
and GRPO trainer of one process, and the choice of the GRPO checkpoint.

Both trainers see the same rendered judge prompt of every valid gold verdict (`judge_dataset`);
SFT trains on the verdict text that follows it, GRPO on a reward against its gold label. The
`train_*` functions are what launch.run calls on every trainer process; `snakemake` is the
rule's job (or its stand-in rebuilt in a launched process).
"""

from __future__ import annotations

import gc
import logging
import shutil
from pathlib import Path

from judgerl import agreement, files, grpo_batch, launch, sharding, training
from judgerl.data import gold_examples
from judgerl.engines import make_engine
from judgerl.grpo_batch import StepUnits
from judgerl.judging import JudgeSettings, judge_examples
from judgerl.layout import Layout
from judgerl.prompts import FORMATS, judge_prompt, verdict_completion
from judgerl.rewards import JudgeAccuracyReward

log = logging.getLogger(__name__)


def sft_target(example: dict, judge: dict) -> dict:
    """SFT's column: the verdict text the judge learns to write after its prompt."""
    fmt = FORMATS[judge["format"]]
    return {
        "completion": verdict_completion(
            example["label"], judge["mode"], example["reasoning"], fmt
        )
    }


def grpo_target(example: dict, judge: dict) -> dict:
    """GRPO's columns: the gold label the reward compares with, and the item's key (its log)."""
    return {"gold_label": example["label"], "item": example["key"]}


def judge_dataset(examples: list[dict], tokenizer, judge: dict, target):
    """A judge's training dataset: per gold example (data.gold_examples), the judge's rendered
    prompt and the columns of `target` (sft_target, grpo_target). `judge` is the config's
    training section of the judge (mode, base_spec, format, wording)."""
    from datasets import Dataset

    fmt = FORMATS[judge["format"]]
    return Dataset.from_list(
        [
            {
                "prompt": judge_prompt(
                    tokenizer,
                    judge["mode"],
                    judge["base_spec"],
                    e["instruction"],
                    e["responses"],
                    e["rubric"],
                    fmt,
                    judge["wording"],
                ),
                **target(e, judge),
            }
            for e in examples
        ]
    )


def sft_examples(path, judge: dict, rubrics: dict | None) -> list[dict]:
    """The valid gold verdicts of `path` to train on; none at all is an error."""
    kept = gold_examples(path, FORMATS[judge["format"]].name, rubrics)
    log.info("%s: %d valid gold verdicts", path, len(kept))
    if not kept:
        raise ValueError(f"{path} holds no valid gold verdict to train on")
    return kept


def sft_schedule(args: dict) -> dict:
    """Checkpoints (for resume) and validation (to pick the best) go together: every
    `save_steps` when it is set, which a long paper-scale epoch needs, else once per epoch."""
    if "save_steps" in args:
        return {
            "eval_strategy": "steps",
            "save_strategy": "steps",
            "eval_steps": args["save_steps"],
        }
    return {"eval_strategy": "epoch", "save_strategy": "epoch"}


def train_sft(snakemake, work: Path, launched: dict) -> None:
    """SFT of the judge on this process; the best checkpoint by validation loss becomes the
    rule's output."""
    from trl import SFTConfig, SFTTrainer

    judge = snakemake.params.training
    rubrics = training.job_rubrics(snakemake)
    model, tokenizer = training.load_for_training(snakemake.input.base)
    args = dict(judge["args"])
    config = SFTConfig(
        load_best_model_at_end=True,  # the validation split picks the checkpoint
        metric_for_best_model="eval_loss",
        completion_only_loss=True,
        **sft_schedule(args),
        **training.trainer_args(work, snakemake.params.seed, **args),
    )
    trainer = SFTTrainer(
        model=model,
        args=config,
        train_dataset=judge_dataset(
            sft_examples(snakemake.input.train, judge, rubrics),
            tokenizer,
            judge,
            sft_target,
        ),
        eval_dataset=judge_dataset(
            sft_examples(snakemake.input.val, judge, rubrics),
            tokenizer,
            judge,
            sft_target,
        ),
        processing_class=tokenizer,
        callbacks=training.job_callbacks(snakemake, launched, work),
    )
    trainer.train(resume_from_checkpoint=training.last_checkpoint(work / "trainer"))
    log.info("best checkpoint: %s", trainer.state.best_model_checkpoint)
    training.finish(
        trainer,
        tokenizer,
        work,
        snakemake.output[0],
        judge["base_spec"].get("dtype", "bfloat16"),
    )


def grpo_dataset(snakemake, tokenizer):
    """Judge GRPO's prompts: every valid gold verdict of the training split, without those
    longer than the config's max_prompt_length."""
    judge = snakemake.params.training
    examples = gold_examples(
        snakemake.input.train,
        FORMATS[judge["format"]].name,
        training.job_rubrics(snakemake),
    )
    dataset = judge_dataset(examples, tokenizer, judge, grpo_target)
    dataset = training.cap_prompts(
        dataset, tokenizer, judge["args"].get("max_prompt_length")
    )
    log.info("%d gold-labelled prompts", len(dataset))
    return dataset


def train_grpo(snakemake, work: Path, launched: dict) -> None:
    """GRPO of the judge on this process; every `save_steps` an export under
    `<work>/exports` for choose_grpo_checkpoint."""
    from trl import GRPOConfig, GRPOTrainer

    judge = snakemake.params.training
    exports = work / "exports"
    units = StepUnits.of(judge["args"])
    # TRL's arguments for the paper's batch on this job's trainer processes (grpo_batch)
    trl = grpo_batch.trl_args(
        judge["args"], Layout.of(snakemake.params.launch).world_size
    )
    # One rollout log per trainer process (one writer per file), merged when training ends;
    # a resumed run drops the rows of the steps it redoes.
    rollouts = training.rank_log(exports, "rollouts", launch.process_rank())
    exports.mkdir(parents=True, exist_ok=True)
    resume = training.last_checkpoint(work / "trainer")
    training.truncate_jsonl_after(
        rollouts, units.steps_done(training.checkpoint_step(resume))
    )
    model, tokenizer = training.load_for_training(snakemake.input.start)
    dataset = grpo_dataset(snakemake, tokenizer)
    config = GRPOConfig(
        save_strategy="steps",
        **training.trainer_args(work, snakemake.params.seed, **trl),
        **training.colocated_vllm_args(trl, tokenizer, dataset["prompt"]),
    )
    export = training.export_callback(
        exports, tokenizer, units=units, every=config.save_steps
    )
    fmt = FORMATS[judge["format"]]
    trainer = GRPOTrainer(
        model=model,
        reward_funcs=[
            JudgeAccuracyReward(judge["mode"], fmt, log_path=rollouts, units=units)
        ],
        args=config,
        train_dataset=dataset,
        processing_class=tokenizer,
        callbacks=[
            export,
            *training.job_callbacks(snakemake, launched, work),
        ],
    )
    sharding.sync_reference(trainer)  # a reference of beta > 0, as in policy GRPO
    export.trainer = trainer
    trainer.train(resume_from_checkpoint=resume)
    if trainer.is_world_process_zero():
        training.write_log_history(
            trainer.state.log_history, exports / "train_log.csv", units
        )
        training.warn_without_signal(trainer.state.log_history, log)


def validate(snakemake, path, step: int, val: list[dict]) -> dict:
    """The judge at `path` (GRPO's step `step`) on the validation split: greedy verdicts,
    their agreement with gold and mean reward."""
    inference = snakemake.params.inference
    fmt = FORMATS[snakemake.params.training["format"]]
    engine = make_engine(
        path, inference["spec"], inference["backend"], seed=snakemake.params.seed
    )
    verdicts = judge_examples(engine, val, JudgeSettings.of(inference), fmt)
    measured = agreement.agreement(verdicts, [e["label"] for e in val], fmt)
    log.info("validation of step %d: %s", step, measured)
    del engine
    gc.collect()
    return {"step": step, **measured}


def best_step(results: list[dict]) -> dict:
    """The highest mean validation reward; ties: the earlier step, the less optimised judge."""
    return max(results, key=lambda r: (r["mean_reward"], -r["step"]))


def choose_grpo_checkpoint(snakemake, work: Path) -> None:
    """Every exported step judges the validation split; the best (best_step) becomes the rule's
    output, with its `selection.json`, the training log and the rollouts."""
    import polars as pl

    exports = work / "exports"
    val = gold_examples(
        snakemake.input.val,
        FORMATS[snakemake.params.training["format"]].name,
        training.job_rubrics(snakemake),
    )
    candidates = sorted(
        (p for p in exports.glob("checkpoint-*") if p.is_dir()),
        key=training.checkpoint_step,
    )
    if not candidates:
        raise RuntimeError(
            f"GRPO saved no checkpoint under {exports}; check save_steps and max_steps"
        )
    # The starting judge is validated too, so that the record shows what GRPO gained; the
    # choice is among GRPO's own steps, as the paper's.
    start = validate(snakemake, snakemake.input.start, 0, val)
    results = [
        validate(snakemake, p, training.checkpoint_step(p), val) for p in candidates
    ]
    best = best_step(results)
    chosen = exports / f"checkpoint-{best['step']}"
    history = pl.read_csv(exports / "train_log.csv").to_dicts()
    files.write_json(
        chosen / "selection.json",
        {
            "chosen_step": best["step"],
            "criterion": "mean validation reward",
            "start": start,
            "validation": results,
            "learning_signal": training.has_signal(history),
        },
    )
    (exports / "train_log.csv").rename(chosen / "train_log.csv")
    training.merge_rank_logs(exports, "rollouts", chosen / "rollouts.jsonl")
    log.info("chose step %d", best["step"])
    training.move_into(chosen, Path(snakemake.output[0]))
    shutil.rmtree(work)
