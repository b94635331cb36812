"""Rule evaluate_judge: a trained judge's verdicts on the test split, and its agreement with gold.

Agreement is Krippendorff's alpha (interval) between the judge's score and the gold score, an
invalid verdict counting as a missing rating; the malformed rate and mean thinking tokens are
reported beside it, and alpha of the expected score as a second view.
"""

import logging
import math
import sys

sys.path.insert(0, snakemake.scriptdir)  # the judgerl library sits beside this script

from judgerl import files, runtime, stats
from judgerl.engines import make_engine
from judgerl.judging import JudgeSettings, judge_pointwise

runtime.setup(snakemake, seed=snakemake.params.seed)
log = logging.getLogger("evaluate_judge")
use = snakemake.params.use

test = [r for r in files.read_jsonl(snakemake.input.test) if r["valid"]]
engine = make_engine(snakemake.input.model, use["spec"], use["backend"], seed=snakemake.params.seed)
settings = JudgeSettings.from_config(use["mode"], use["sampling"])
verdicts = judge_pointwise(engine, [r["instruction"] for r in test], [r["response"] for r in test], settings)

rows = [{"key": r["key"], "id": r["id"], "candidate": r["candidate"], "gold_score": r["score"], **v}
        for r, v in zip(test, verdicts)]
files.write_jsonl(snakemake.output.verdicts, rows)

gold = [r["gold_score"] for r in rows]
n_invalid = sum(not r["valid"] for r in rows)
agreement = {
    "judge": snakemake.wildcards.judge,
    "mode": use["mode"],
    "n": len(rows),
    "alpha": stats.interval_alpha([r["score"] for r in rows], gold),
    "alpha_expected_score": stats.interval_alpha([r["expected_score"] for r in rows], gold),
    "n_invalid": n_invalid,
    "malformed_rate": n_invalid / len(rows) if rows else math.nan,
    "mean_thinking_tokens": sum(r["thinking_tokens"] for r in rows) / len(rows) if rows else math.nan,
}
files.write_json(snakemake.output.agreement, agreement)
log.info("%s", agreement)
