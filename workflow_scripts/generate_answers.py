"""Rules generate_answers / generate_initial_answers / generate_pairwise_baseline: each policy
checkpoint of a run (or the initial policy, or the pairwise runs' baseline model over its API)
answers the policy test split, greedily; one file per checkpoint."""

import gc
import logging

from judgerl import files, runtime
from judgerl.engines import Sampling, make_engine


def main(snakemake):
    runtime.setup(snakemake, seed=snakemake.params.seed)
    log = logging.getLogger("generate_answers")

    prompts = files.read_jsonl(snakemake.input.prompts)
    sampling = Sampling.from_config(snakemake.params.sampling)
    conversations = [[{"role": "user", "content": p["instruction"]}] for p in prompts]
    # An API baseline (GPT-4o) has no checkpoint: its backend names the model.
    checkpoints = snakemake.input.checkpoints or [None] * len(snakemake.output.answers)
    for checkpoint, output in zip(checkpoints, snakemake.output.answers, strict=True):
        engine = make_engine(
            checkpoint,
            snakemake.params.spec,
            snakemake.params.backend,
            seed=snakemake.params.seed,
        )
        completions = engine.complete(conversations, sampling)
        files.write_jsonl(
            output,
            [
                {
                    "id": p["id"],
                    "instruction": p["instruction"],
                    "answer": c.text.strip(),
                    "finished": c.finished,
                    "n_tokens": c.n_tokens,
                }
                for p, c in zip(prompts, completions)
            ],
        )
        log.info(
            "%s: %d answers, %d cut at max_tokens",
            checkpoint,
            len(prompts),
            sum(not c.finished for c in completions),
        )
        del engine
        gc.collect()


if __name__ == "__main__":
    main(runtime.current_job(globals()))
