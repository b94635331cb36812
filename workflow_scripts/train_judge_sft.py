"""Rule train_judge_sft: SFT of a judge on gold verdicts (TRL SFTTrainer).

Non-reasoning judges learn to write the verdict line ("Score: N", or "Better: N" for pairwise
judges); reasoning judges learn the gold reasoning trace, then the verdict. Rubric judges see the
instruction's rubric in their prompt. The checkpoint with the lowest validation loss is kept.
Several GPUs: the script runs under `accelerate launch` (launch.run, config `launch`). A killed
job resumes from its last TRL checkpoint in `<output>.work/`. The trainer is
judgerl/judge_trainer.py.
"""

from functools import partial

from judgerl import judge_trainer, launch, runtime, training


def main(snakemake):
    runtime.setup(snakemake, seed=snakemake.params.seed)
    work = training.work_dir(snakemake.output[0])
    training.claim_work_dir(work, snakemake)
    launch.run(
        snakemake,
        partial(judge_trainer.train_sft, snakemake, work),
        snakemake.params.launch,
        work / "launch",
    )


if __name__ == "__main__":
    main(runtime.current_job(globals()))
