"""GRPO of a policy against a judge (rule train_policy): the judge as reward, the monitors
beside it, the trainer of one process, and what the main process keeps when it ends.

The judge runs in process (engines.make_engine) or as `vllm serve` (serving.ServedJudgeEngine,
config `launch.train_policy.judge_server`), which launch.run starts before the trainer and
checks against the same model in process (`check_served_judge`). `train` is what launch.run
calls on every trainer process; `snakemake` is the rule's job (or its stand-in rebuilt in a
launched process).
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

from judgerl import grpo_batch, launch, serving, sharding, training
from judgerl.engines import make_engine
from judgerl.files import read_jsonl
from judgerl.grpo_batch import StepUnits
from judgerl.judging import JudgeSettings
from judgerl.layout import Layout
from judgerl.prompts import FORMATS
from judgerl.rewards import (
    GoldOnRollouts,
    JudgeAsReward,
    KLToInitial,
    PairwiseJudgeReward,
)

log = logging.getLogger(__name__)


def work_dir(snakemake) -> Path:
    """Where the trainer works (TRL checkpoints, exports, per-process logs) until it ends."""
    return Path(snakemake.output.train_log).parent / ".work"


def judge_server_spec(snakemake) -> serving.ServerSpec | None:
    """The judge's `vllm serve` (config launch.train_policy.judge_server), or None: in process."""
    server = snakemake.params.launch.get("judge_server")
    if not server:
        return None
    inference = snakemake.params.inference
    return serving.ServerSpec.of(
        snakemake.input.judge, server, inference["spec"].get("dtype", "bfloat16")
    )


def judge_engine(snakemake, judge_urls: list[str] | None):
    """The training judge: a client of its servers at `judge_urls`, or the model in process."""
    inference = snakemake.params.inference
    if judge_urls:
        from transformers import AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(snakemake.input.judge)
        return serving.ServedJudgeEngine(
            judge_urls,
            tokenizer,
            chat_template_kwargs=inference["spec"].get("chat_template_kwargs"),
            max_concurrency=snakemake.params.launch["judge_server"].get(
                "max_concurrency", 64
            ),
        )
    return make_engine(
        snakemake.input.judge,
        inference["spec"],
        inference["backend"],
        seed=snakemake.params.seed,
    )


def check_served_judge(snakemake, urls: list[str]) -> None:
    """Before RL: a few fixed items scored by the served judge and by its model in process
    (transformers, on this node's first GPU where it has one), compared."""
    server = snakemake.params.launch["judge_server"]
    items = server.get("check_items", 4)
    if not items:
        return
    inference = snakemake.params.inference
    fmt = FORMATS[inference["format"]]
    instructions = [p["instruction"] for p in read_jsonl(snakemake.input.prompts)][
        :items
    ]
    local = make_engine(
        snakemake.input.judge,
        inference["spec"],
        {"kind": "transformers", "batch_size": len(instructions)},
        seed=snakemake.params.seed,
    )
    judging = JudgeSettings.of(inference)
    serving.check_served_judge(
        judge_engine(snakemake, urls),
        local,
        serving.check_conversations(instructions, fmt, judging.mode, judging.wording),
        judging,
        fmt,
        tolerance=server.get("check_tolerance", 0.15),
    )
    del local
    training.release_memory()


def judge_reward(snakemake, engine, group_size: int, calls_log: Path, units):
    """The optimised reward: Eq. 4's win rate for a pairwise judge, else the expected score."""
    inference = snakemake.params.inference
    judging = JudgeSettings.of(inference)
    if inference["format"] == "pairwise":
        return PairwiseJudgeReward(
            engine, judging, group_size, log_path=calls_log, units=units
        )
    return JudgeAsReward(engine, judging, log_path=calls_log, units=units)


def gold_on_rollouts(snakemake, units: StepUnits) -> GoldOnRollouts:
    """The gold judge's score of the training rollouts (config monitor.gold_every)."""
    gold, monitor = snakemake.params.gold, snakemake.params.monitor
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
        units=units,
        seed=snakemake.params.seed,
    )


def monitors(snakemake, tokenizer, units: StepUnits) -> tuple[KLToInitial | None, list]:
    """The monitors registered as rewards of weight 0 (logged, never optimised): the KL to
    the initial policy and the gold on the rollouts, each where the config asks for it."""
    monitor = snakemake.params.monitor
    kl, others = None, []
    if monitor["kl_to_initial"]:
        kl = KLToInitial(
            training.load_reference(snakemake.input.policy),
            tokenizer,
            temperature=snakemake.params.grpo.get("temperature", 1.0),
            autocast_dtype=training.autocast_dtype(),
            chunk_size=monitor["kl_chunk_size"],
        )
        others.append(kl)
    if monitor["gold_every"]:
        others.append(gold_on_rollouts(snakemake, units))
    return kl, others


def prompt_dataset(snakemake):
    """The policy's training prompts as a conversation each, with the id and instruction the
    judge needs, and the rubric where the judge reads one."""
    from datasets import Dataset

    rubrics = training.job_rubrics(snakemake)
    return Dataset.from_list(
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


def train(snakemake, work: Path, launched: dict) -> None:
    """GRPO of the policy on this process; the main process then keeps the results (`keep`)."""
    from trl import GRPOConfig, GRPOTrainer

    grpo = snakemake.params.grpo
    units = StepUnits.of(grpo)
    # TRL's arguments for the paper's batch on this job's trainer processes (grpo_batch)
    trl = grpo_batch.trl_args(grpo, Layout.of(snakemake.params.launch).world_size)
    work.mkdir(parents=True, exist_ok=True)
    # Each trainer process logs its own judge calls (one writer per file); the main process
    # merges them when all have finished. A resumed process drops its rows of redone steps.
    calls_log = training.rank_log(work, "judge_calls", launch.process_rank())
    resume = training.last_checkpoint(work / "trainer")
    training.truncate_jsonl_after(
        calls_log, units.steps_done(training.checkpoint_step(resume))
    )
    engine = judge_engine(snakemake, launched.get("judge_urls"))
    reward = judge_reward(snakemake, engine, trl["num_generations"], calls_log, units)
    model, tokenizer = training.load_for_training(snakemake.input.policy)
    dataset = prompt_dataset(snakemake)
    kl, logged = monitors(snakemake, tokenizer, units)
    config = GRPOConfig(
        save_strategy="steps",
        reward_weights=[1.0] + [0.0] * len(logged),
        **training.trainer_args(work, snakemake.params.seed, **trl),
        **training.colocated_vllm_args(trl, tokenizer, dataset["prompt"]),
    )
    export = training.export_callback(
        work / "exports", tokenizer, units=units, every=config.save_steps
    )
    trainer = GRPOTrainer(
        model=model,
        reward_funcs=[reward, *logged],
        args=config,
        train_dataset=dataset,
        processing_class=tokenizer,
        callbacks=[
            export,
            *training.job_callbacks(snakemake, launched, work),
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
    if trainer.is_world_process_zero():
        keep(snakemake, trainer, work, units)


def keep(snakemake, trainer, work: Path, units: StepUnits) -> None:
    """On the main process once every process has finished: the exported checkpoints, the
    training log and the merged judge calls onto the rule's outputs; the work folder goes."""
    for target in snakemake.output.checkpoints:
        exported = work / "exports" / Path(target).name
        if not exported.is_dir():
            raise RuntimeError(
                f"the trainer never saved {Path(target).name}; check save_steps and max_steps"
            )
        training.move_into(exported, Path(target))
    history = trainer.state.log_history
    training.write_log_history(history, snakemake.output.train_log, units)
    training.warn_without_signal(history, log)
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
