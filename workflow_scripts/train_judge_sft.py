"""Rule train_judge_sft: SFT of a judge on gold verdicts (TRL SFTTrainer).

Non-reasoning judges learn to write "Score: N"; reasoning judges learn the gold reasoning trace,
then the score. The checkpoint with the lowest validation loss is kept. A killed job resumes from
its last TRL checkpoint in `<output>.work/`.
"""

import logging
import sys

sys.path.insert(0, snakemake.scriptdir)  # the judgerl library sits beside this script

from judgerl import files, runtime, training
from judgerl.prompts import judge_prompt, verdict_completion

runtime.setup(snakemake, seed=snakemake.params.seed)
log = logging.getLogger("train_judge_sft")

from datasets import Dataset
from trl import SFTConfig, SFTTrainer

judge = snakemake.params.judge
mode, spec = judge["mode"], judge["base_spec"]
model, tokenizer = training.load_for_training(snakemake.input.base)


def examples(path):
    rows = files.read_jsonl(path)
    kept = [r for r in rows if r["valid"]]
    log.info("%s: %d gold verdicts, %d valid", path, len(rows), len(kept))
    if not kept:
        raise ValueError(f"{path} holds no valid gold verdict to train on")
    return Dataset.from_list([
        {
            "prompt": judge_prompt(tokenizer, r["instruction"], r["response"], mode, spec),
            "completion": verdict_completion(r["score"], mode, r["reasoning"]),
        }
        for r in kept
    ])


work = training.work_dir(snakemake.output[0])
args = dict(judge["args"])
# Checkpoints (for resume) and validation (to pick the best) go together: every `save_steps`
# when it is set, which a long paper-scale epoch needs, else once per epoch.
every = {"eval_strategy": "epoch", "save_strategy": "epoch"}
if "save_steps" in args:
    every = {"eval_strategy": "steps", "save_strategy": "steps", "eval_steps": args["save_steps"]}
config = SFTConfig(
    load_best_model_at_end=True,  # the validation split picks the checkpoint
    metric_for_best_model="eval_loss",
    completion_only_loss=True,
    **every,
    **training.trainer_args(work, snakemake.params.seed, **args),
)
trainer = SFTTrainer(model=model, args=config, train_dataset=examples(snakemake.input.train),
                     eval_dataset=examples(snakemake.input.val), processing_class=tokenizer)
trainer.train(resume_from_checkpoint=training.last_checkpoint(work / "trainer"))
log.info("best checkpoint: %s", trainer.state.best_model_checkpoint)
training.finish(trainer, tokenizer, work, snakemake.output[0], spec.get("dtype", "bfloat16"))
