"""Rule generate_candidates: two candidate responses per judge-data instruction.

`model`: sampled from the configured model at two temperatures, trimmed to whole sentences and
some degraded (judgerl/candidates.py); `dataset`: the source's own pair (Tulu's chosen / rejected,
in a seeded random order so that position says nothing).
"""

import logging
import random

from judgerl import candidates, data, files, runtime
from judgerl.engines import Sampling, make_engine
from judgerl.progress import Progress

# Prompts per call, as generate_answers: whole batches for vLLM, progress logged between them.
CHUNK = 256


def main(snakemake):
    runtime.setup(snakemake, seed=snakemake.params.seed)
    log = logging.getLogger("generate_candidates")
    cfg = snakemake.params.candidates
    items = files.read_jsonl(snakemake.input.split)

    rows = []
    if cfg["source"] == "dataset":
        rng = random.Random(snakemake.params.seed)
        limit = snakemake.params.max_response_tokens
        if limit:
            count = data.token_counter(snakemake.input.token_counter[0])
            items, dropped = data.within_token_limit(
                items, count, limit, texts=lambda item: item.get("responses") or []
            )
            log.info("%d pairs with a response over %d tokens dropped", dropped, limit)
        for item in items:
            if not item.get("responses"):
                raise ValueError(
                    f"candidates.source is 'dataset' but item {item['id']} has no response pair"
                )
            pair = list(zip(item["responses"], ["dataset:chosen", "dataset:rejected"]))
            rng.shuffle(pair)
            rows.append(
                {
                    "id": item["id"],
                    "instruction": item["instruction"],
                    "responses": [p[0] for p in pair],
                    "origins": [p[1] for p in pair],
                }
            )
    else:
        engine = make_engine(
            snakemake.input.model[0],
            snakemake.params.spec,
            cfg["backend"],
            seed=snakemake.params.seed,
        )
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
        clean = candidates.trim_to_sentence if cfg["trim"] else str.strip
        for k, item in enumerate(items):
            rows.append(
                {
                    "id": item["id"],
                    "instruction": item["instruction"],
                    "responses": [clean(s[k].text) for s in samples],
                    "origins": [f"model:T={t}" for t in cfg["temperatures"]],
                }
            )
        degrade = cfg["degrade"]
        candidates.degrade(
            rows, degrade["fraction"], degrade["kinds"], snakemake.params.seed
        )
        for kind in candidates.KINDS:
            n = sum(o.endswith(kind) for r in rows for o in r["origins"])
            log.info("%d candidates degraded: %s", n, kind)
    files.write_jsonl(snakemake.output[0], rows)
    log.info("%d instructions, %d candidates", len(rows), 2 * len(rows))


if __name__ == "__main__":
    main(runtime.current_job(globals()))
