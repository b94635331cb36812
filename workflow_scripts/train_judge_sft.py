"""Rule train_judge_sft: SFT of a judge on gold verdicts (TRL SFTTrainer).

Non-reasoning judges learn to write "Score: N"; reasoning judges learn the gold reasoning trace,
then the score. The epoch with the lowest validation loss is kept. A killed job resumes from its
last TRL checkpoint in `<output>.work/`.
"""

import logging
import shutil
import sys
from pathlib import Path

sys.path.insert(0, snakemake.scriptdir)  # the judgerl library sits beside this script

from judgerl import files, runtime, training
from judgerl.prompts import pointwise_messages, render, verdict_completion

runtime.setup(snakemake, seed=snakemake.params.seed)
log = logging.getLogger("train_judge_sft")

from datasets import Dataset
from trl import SFTConfig, SFTTrainer

judge = snakemake.params.judge
mode = judge["mode"]
template_kwargs = (judge["base_spec"].get("chat_template_kwargs") or {}).get(mode, {})
model, tokenizer = training.load_for_training(snakemake.input.base)


def examples(path):
    rows = files.read_jsonl(path)
    kept = [r for r in rows if r["valid"]]
    log.info("%s: %d gold verdicts, %d valid", path, len(rows), len(kept))
    if not kept:
        raise ValueError(f"{path} holds no valid gold verdict to train on")
    return Dataset.from_list([
        {
            "prompt": render(tokenizer, pointwise_messages(r["instruction"], r["response"], mode), mode, template_kwargs),
            "completion": verdict_completion(r["score"], mode, r["reasoning"]),
        }
        for r in kept
    ])


work = training.work_dir(snakemake.output[0])
trainer_args = dict(judge["args"])
# Checkpoints (for resume) and validation (to pick the best) go together: every `save_steps`
# when it is set, which a long paper-scale epoch needs, else once per epoch.
every = {"eval_strategy": "epoch", "save_strategy": "epoch"}
if "save_steps" in trainer_args:
    every = {"eval_strategy": "steps", "save_strategy": "steps", "eval_steps": trainer_args["save_steps"]}
args = SFTConfig(
    output_dir=str(work / "trainer"),
    seed=snakemake.params.seed,
    report_to="none",
    logging_steps=1,
    save_total_limit=1,
    **every,
    load_best_model_at_end=True,  # the validation split picks the epoch
    metric_for_best_model="eval_loss",
    completion_only_loss=True,
    **training.device_args(),
    **trainer_args,
)
trainer = SFTTrainer(model=model, args=args, train_dataset=examples(snakemake.input.train),
                     eval_dataset=examples(snakemake.input.val), processing_class=tokenizer)
trainer.train(resume_from_checkpoint=training.last_checkpoint(work / "trainer"))

final = work / "final"
training.save_model(trainer.model, tokenizer, final, judge["base_spec"].get("dtype", "bfloat16"))
training.write_log_history(trainer.state.log_history, final / "train_log.csv")
training.move_into(final, Path(snakemake.output[0]))
shutil.rmtree(work)
log.info("best checkpoint: %s", trainer.state.best_model_checkpoint)
