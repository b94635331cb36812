"""Rule train_judge_grpo: RL of a judge with the verifiable reward of Eq. 1 (TRL GRPOTrainer).

The judge writes its verdict for gold-labelled training items; the reward is -1 for an invalid
verdict, else (81 - (s_hat - s)^2) / 81. Starts from the SFT judge, or from the base model for
RL-only judges. A killed job resumes from its last TRL checkpoint.
"""

import logging
import sys

sys.path.insert(0, snakemake.scriptdir)  # the judgerl library sits beside this script

from judgerl import files, runtime, training
from judgerl.prompts import judge_prompt
from judgerl.rewards import JudgeAccuracyReward

runtime.setup(snakemake, seed=snakemake.params.seed)
log = logging.getLogger("train_judge_grpo")

from datasets import Dataset
from trl import GRPOConfig, GRPOTrainer

judge = snakemake.params.judge
mode, spec = judge["mode"], judge["base_spec"]
model, tokenizer = training.load_for_training(snakemake.input.start)

rows = [r for r in files.read_jsonl(snakemake.input.train) if r["valid"]]
dataset = Dataset.from_list([
    {"prompt": judge_prompt(tokenizer, r["instruction"], r["response"], mode, spec), "gold_score": r["score"]}
    for r in rows
])
log.info("%d gold-labelled prompts", len(dataset))

work = training.work_dir(snakemake.output[0])
config = GRPOConfig(save_strategy="steps", **training.trainer_args(work, snakemake.params.seed, **judge["args"]))
trainer = GRPOTrainer(model=model, reward_funcs=[JudgeAccuracyReward(mode)], args=config, train_dataset=dataset,
                      processing_class=tokenizer)
trainer.train(resume_from_checkpoint=training.last_checkpoint(work / "trainer"))
training.finish(trainer, tokenizer, work, snakemake.output[0], spec.get("dtype", "bfloat16"))
