"""Rules generate_answers / generate_initial_answers / generate_pairwise_baseline: each policy
checkpoint of a run (or the initial policy, or the pairwise runs' baseline model over its API)
answers the policy test split, greedily; one file per checkpoint."""

import gc
import logging

from judgerl import files, runtime
from judgerl.engines import Sampling, make_engine
from judgerl.progress import Progress

CHUNK = 256  # prompts per call: whole batches for vLLM, progress kept between them


def main(snakemake):
    runtime.setup(snakemake, seed=snakemake.params.seed)
    log = logging.getLogger("generate_answers")

    prompts = files.read_jsonl(snakemake.input.prompts)
    sampling = Sampling.from_config(snakemake.params.sampling)
    # An API baseline (GPT-4o) has no checkpoint: its backend names the model.
    checkpoints = snakemake.input.checkpoints or [None] * len(snakemake.output.answers)
    # Answers are kept as they finish: a rerun of a killed job (hundreds of API calls for the
    # baseline, a checkpoint's whole test split) answers only what is left.
    job = runtime.job_record(snakemake)
    kept = [
        files.ResumableJsonl(output, key="id", job=job)
        for output in snakemake.output.answers
    ]
    meter = Progress(
        "answered",
        len(prompts) * len(kept),
        done=sum(progress.done(p["id"]) for progress in kept for p in prompts),
        logger=log,
    )
    for checkpoint, progress in zip(checkpoints, kept, strict=True):
        todo = [p for p in prompts if not progress.done(p["id"])]
        log.info(
            "%s: %d prompts, %d already answered",
            checkpoint,
            len(prompts),
            len(prompts) - len(todo),
        )
        if todo:
            engine = make_engine(
                checkpoint,
                snakemake.params.spec,
                snakemake.params.backend,
                seed=snakemake.params.seed,
            )
            for start in range(0, len(todo), CHUNK):
                chunk = todo[start : start + CHUNK]
                completions = engine.complete(
                    [[{"role": "user", "content": p["instruction"]}] for p in chunk],
                    sampling,
                )
                progress.add(
                    {
                        "id": p["id"],
                        "instruction": p["instruction"],
                        "answer": c.text.strip(),
                        "finished": c.finished,
                        "n_tokens": c.n_tokens,
                    }
                    for p, c in zip(chunk, completions)
                )
                meter.advance(len(chunk))
            del engine
            gc.collect()
        rows = progress.finish([p["id"] for p in prompts])
        log.info(
            "%s: %d answers, %d cut at max_tokens",
            checkpoint,
            len(rows),
            sum(not r["finished"] for r in rows),
        )


if __name__ == "__main__":
    main(runtime.current_job(globals()))
