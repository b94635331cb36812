"""Rule train_policy: GRPO of a policy against a judge (TRL GRPOTrainer).

The reward is the judge's expected score sum_x x p(x) for a pointwise judge (rewards.JudgeAsReward),
or each rollout's round-robin win rate in its group for a pairwise judge (rewards.PairwiseJudgeReward,
Eq. 4). Every judge call is logged (judge_calls.jsonl) so the rewards can be recomputed; the
training log carries the reward, the judge's score distribution and malformed rate, and the sampled
KL from the initial policy. Every `save_steps` a bf16 checkpoint is exported for evaluation; a
killed job resumes from its last TRL checkpoint without repeating finished steps.

Where the judge runs: in process, loaded once and batched over the whole GRPO batch (the CPU
default); or, with `launch.train_policy.judge_server`, `vllm serve` of the judge on GPUs of its own
(beside the trainer, or on nodes of its own, one server per tensor-parallel group), started before
the trainer and stopped after it; the reward spreads its calls over the servers. launch.run
starts both, on one node or several (judgerl/launch.py, judgerl/layout.py); the trainer of each
process is judgerl/policy_trainer.py.
"""

from functools import partial

from judgerl import launch, policy_trainer, runtime, training


def main(snakemake):
    runtime.setup(snakemake, seed=snakemake.params.seed)
    work = policy_trainer.work_dir(snakemake)
    training.claim_work_dir(work, snakemake)
    launch.run(
        snakemake,
        partial(policy_trainer.train, snakemake, work),
        snakemake.params.launch,
        work / "launch",
        serve=policy_trainer.judge_server_spec(snakemake),
        check=partial(policy_trainer.check_served_judge, snakemake),
    )


if __name__ == "__main__":
    main(runtime.current_job(globals()))
