"""Rule generate_candidates: two candidate responses per judge-data instruction.

`model`: sampled from the configured model at two temperatures, trimmed to whole sentences and
some degraded (judgerl/candidates.py); `dataset`: the source's own pair (Tulu's chosen / rejected,
in a seeded random order so that position says nothing).
"""

import logging

from judgerl import candidates, data, files, runtime
from judgerl.engines import Sampling, make_engine
from judgerl.progress import Progress

# Prompts per call, as generate_answers: whole batches for vLLM, progress logged between them.
CHUNK = 256

log = logging.getLogger("generate_candidates")


def main(snakemake):
    runtime.setup(snakemake, seed=snakemake.params.seed)
    cfg = snakemake.params.candidates
    items = files.read_jsonl(snakemake.input.split)

    if cfg["source"] == "dataset":
        limit = snakemake.params.max_response_tokens
        if limit:
            count = data.token_counter(snakemake.input.token_counter[0])
            items, dropped = data.within_token_limit(
                items, count, limit, texts=lambda item: item.get("responses") or []
            )
            log.info("%d pairs with a response over %d tokens dropped", dropped, limit)
        rows = candidates.dataset_pairs(items, snakemake.params.seed)
    else:
        engine = make_engine(
            snakemake.input.model[0],
            snakemake.params.spec,
            cfg["backend"],
            seed=snakemake.params.seed,
        )
        samples = sample(engine, items, cfg)
        rows = candidates.sampled_rows(items, samples, cfg["temperatures"], cfg["trim"])
        degrade = cfg["degrade"]
        candidates.degrade(
            rows, degrade["fraction"], degrade["kinds"], snakemake.params.seed
        )
        for kind in candidates.KINDS:
            n = sum(o.endswith(kind) for r in rows for o in r["origins"])
            log.info("%d candidates degraded: %s", n, kind)
    files.write_jsonl(snakemake.output[0], rows)
    log.info("%d instructions, %d candidates", len(rows), 2 * len(rows))


def sample(engine, items: list[dict], cfg: dict) -> list[list]:
    """The model's completions of every instruction, one list per temperature of `cfg`."""
    conversations = [
        [{"role": "user", "content": item["instruction"]}] for item in items
    ]
    meter = Progress(
        "sampled responses", len(items) * len(cfg["temperatures"]), logger=log
    )
    samples = []
    for temperature in cfg["temperatures"]:
        sampling = Sampling(
            max_tokens=cfg["max_tokens"], temperature=temperature, top_p=1.0
        )
        sampled = []
        for start in range(0, len(conversations), CHUNK):
            chunk = conversations[start : start + CHUNK]
            sampled += engine.complete(chunk, sampling)
            meter.advance(len(chunk))
        samples.append(sampled)
        log.info("sampled %d responses at temperature %s", len(items), temperature)
    return samples


if __name__ == "__main__":
    main(runtime.current_job(globals()))
