"""Rule train_judge_grpo: RL of a judge with a verifiable reward (TRL GRPOTrainer).

The judge writes its verdict for gold-labelled training items; the reward is Eq. 1 for pointwise
judges (-1 invalid, else (81 - (s_hat - s)^2) / 81) and Eq. 3 for pairwise ones (-1 invalid, else
1 if the choice matches gold, else 0). Starts from the SFT judge, or from the base model for RL-only
judges. Every saved step is validated (the same reward, greedy verdicts, on the validation split)
and the best one is kept, as the paper chooses its GRPO checkpoint; `selection.json` records the
choice. A killed job resumes from its last TRL checkpoint. The trainer and the choice are
judgerl/judge_trainer.py.
"""

import gc
from functools import partial

from judgerl import judge_trainer, launch, runtime, training


def main(snakemake):
    runtime.setup(snakemake, seed=snakemake.params.seed)
    work = training.work_dir(snakemake.output[0])
    training.claim_work_dir(work, snakemake)
    launch.run(
        snakemake,
        partial(judge_trainer.train_grpo, snakemake, work),
        snakemake.params.launch,
        work / "launch",
    )
    if not launch.is_child():
        gc.collect()
        judge_trainer.choose_grpo_checkpoint(snakemake, work)


if __name__ == "__main__":
    main(runtime.current_job(globals()))
