"""Rule train_judge_grpo: RL of a judge with a verifiable reward (TRL GRPOTrainer).

The judge writes its verdict for gold-labelled training items; the reward is Eq. 1 for pointwise
judges (-1 invalid, else (81 - (s_hat - s)^2) / 81) and Eq. 3 for pairwise ones (-1 invalid, else
1 if the choice matches gold, else 0). Starts from the SFT judge, or from the base model for RL-only
judges. Every saved step is validated (the same reward, greedy verdicts, on the validation split)
and the best one is kept, as the paper chooses its GRPO checkpoint; `selection.json` records the
choice. A killed job resumes from its last TRL checkpoint.
"""

import gc
import logging
import shutil
from pathlib import Path

import polars as pl

from judgerl import (
    agreement,
    files,
    grpo_batch,
    launch,
    runtime,
    sharding,
    tracking,
    training,
)
from judgerl.data import gold_examples, load_rubrics
from judgerl.engines import make_engine
from judgerl.judging import JudgeSettings, judge_examples
from judgerl.layout import Layout
from judgerl.prompts import FORMATS, judge_prompt
from judgerl.rewards import JudgeAccuracyReward


def main(snakemake):
    runtime.setup(snakemake, seed=snakemake.params.seed)
    log = logging.getLogger("train_judge_grpo")

    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    judge, inference = snakemake.params.training, snakemake.params.inference
    mode, spec, fmt = judge["mode"], judge["base_spec"], FORMATS[judge["format"]]
    rubrics = load_rubrics(snakemake.input.rubrics) if snakemake.input.rubrics else None
    work = training.work_dir(snakemake.output[0])
    training.claim_work_dir(work, snakemake)
    exports = work / "exports"
    # TRL's arguments for the paper's batch on this job's trainer processes (judgerl/grpo_batch.py)
    trl = grpo_batch.trl_args(
        judge["args"], Layout.of(snakemake.params.launch).world_size
    )
    updates = grpo_batch.updates_per_step(judge["args"])

    def train(launched):
        # One rollout log per trainer process (one writer per file), merged when training ends;
        # a resumed run drops the rows of the steps it redoes.
        rollouts = training.rank_log(exports, "rollouts", launch.process_rank())
        exports.mkdir(parents=True, exist_ok=True)
        resume = training.last_checkpoint(work / "trainer")
        training.truncate_jsonl_after(
            rollouts, training.checkpoint_step(resume) // updates
        )
        model, tokenizer = training.load_for_training(snakemake.input.start)
        dataset = Dataset.from_list(
            [
                {
                    "prompt": judge_prompt(
                        tokenizer,
                        mode,
                        spec,
                        e["instruction"],
                        e["responses"],
                        e["rubric"],
                        fmt,
                        judge["wording"],
                    ),
                    "gold_label": e["label"],
                    "item": e["key"],
                }
                for e in gold_examples(snakemake.input.train, fmt.name, rubrics)
            ]
        )
        dataset = training.cap_prompts(
            dataset, tokenizer, judge["args"].get("max_prompt_length")
        )
        log.info("%d gold-labelled prompts", len(dataset))
        config = GRPOConfig(
            save_strategy="steps",
            **training.trainer_args(work, snakemake.params.seed, **trl),
            **training.colocated_vllm_args(trl, tokenizer, dataset["prompt"]),
        )
        export = training.export_callback(
            exports, tokenizer, updates_per_step=updates, every=config.save_steps
        )
        resume_point = training.resume_callback(
            snakemake.params.launch.get("resume_minutes")
        )
        trainer = GRPOTrainer(
            model=model,
            reward_funcs=[
                JudgeAccuracyReward(
                    mode, fmt, log_path=rollouts, updates_per_step=updates
                )
            ],
            args=config,
            train_dataset=dataset,
            processing_class=tokenizer,
            callbacks=[
                export,
                resume_point,
                training.progress_callback(),
                *tracking.for_job(snakemake, launched, work),
            ],
        )
        sharding.sync_reference(trainer)  # a reference of beta > 0, as in train_policy
        export.trainer = trainer
        trainer.train(resume_from_checkpoint=resume)
        if trainer.is_world_process_zero():
            training.write_log_history(
                trainer.state.log_history, exports / "train_log.csv", updates
            )
            training.warn_without_signal(trainer.state.log_history, log)

    def choose_checkpoint():
        """Every exported step judges the validation split; the highest mean reward wins (ties: the
        earlier step, the less optimised judge)."""
        val = gold_examples(snakemake.input.val, fmt.name, rubrics)
        settings = JudgeSettings.of(inference)
        candidates = sorted(
            (p for p in exports.glob("checkpoint-*") if p.is_dir()),
            key=training.checkpoint_step,
        )
        if not candidates:
            raise RuntimeError(
                f"GRPO saved no checkpoint under {exports}; check save_steps and max_steps"
            )

        def validate(path, step):
            engine = make_engine(
                path,
                inference["spec"],
                inference["backend"],
                seed=snakemake.params.seed,
            )
            verdicts = judge_examples(engine, val, settings, fmt)
            measured = agreement.agreement(verdicts, [e["label"] for e in val], fmt)
            log.info("validation of step %d: %s", step, measured)
            del engine
            gc.collect()
            return {"step": step, **measured}

        # The starting judge is validated too, so that the record shows what GRPO gained; the
        # choice is among GRPO's own steps, as the paper's.
        start = validate(snakemake.input.start, 0)
        results = [validate(p, training.checkpoint_step(p)) for p in candidates]
        best = max(results, key=lambda r: (r["mean_reward"], -r["step"]))
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

    launch.run(
        snakemake,
        train,
        snakemake.params.launch,
        work / "launch",
    )
    if not launch.is_child():
        gc.collect()
        choose_checkpoint()


if __name__ == "__main__":
    main(runtime.current_job(globals()))
