"""Rule train_judge_grpo: RL of a judge with the verifiable reward of Eq. 1 (TRL GRPOTrainer).

The judge writes its verdict for gold-labelled training items; the reward is -1 for an invalid
verdict, else (81 - (s_hat - s)^2) / 81. Starts from the SFT judge, or from the base model for
RL-only judges. A killed job resumes from its last TRL checkpoint.
"""

import logging
import shutil
import sys
from pathlib import Path

sys.path.insert(0, snakemake.scriptdir)  # the judgerl library sits beside this script

from judgerl import files, runtime, training
from judgerl.prompts import pointwise_messages, render
from judgerl.rewards import JudgeAccuracyReward

runtime.setup(snakemake, seed=snakemake.params.seed)
log = logging.getLogger("train_judge_grpo")

from datasets import Dataset
from trl import GRPOConfig, GRPOTrainer

judge = snakemake.params.judge
mode = judge["mode"]
template_kwargs = (judge["base_spec"].get("chat_template_kwargs") or {}).get(mode, {})
model, tokenizer = training.load_for_training(snakemake.input.start)

rows = [r for r in files.read_jsonl(snakemake.input.train) if r["valid"]]
dataset = Dataset.from_list([
    {
        "prompt": render(tokenizer, pointwise_messages(r["instruction"], r["response"], mode), mode, template_kwargs),
        "gold_score": r["score"],
    }
    for r in rows
])
log.info("%d gold-labelled prompts", len(dataset))

work = training.work_dir(snakemake.output[0])
args = GRPOConfig(
    output_dir=str(work / "trainer"),
    seed=snakemake.params.seed,
    report_to="none",
    logging_steps=1,
    save_strategy="steps",
    save_total_limit=1,
    **training.device_args(),
    **judge["args"],
)
trainer = GRPOTrainer(model=model, reward_funcs=[JudgeAccuracyReward(mode)], args=args, train_dataset=dataset,
                      processing_class=tokenizer)
trainer.train(resume_from_checkpoint=training.last_checkpoint(work / "trainer"))

final = work / "final"
training.save_model(trainer.model, tokenizer, final, judge["base_spec"].get("dtype", "bfloat16"))
training.write_log_history(trainer.state.log_history, final / "train_log.csv")
training.move_into(final, Path(snakemake.output[0]))
shutil.rmtree(work)
