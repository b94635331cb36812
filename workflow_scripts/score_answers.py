"""Rule score_answers: a checkpoint's answers scored by one scorer (training judge or gold)."""

import logging
import sys

sys.path.insert(0, snakemake.scriptdir)  # the judgerl library sits beside this script

from judgerl import files, runtime
from judgerl.engines import make_engine
from judgerl.judging import JudgeSettings, judge_pointwise

runtime.setup(snakemake, seed=snakemake.params.seed)
log = logging.getLogger("score_answers")
use = snakemake.params.use

answers = files.read_jsonl(snakemake.input.answers)
model_dir = snakemake.input.model[0] if snakemake.input.model else None
engine = make_engine(model_dir, use["spec"], use["backend"], seed=snakemake.params.seed)
settings = JudgeSettings.from_config(use["mode"], use["sampling"])
verdicts = judge_pointwise(engine, [a["instruction"] for a in answers], [a["answer"] for a in answers], settings)
files.write_jsonl(snakemake.output[0], [{"id": a["id"], "answer": a["answer"], **v} for a, v in zip(answers, verdicts)])
log.info("%d answers scored, %d invalid verdicts", len(answers), sum(not v["valid"] for v in verdicts))
