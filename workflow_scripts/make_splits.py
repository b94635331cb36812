"""Rule make_splits: the instruction source -> seeded, disjoint splits."""

import logging

from judgerl import data, files, runtime


def main(snakemake):
    runtime.setup(snakemake)
    log = logging.getLogger("make_splits")

    cfg = snakemake.params.data
    items = data.load_items(cfg)
    summary = {"source_items": len(items)}
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
    splits = data.split_items(
        items, snakemake.params.data["splits"], snakemake.params.seed
    )
    for path in snakemake.output.splits:
        name = path.rsplit("/", 1)[-1].removesuffix(".jsonl")
        files.write_jsonl(path, splits[name])
        log.info("%s: %d instructions", name, len(splits[name]))
    summary.update(
        kept_items=len(items),
        unused_items=len(items) - sum(map(len, splits.values())),
        splits={name: len(rows) for name, rows in splits.items()},
    )
    files.write_json(snakemake.output.summary, summary)
    log.info("%s", summary)


if __name__ == "__main__":
    main(runtime.current_job(globals()))
