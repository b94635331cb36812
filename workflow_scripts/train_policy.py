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
starts both, on one node or several (judgerl/launch.py, judgerl/layout.py).
"""

import json
import logging
import shutil
from pathlib import Path

from judgerl import grpo_batch, launch, runtime, serving, sharding, tracking, training
from judgerl.data import load_rubrics
from judgerl.engines import make_engine
from judgerl.files import read_jsonl
from judgerl.judging import JudgeSettings
from judgerl.layout import Layout
from judgerl.prompts import FORMATS
from judgerl.rewards import (
    GoldOnRollouts,
    JudgeAsReward,
    KLToInitial,
    PairwiseJudgeReward,
)


def main(snakemake):
    runtime.setup(snakemake, seed=snakemake.params.seed)
    log = logging.getLogger("train_policy")

    inference, grpo, monitor = (
        snakemake.params.inference,
        snakemake.params.grpo,
        snakemake.params.monitor,
    )
    settings = snakemake.params.launch
    # TRL's arguments for the paper's batch on this job's trainer processes (judgerl/grpo_batch.py)
    trl = grpo_batch.trl_args(grpo, Layout.of(settings).world_size)
    updates = grpo_batch.updates_per_step(grpo)
    work = Path(snakemake.output.train_log).parent / ".work"
    training.claim_work_dir(work, snakemake)

    def judge_engine(judge_urls):
        if judge_urls:
            from transformers import AutoTokenizer

            tokenizer = AutoTokenizer.from_pretrained(snakemake.input.judge)
            return serving.ServedJudgeEngine(
                judge_urls,
                tokenizer,
                chat_template_kwargs=inference["spec"].get("chat_template_kwargs"),
                max_concurrency=settings["judge_server"].get("max_concurrency", 64),
            )
        return make_engine(
            snakemake.input.judge,
            inference["spec"],
            inference["backend"],
            seed=snakemake.params.seed,
        )

    def check_served(urls):
        """Before RL: a few fixed items scored by the served judge and by its model in
        process (transformers, on this node's first GPU where it has one), compared."""
        server = settings["judge_server"]
        if not server.get("check_items", 4):
            return
        fmt = FORMATS[inference["format"]]
        instructions = [p["instruction"] for p in read_jsonl(snakemake.input.prompts)][
            : server.get("check_items", 4)
        ]
        local = make_engine(
            snakemake.input.judge,
            inference["spec"],
            {"kind": "transformers", "batch_size": len(instructions)},
            seed=snakemake.params.seed,
        )
        judging = JudgeSettings.of(inference)
        serving.check_served_judge(
            judge_engine(urls),
            local,
            serving.check_conversations(
                instructions, fmt, judging.mode, judging.wording
            ),
            judging,
            fmt,
            tolerance=server.get("check_tolerance", 0.15),
        )
        del local
        training.release_memory()

    def gold_on_rollouts():
        gold = snakemake.params.gold
        engine = make_engine(
            snakemake.input.gold[0] if snakemake.input.gold else None,
            gold["spec"],
            gold["backend"],
            seed=snakemake.params.seed,
        )
        return GoldOnRollouts(
            engine,
            JudgeSettings.of(gold),
            every=monitor["gold_every"],
            sample=monitor["gold_sample"],
            updates_per_step=updates,
            seed=snakemake.params.seed,
        )

    def train(launched):
        from datasets import Dataset
        from trl import GRPOConfig, GRPOTrainer

        work.mkdir(parents=True, exist_ok=True)
        # Each trainer process logs its own judge calls (one writer per file); the main process
        # merges them when all have finished. A resumed process drops its rows of redone steps.
        calls_log = training.rank_log(work, "judge_calls", launch.process_rank())
        resume = training.last_checkpoint(work / "trainer")
        training.truncate_jsonl_after(
            calls_log, training.checkpoint_step(resume) // updates
        )

        engine = judge_engine(launched.get("judge_urls"))
        judging = JudgeSettings.of(inference)
        if inference["format"] == "pairwise":
            reward = PairwiseJudgeReward(
                engine,
                judging,
                trl["num_generations"],
                log_path=calls_log,
                updates_per_step=updates,
            )
        else:
            reward = JudgeAsReward(
                engine, judging, log_path=calls_log, updates_per_step=updates
            )

        model, tokenizer = training.load_for_training(snakemake.input.policy)
        rubrics = (
            load_rubrics(snakemake.input.rubrics) if snakemake.input.rubrics else None
        )
        dataset = Dataset.from_list(
            [
                {
                    "prompt": [{"role": "user", "content": p["instruction"]}],
                    "instruction": p["instruction"],
                    "id": p["id"],
                    **({"rubric": rubrics[p["id"]]} if rubrics else {}),
                }
                for p in read_jsonl(snakemake.input.prompts)
            ]
        )

        reward_funcs, weights = [reward], [1.0]
        kl = None
        if monitor["kl_to_initial"]:
            kl = KLToInitial(
                training.load_reference(snakemake.input.policy),
                tokenizer,
                temperature=grpo.get("temperature", 1.0),
                autocast_dtype=training.autocast_dtype(),
                chunk_size=monitor["kl_chunk_size"],
            )
            reward_funcs.append(kl)
            weights.append(0.0)  # logged, never optimised
        if monitor["gold_every"]:
            reward_funcs.append(gold_on_rollouts())
            weights.append(0.0)  # logged, never optimised

        config = GRPOConfig(
            save_strategy="steps",
            reward_weights=weights,
            **training.trainer_args(work, snakemake.params.seed, **trl),
            **training.colocated_vllm_args(trl, tokenizer, dataset["prompt"]),
        )
        export = training.export_callback(
            work / "exports",
            tokenizer,
            updates_per_step=updates,
            every=config.save_steps,
        )
        resume_point = training.resume_callback(settings.get("resume_minutes"))
        trainer = GRPOTrainer(
            model=model,
            reward_funcs=reward_funcs,
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
        # TRL's own reference (beta > 0) is sharded without accelerate's broadcast from rank 0
        sharding.sync_reference(trainer)
        if kl is not None:
            kl.attach(trainer.model, trainer.accelerator.device)
        export.trainer = trainer
        trainer.train(resume_from_checkpoint=resume)
        if isinstance(engine, serving.ServedJudgeEngine):
            log.info(
                "process %d: judge requests answered per server: %s",
                launch.process_rank(),
                json.dumps(engine.requests),
            )
        trainer.accelerator.wait_for_everyone()  # every process's calls are written
        if not trainer.is_world_process_zero():
            return
        for target in snakemake.output.checkpoints:
            exported = work / "exports" / Path(target).name
            if not exported.is_dir():
                raise RuntimeError(
                    f"the trainer never saved {Path(target).name}; check save_steps and max_steps"
                )
            training.move_into(exported, Path(target))
        training.write_log_history(
            trainer.state.log_history, snakemake.output.train_log, updates
        )
        training.warn_without_signal(trainer.state.log_history, log)
        rows = training.merge_rank_logs(
            work, "judge_calls", Path(snakemake.output.judge_calls)
        )
        calls = sum(row.get("kind") != "rollout" for row in rows)  # Eq. 4 logs both
        shutil.rmtree(work)
        log.info(
            "%d judge calls logged by %d process(es)",
            calls,
            trainer.accelerator.num_processes,
        )

    server = settings.get("judge_server")
    serve = (
        serving.ServerSpec.of(
            snakemake.input.judge, server, inference["spec"].get("dtype", "bfloat16")
        )
        if server
        else None
    )
    launch.run(
        snakemake, train, settings, work / "launch", serve=serve, check=check_served
    )


if __name__ == "__main__":
    main(runtime.current_job(globals()))
