"""Rule make_splits: the instruction source -> seeded, disjoint splits."""

import logging

from judgerl import data, files, runtime


def main(snakemake):
    runtime.setup(snakemake)
    log = logging.getLogger("make_splits")

    cfg = snakemake.params.data
    summary = {}
    items = data.load_items(cfg, counts=summary)
    if "max_instruction_tokens" in cfg:
        count = data.token_counter(snakemake.input.token_counter[0])
        items, dropped = data.within_token_limit(
            items, count, cfg["max_instruction_tokens"]
        )
        summary["dropped_over_max_instruction_tokens"] = dropped
        log.info(
            "%d instructions over %d tokens dropped",
            dropped,
            cfg["max_instruction_tokens"],
        )
    splits, made = data.split_items(
        items, cfg["splits"], snakemake.params.seed, cfg.get("judge_sources")
    )
    summary.update(made)
    for name, short in made["shortfall"].items():
        log.warning(
            "split %s: %d instructions of the %d asked for (the source has no more)",
            name,
            short["got"],
            short["asked"],
        )
    for path in snakemake.output.splits:
        name = path.rsplit("/", 1)[-1].removesuffix(".jsonl")
        files.write_jsonl(path, splits[name])
        log.info("%s: %d instructions", name, len(splits[name]))
    files.write_json(snakemake.output.summary, summary)
    log.info("%s", summary)


if __name__ == "__main__":
    main(runtime.current_job(globals()))
