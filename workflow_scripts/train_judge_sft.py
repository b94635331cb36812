"""Rule train_judge_sft: SFT of a judge on gold verdicts (TRL SFTTrainer).

Non-reasoning judges learn to write the verdict line ("Score: N", or "Better: N" for pairwise
judges); reasoning judges learn the gold reasoning trace, then the verdict. Rubric judges see the
instruction's rubric in their prompt. The checkpoint with the lowest validation loss is kept.
Several GPUs: the script runs under `accelerate launch` (launch.run, config `launch`). A killed job resumes from
its last TRL checkpoint in `<output>.work/`.
"""

import logging

from judgerl import launch, runtime, tracking, training
from judgerl.data import gold_examples, load_rubrics
from judgerl.prompts import FORMATS, judge_prompt, verdict_completion


def main(snakemake):
    runtime.setup(snakemake, seed=snakemake.params.seed)
    log = logging.getLogger("train_judge_sft")

    from datasets import Dataset
    from trl import SFTConfig, SFTTrainer

    judge = snakemake.params.training
    mode, spec, fmt = judge["mode"], judge["base_spec"], FORMATS[judge["format"]]
    rubrics = load_rubrics(snakemake.input.rubrics) if snakemake.input.rubrics else None

    def examples(path, tokenizer):
        kept = gold_examples(path, fmt.name, rubrics)
        log.info("%s: %d valid gold verdicts", path, len(kept))
        if not kept:
            raise ValueError(f"{path} holds no valid gold verdict to train on")
        return Dataset.from_list(
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
                    "completion": verdict_completion(
                        e["label"], mode, e["reasoning"], fmt
                    ),
                }
                for e in kept
            ]
        )

    work = training.work_dir(snakemake.output[0])
    training.claim_work_dir(work, snakemake)

    def train(launched):
        model, tokenizer = training.load_for_training(snakemake.input.base)
        args = dict(judge["args"])
        # Checkpoints (for resume) and validation (to pick the best) go together: every `save_steps`
        # when it is set, which a long paper-scale epoch needs, else once per epoch.
        every = {"eval_strategy": "epoch", "save_strategy": "epoch"}
        if "save_steps" in args:
            every = {
                "eval_strategy": "steps",
                "save_strategy": "steps",
                "eval_steps": args["save_steps"],
            }
        config = SFTConfig(
            load_best_model_at_end=True,  # the validation split picks the checkpoint
            metric_for_best_model="eval_loss",
            completion_only_loss=True,
            **every,
            **training.trainer_args(work, snakemake.params.seed, **args),
        )
        trainer = SFTTrainer(
            model=model,
            args=config,
            train_dataset=examples(snakemake.input.train, tokenizer),
            eval_dataset=examples(snakemake.input.val, tokenizer),
            processing_class=tokenizer,
            callbacks=[
                training.resume_callback(snakemake.params.launch.get("resume_minutes")),
                training.progress_callback(),
                *tracking.for_job(snakemake, launched, work),
            ],
        )
        trainer.train(resume_from_checkpoint=training.last_checkpoint(work / "trainer"))
        log.info("best checkpoint: %s", trainer.state.best_model_checkpoint)
        training.finish(
            trainer, tokenizer, work, snakemake.output[0], spec.get("dtype", "bfloat16")
        )

    launch.run(snakemake, train, snakemake.params.launch, work / "launch")


if __name__ == "__main__":
    main(runtime.current_job(globals()))
