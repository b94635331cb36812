"""Rule generate_answers: a policy checkpoint answers the policy test split."""

import logging
import sys

sys.path.insert(0, snakemake.scriptdir)  # the judgerl library sits beside this script

from judgerl import files, runtime
from judgerl.engines import Sampling, make_engine

runtime.setup(snakemake, seed=snakemake.params.seed)
log = logging.getLogger("generate_answers")

prompts = files.read_jsonl(snakemake.input.prompts)
engine = make_engine(snakemake.input.model, snakemake.params.spec, snakemake.params.backend, seed=snakemake.params.seed)
sampling = Sampling.from_config(snakemake.params.sampling)
completions = engine.complete([[{"role": "user", "content": p["instruction"]}] for p in prompts], sampling)
files.write_jsonl(snakemake.output[0], [
    {"id": p["id"], "instruction": p["instruction"], "answer": c.text.strip(), "finished": c.finished,
     "n_tokens": c.n_tokens}
    for p, c in zip(prompts, completions)
])
log.info("%d answers, %d cut at max_tokens", len(prompts), sum(not c.finished for c in completions))
