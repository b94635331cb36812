"""Rule evaluate_judge: a judge's verdicts on the test split, and its agreement with gold.

Pointwise judges: Krippendorff's alpha (interval) between the judge's score and the gold score, an
invalid verdict counting as a missing rating, and alpha of the expected score as a second view.
Pairwise judges: accuracy against the gold choice, an invalid verdict counting as wrong. Both: the
malformed rate and the mean number of thinking tokens.
"""

import logging
import sys

sys.path.insert(0, snakemake.scriptdir)  # the judgerl library sits beside this script

from judgerl import agreement, files, runtime
from judgerl.data import gold_examples, load_rubrics
from judgerl.engines import make_engine
from judgerl.judging import JudgeSettings, judge_examples
from judgerl.prompts import FORMATS

runtime.setup(snakemake, seed=snakemake.params.seed)
log = logging.getLogger("evaluate_judge")
use = snakemake.params.use
fmt = FORMATS[use["format"]]

rubrics = load_rubrics(snakemake.input.rubrics) if snakemake.input.rubrics else None
test = gold_examples(snakemake.input.test, fmt.name, rubrics)
engine = make_engine(snakemake.input.model, use["spec"], use["backend"], seed=snakemake.params.seed)
verdicts = judge_examples(engine, test, JudgeSettings.from_config(use["mode"], use["sampling"]), fmt)

rows = [{"key": e["key"], "id": e["id"], "gold_label": e["label"], **v} for e, v in zip(test, verdicts)]
files.write_jsonl(snakemake.output.verdicts, rows)
measured = {"judge": snakemake.wildcards.judge, "mode": use["mode"],
            **agreement.agreement(verdicts, [e["label"] for e in test], fmt)}
files.write_json(snakemake.output.agreement, measured)
log.info("%s", measured)
