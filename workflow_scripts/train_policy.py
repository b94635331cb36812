"""Rule train_policy: GRPO of a policy against a judge (TRL GRPOTrainer).

The reward is the judge's expected score sum_x x p(x) (rewards.JudgeAsReward), the judge loaded
once and batched over the whole GRPO batch. Every judge call is logged (judge_calls.jsonl) so the
rewards can be recomputed. Every `save_steps` a bf16 checkpoint is exported for evaluation; a
killed job resumes from its last TRL checkpoint without repeating finished steps.
"""

import logging
import shutil
import sys
from pathlib import Path

sys.path.insert(0, snakemake.scriptdir)  # the judgerl library sits beside this script

from judgerl import files, runtime, training
from judgerl.engines import make_engine
from judgerl.judging import JudgeSettings
from judgerl.rewards import JudgeAsReward

runtime.setup(snakemake, seed=snakemake.params.seed)
log = logging.getLogger("train_policy")

from datasets import Dataset
from trl import GRPOConfig, GRPOTrainer

use = snakemake.params.judge
grpo = snakemake.params.grpo
work = Path(snakemake.output.train_log).parent / ".work"
work.mkdir(parents=True, exist_ok=True)
calls_log = work / "judge_calls.jsonl"

resume = training.last_checkpoint(work / "trainer")
training.truncate_jsonl_after(calls_log, training.checkpoint_step(resume))

engine = make_engine(snakemake.input.judge, use["spec"], use["backend"], seed=snakemake.params.seed)
reward = JudgeAsReward(engine, JudgeSettings.from_config(use["mode"], use["sampling"]), log_path=calls_log)

model, tokenizer = training.load_for_training(snakemake.input.policy)
prompts = files.read_jsonl(snakemake.input.prompts)
dataset = Dataset.from_list([
    {"prompt": [{"role": "user", "content": p["instruction"]}], "instruction": p["instruction"], "id": p["id"]}
    for p in prompts
])

config = GRPOConfig(save_strategy="steps", **training.trainer_args(work, snakemake.params.seed, **grpo))
trainer = GRPOTrainer(model=model, reward_funcs=[reward], args=config, train_dataset=dataset, processing_class=tokenizer,
                      callbacks=[training.export_callback(work / "exports", tokenizer)])
trainer.train(resume_from_checkpoint=resume)

for target in snakemake.output.checkpoints:
    exported = work / "exports" / Path(target).name
    if not exported.is_dir():
        raise RuntimeError(f"the trainer never saved {Path(target).name}; check save_steps and max_steps")
    training.move_into(exported, Path(target))
training.write_log_history(trainer.state.log_history, snakemake.output.train_log)
training.move_into(calls_log, Path(snakemake.output.judge_calls))
shutil.rmtree(work)
log.info("%d judge calls", reward.calls)
